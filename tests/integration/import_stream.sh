# import_stream.sh: "pksync import" reads its input in pieces and
# commits in batches, and stores exactly what a whole-file import
# stores.  Debian's keyring (905 keys of up to a few hundred KiB) read
# 64 KiB at a time in batches of 7 keys, from a file and from stdin,
# gives the same SKS hashes as the default settings; with [keys]
# max_bytes at 64 KiB the keys too large for the window are skipped
# with a warning and every other key is read; a file cut off in the
# middle of its last key keeps the keys before the cut.  Importing the
# same keys again verifies no signature a second time.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"

KEYRING=/usr/share/keyrings/debian-keyring.gpg
[ -r "$KEYRING" ] || skip_all "debian-keyring not installed"
TOOL=$PKS_SRCDIR/tests/tools/pgpkeys.py

T=$(mktemp -d /tmp/pkim.XXXXXX)
TAP_TMP=$T
trap 'rm -rf "$T"' EXIT
chmod 755 "$T"
cp "$KEYRING" "$T/ring.pgp"
chmod 644 "$T/ring.pgp"

# setup NAME [CONF-LINES]: a database with extra config lines appended
setup() {
	pks_setup "$T/$1" || return 1
	printf '%b' "${2:-}" >>"$T/$1/pksync.conf"
}

# hashes NAME: the SKS hashes of every stored key, sorted
hashes() {
	rm -rf "$T/$1.dump"
	mkdir -p "$T/$1.dump" && pks_user_dir "$T/$1.dump"
	pks "$T/$1" dump "$T/$1.dump" >/dev/null 2>&1 &&
		"$PY" "$TOOL" hash "$T/$1.dump"/*.pgp | sort
}

# count WHAT OUT: a number of the summary line ("new", "refused", ...)
count() {
	sed -n "s/.* \([0-9][0-9]*\) $1.*/\1/p" "$2" | head -n 1
}

setup a || { echo "Bail out! pks_setup"; exit 1; }
pks "$T/a" import -q --no-mail "$T/ring.pgp" >"$T/a.out" 2>&1
is "default settings: every key is new" "$(count new, "$T/a.out")" 905
hashes a >"$T/a.hashes"
is "its dump has 905 hashes" "$(wc -l <"$T/a.hashes")" 905

setup b '[import]\nread_size = 65536\nbatch_keys = 7\nbulk_batch_keys = 7\n'
pks "$T/b" import --no-mail "$T/ring.pgp" >"$T/b.out" 2>"$T/b.log"
is "64 KiB pieces, 7-key batches: every key is new" \
	"$(count new, "$T/b.out")" 905
ok "each batch is logged" grep -q 'import: batch 129: 7 keys' "$T/b.log"
is "the same hashes as the default import" "$(hashes b | cmp - "$T/a.hashes")" ""
ok "pksync check finds keys, hashes and tree in agreement" \
	pks "$T/b" check

setup c '[import]\nread_size = 65536\nbatch_keys = 50\nbulk_batch_keys = 50\n'
pks "$T/c" import -q --no-mail - <"$T/ring.pgp" >"$T/c.out" 2>&1
is "from stdin: every key is new" "$(count new, "$T/c.out")" 905
is "from stdin: the same hashes" "$(hashes c | cmp - "$T/a.hashes")" ""
pks "$T/c" import -q --no-mail - <"$T/ring.pgp" >"$T/c2.out" 2>&1
is "again: every key unchanged" "$(count unchanged, "$T/c2.out")" 905
is "again: no signature verified a second time" \
	"$(count self-signatures "$T/c2.out")" 0

setup d '[import]\nread_size = 65536\n[keys]\nmax_bytes = 65536\n'
pks "$T/d" import -q --no-mail "$T/ring.pgp" >"$T/d.out" 2>"$T/d.log"
skipped=$(grep -c 'larger than \[keys\] max_bytes is skipped' "$T/d.log")
ok "keys over the window are skipped with a warning" test "$skipped" -gt 0
is "every other key is read" \
	"$(($(count 'keys read' "$T/d.out") + skipped))" 905

size=$(stat -c %s "$T/ring.pgp")
head -c $((size - 100)) "$T/ring.pgp" >"$T/cut.pgp"
chmod 644 "$T/cut.pgp"
setup e '[import]\nread_size = 65536\n'
pks "$T/e" import -q --no-mail "$T/cut.pgp" >"$T/e.out" 2>"$T/e.log"
is "a file cut in its last key: the keys before the cut" \
	"$(count new, "$T/e.out")" 904
ok "the cut is reported" grep -q 'the rest of the file is skipped' "$T/e.log"
tap_done
