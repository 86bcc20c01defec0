# package.sh: the Debian package, built and installed for real.
# dpkg-buildpackage builds pksync_*.deb from a copy of the source tree;
# lintian finds no error in it; apt-get installs it on this machine and
# the checks read what the maintainer scripts did: the system user
# pksync, /var/lib/pksync (0750, pksync's) holding a database no other
# user can read, the conffiles in /etc/pksync, the manual pages, the
# help texts and the units (systemd-analyze verify accepts them and
# rates pksync.service at most 2.0; serve reports READY=1 on the
# notification socket, as Type=notify needs).  "pksync check" and "serve" run as
# the pksync user; removing the package keeps the data, purging deletes
# it.  The machine is left as it was found (a pksync user made here is
# deleted again).  It needs root, and is skipped where a pksync package
# is already installed or in a sanitizer build (the package builds its
# own binary, so one run, in the plain build, covers it).
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/proc.sh"

[ "$(id -u)" = 0 ] || skip_all "needs root (it installs the package)"
grep -q -- '-fsanitize' "$PKS_BUILDDIR/config.log" 2>/dev/null &&
	skip_all "sanitizer build: the package is tested in the plain build"
command -v dpkg-buildpackage >/dev/null || skip_all "needs dpkg-dev"
# One package test at a time on a machine (two builds or checkouts may
# run their suites at once): the package and the user are machine-wide.
exec 9>/var/lock/pksync-package-test.lock
flock -w 1200 9 || skip_all "another package test held the lock for 20 minutes"
if dpkg-query -W -f='${Status}' pksync 2>/dev/null | grep -q 'ok installed'; then
	skip_all "a pksync package is already installed on this machine"
fi
APT="apt-get -y -q -o DPkg::Lock::Timeout=600"

