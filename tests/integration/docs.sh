# docs.sh: the manual pages and the sample configuration say what the
# program does.  pksync(8) describes every command of src/cmd/main.c;
# etc/pksync.conf documents every key src/util/config.c reads, with its
# real default (tests/tools/confdoc.py); pksync.conf(5), generated from
# etc/pksync.conf by man/confman.sh, and pksync(8) pass mandoc's lint
# with nothing above style level.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/proc.sh"

out=$(cd "$PKS_SRCDIR" && "$PY" tests/tools/confdoc.py .)
is "etc/pksync.conf documents every key with its default" "$out" ""

cmds=$(sed -n 's/^[[:space:]]*{ "\([a-z-]*\)", cmd_[a-z_]*,.*/\1/p' "$PKS_SRCDIR/src/cmd/main.c")
ok "main.c's command table was read" test -n "$cmds"
missing=
for c in $cmds; do
	grep -q "^\.It Cm $c\b" "$PKS_SRCDIR/man/pksync.8" || missing="$missing $c"
done
is "pksync(8) describes every command" "$missing" ""

conf5=$PKS_BUILDDIR/man/pksync.conf.5
ok "pksync.conf(5) was built" test -s "$conf5"
keys=$(sed -n -e 's/^\([a-z_]*\) *=.*/\1/p' -e 's/^# *\([a-z_]*\) = .*/\1/p' \
	"$PKS_SRCDIR/etc/pksync.conf" | sort -u)
missing=
for k in $keys; do
	grep -q "^\.It Cm $k\b" "$conf5" || missing="$missing $k"
done
is "pksync.conf(5) has an entry for every key of etc/pksync.conf" "$missing" ""

ok "mandoc is installed (tests/deps.sh)" command -v mandoc
is "mandoc -T lint: pksync(8)" \
	"$(mandoc -T lint -W warning "$PKS_SRCDIR/man/pksync.8" 2>&1)" ""
is "mandoc -T lint: pksync.conf(5)" "$(mandoc -T lint -W warning "$conf5" 2>&1)" ""
tap_done