T=$(mktemp -d /tmp/pkpkg.XXXXXX)
chmod 755 "$T"
TAP_TMP=$T
had_user=
getent passwd pksync >/dev/null && had_user=1
cleanup() {
	stop_pid "$T/serve.pid" 10
	stop_pid "$T/notify.pid" 5
	if dpkg-query -W -f='${Status}' pksync 2>/dev/null | grep -q 'installed'; then
		$APT purge pksync >/dev/null 2>&1
	fi
	[ -z "$had_user" ] && getent passwd pksync >/dev/null &&
		deluser --quiet --system pksync >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT

# Build from a copy, so the build's own files stay out of the tree.
mkdir -p "$T/src/pksync"
tar -C "$PKS_SRCDIR" --exclude=./_build --exclude=./.git --exclude=./demo-data \
	-cf - . | tar -C "$T/src/pksync" -xf -
ok "dpkg-buildpackage -b -us -uc" \
	sh -c "cd '$T/src/pksync' && dpkg-buildpackage -b -us -uc >'$T/build.log' 2>&1 ||
		{ tail -n 30 '$T/build.log'; exit 1; }"
deb=$(ls "$T"/src/pksync_*_*.deb 2>/dev/null | grep -v dbgsym | head -n 1)
ok "the package was made" test -f "$deb"
ok "lintian is installed (tests/deps.sh)" command -v lintian
lint=$(lintian "$deb" 2>/dev/null | grep '^E:')
is "lintian reports no error" "$lint" ""

export DEBIAN_FRONTEND=noninteractive
ok "apt-get install ./pksync_*.deb" $APT install --no-install-recommends "$deb"
ok "the system user pksync" sh -c 'getent passwd pksync | grep -q ":/var/lib/pksync:"'
is "/var/lib/pksync: 0750, pksync's" "$(stat -c '%a %U %G' /var/lib/pksync)" "750 pksync pksync"
ok "postinst ran pksync init" test -f /var/lib/pksync/pksync.db
is "the database is pksync's" "$(stat -c '%U' /var/lib/pksync/pksync.db)" "pksync"
is "the database is not world-readable" \
	"$(( $(stat -c '%a' /var/lib/pksync/pksync.db) % 10 ))" "0"
conffiles=$(dpkg-query -W -f='${Conffiles}\n' pksync | awk 'NF { print $1 }' | sort | tr '\n' ' ')
is "conffiles" "$conffiles" "/etc/pksync/mailsync /etc/pksync/membership /etc/pksync/pksync.conf "
ok "pksync(8) installed" test -f /usr/share/man/man8/pksync.8.gz
ok "pksync.conf(5) installed" test -f /usr/share/man/man5/pksync.conf.5.gz
ok "help texts installed" test -f /usr/share/pksync/help/pks_help.en
ok "the MTA glue is among the examples" \
	test -f /usr/share/doc/pksync/examples/postfix/master.cf
for u in pksync.service pksync-queue-run.service pksync-queue-run.timer; do
	ok "unit $u installed" test -f "/lib/systemd/system/$u"
	ok "systemd-analyze verify $u" \
		systemd-analyze verify --man=no "/lib/systemd/system/$u"
done
score=$(systemd-analyze security --offline=true /lib/systemd/system/pksync.service 2>/dev/null |
	sed -n 's/.*Overall exposure level for pksync.service: \([0-9.]*\).*/\1/p')
diag "systemd-analyze security pksync.service: $score"
ok "pksync.service is rated at most 2.0" awk -v s="$score" 'BEGIN { exit !(s != "" && s <= 2.0) }'

as_pksync() { runuser -u pksync -- "$@"; }
out=$(as_pksync pksync -c /etc/pksync/pksync.conf check 2>&1)
is "pksync check as the pksync user" "$(echo "$out" | grep -c 'configuration OK')" "1"
install -m 644 "$PKS_SRCDIR/tests/data/pgp/eddsa.pgp" "$T/key.pgp"
ok "import as the pksync user" \
	as_pksync pksync -c /etc/pksync/pksync.conf import -q --no-mail "$T/key.pgp"
# serve as pksync, on a free port: the installed file with one line changed.
sed -e 's/^http_listen = .*/http_listen = 127.0.0.1:0/' \
	-e 's|^peers_file = mailsync|peers_file = /etc/pksync/mailsync|' \
	-e 's|^membership_file = membership|membership_file = /etc/pksync/membership|' \
	/etc/pksync/pksync.conf >"$T/serve.conf"
chmod 644 "$T/serve.conf"
# A stand-in for systemd's notification socket: what serve sends on it.
spawn "$T" "$T/notify.pid" "$T/notify.out" "$PY" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666); s.settimeout(30)
print(s.recv(256).decode(), flush=True)' "$T/notify.sock"
for ((i = 0; i < 50; i++)); do [ -S "$T/notify.sock" ] && break; sleep 0.1; done
spawn "$T" "$T/serve.pid" "$T/serve.log" runuser -u pksync -- \
	env NOTIFY_SOCKET="$T/notify.sock" pksync -c "$T/serve.conf" serve
port=
for ((i = 0; i < 100; i++)); do
	port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$T/serve.log" | head -n 1)
	[ -n "$port" ] && break
	sleep 0.1
done
ok "serve as the pksync user is listening" test -n "$port"
is "serve runs as pksync" "$(ps -o user= -p "$(pgrep -u pksync -x pksync | head -n 1)" 2>/dev/null)" "pksync"
is "op=stats counts the imported key" \
	"$(curl -s "http://127.0.0.1:$port/pks/lookup?op=stats&options=mr" | grep -o '"total":[0-9]*')" '"total":1'
for ((i = 0; i < 50; i++)); do [ -s "$T/notify.out" ] && break; sleep 0.1; done
is "serve told the service manager it is ready (Type=notify)" "$(cat "$T/notify.out")" "READY=1"
stop_pid "$T/serve.pid" 10
stop_pid "$T/notify.pid" 5

ok "apt-get remove pksync" $APT remove pksync
ok "the binary is gone" test ! -e /usr/bin/pksync
ok "removing keeps the database" test -f /var/lib/pksync/pksync.db
ok "removing keeps the configuration" test -f /etc/pksync/pksync.conf
ok "apt-get purge pksync" $APT purge pksync
ok "purging deletes the data" test ! -e /var/lib/pksync
ok "purging deletes the configuration" test ! -e /etc/pksync/pksync.conf
tap_done
