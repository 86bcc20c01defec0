# hkp_gpg.sh: real gpg 2.2 against "pksync serve" on a free port with a
# temporary database: --send-keys, --recv-keys by fingerprint, long and
# short key ID, --search-keys by name and by e-mail, --refresh-keys, and
# a Debian key fetched by fingerprint and by subkey ID.  Also checks the
# error paths gpg relies on (404, 501, 400, 413) and that bad input
# leaves the database unchanged.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"
. "$PKS_SRCDIR/tests/lib/gpg.sh"

need_keyring
need_cmd gpg

test_dir pkg
at_exit '[ -n "${SENDER:-}" ] && gpgconf --homedir "$SENDER" --kill all
	rm -rf "${SENDER:-}"'
at_exit gpg_cleanup
at_exit 'pks_stop "$T/srv"'

pks_setup "$T/srv" || bail "pks_setup failed"
ok "import debian-keyring" pks "$T/srv" import -q "$KEYRING"
pks_start "$T/srv" || bail "pksync serve did not start"
url="http://127.0.0.1:$PKS_PORT/pks"
count_keys() { pks "$T/srv" stats --json | sed -n 's/.*"keys":\([0-9]*\).*/\1/p'; }
before=$(count_keys)
is "905 keys stored" "$before" 905

# A fresh key made by gpg, sent with --send-keys from its own home.
gpg_setup "$PKS_PORT"
SENDER=$GPGT_HOME
gpgt --passphrase '' --quick-gen-key 'Alice Example <alice@example.org>' \
	ed25519 sign never >/dev/null 2>&1
FPR=$(gpgt --with-colons --list-keys alice@example.org | awk -F: '/^fpr:/ {print $10; exit}')
is "gpg made a key" "${#FPR}" 40
ok "gpg --send-keys" gpgt --send-keys "$FPR"
is "the sent key is stored" "$(count_keys)" 906

# A second, empty home fetches it back in every way gpg asks.
GPGT_HOME= gpg_setup "$PKS_PORT"
ok "gpg --recv-keys by fingerprint" gpgt --recv-keys "$FPR"
ok "the key arrived" gpgt --list-keys "$FPR"
gpgt --yes --delete-keys "$FPR" >/dev/null 2>&1
ok "gpg --recv-keys by long key ID" gpgt --recv-keys "${FPR:24:16}"
gpgt --yes --delete-keys "$FPR" >/dev/null 2>&1
ok "gpg --recv-keys by short key ID" gpgt --recv-keys "0x${FPR:32:8}"
ok "gpg --search-keys by name lists it" \
	sh -c "gpg --homedir '$GPGT_HOME' --batch --no-tty --with-colons --search-keys 'Alice Example' | grep -q '^pub:$FPR:'"
ok "gpg --search-keys by e-mail lists it" \
	sh -c "gpg --homedir '$GPGT_HOME' --batch --no-tty --with-colons --search-keys alice@example.org | grep -q '^pub:$FPR:'"

# A new user ID on the sender's side reaches the receiver by --refresh-keys.
GH=$GPGT_HOME
GPGT_HOME=$SENDER
gpgt --passphrase '' --quick-add-uid "$FPR" 'Alice Second <alice2@example.org>' >/dev/null 2>&1
ok "send the updated key" gpgt --send-keys "$FPR"
is "an update adds no key" "$(count_keys)" 906
GPGT_HOME=$GH
ok "gpg --refresh-keys" gpgt --refresh-keys
ok "refresh brought the new user ID" \
	sh -c "gpg --homedir '$GPGT_HOME' --batch --with-colons --list-keys '$FPR' | grep -q 'alice2@example.org'"

# A Debian key: by fingerprint, and by the key ID of one of its subkeys.
DFPR=20691DFCC2C98C47952984EE00018C22381A7594
ok "recv a Debian key by fingerprint" gpgt --recv-keys "$DFPR"
SUB=$(gpgt --with-colons --list-keys "$DFPR" | awk -F: '/^sub:/ {print $5; exit}')
gpgt --yes --delete-keys "$DFPR" >/dev/null 2>&1
ok "recv a Debian key by subkey ID $SUB" gpgt --recv-keys "$SUB"
ok "subkey ID resolved to the primary key" gpgt --list-keys "$DFPR"
ok "search by word finds Debian keys" \
	sh -c "gpg --homedir '$GPGT_HOME' --batch --no-tty --with-colons --search-keys 'Villemot' | grep -q '^pub:$DFPR:'"

# Not found is 404 and gpg fails cleanly.
ok "recv of an unknown key fails (rc 2)" \
	sh -c "! gpg --homedir '$GPGT_HOME' --batch --no-tty --recv-keys 0123456789ABCDEF0123456789ABCDEF01234567"

code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
is "op=get unknown key: 404" "$(code "$url/lookup?op=get&options=mr&search=0x0123456789ABCDEF")" 404
is "unknown op: 501" "$(code "$url/lookup?op=frobnicate&search=x")" 501
is "missing search: 400" "$(code "$url/lookup?op=get")" 400
is "bad hex: 400" "$(code "$url/lookup?op=get&search=0xZZZZ")" 400
is "too many matches is refused with 400" "$(code "$url/lookup?op=index&options=mr&search=debian.org")" 400
ok "... and says so" sh -c "curl -s '$url/lookup?op=index&options=mr&search=debian.org' | grep -qi 'too many'"
is "add without keytext: 400" "$(code --data-urlencode 'other=x' "$url/add")" 400
is "add of garbage: 400" "$(code --data-urlencode 'keytext=not a key' "$url/add")" 400
head -c 9000000 /dev/zero | tr '\0' 'a' >"$T/big"
is "add over max_post: 413" "$(code -H 'Content-Type: application/x-www-form-urlencoded' --data-binary @"$T/big" "$url/add")" 413
is "bad input left the database unchanged" "$(count_keys)" 906

ok "pksync serve stops cleanly, no sanitizer report" pks_stop "$T/srv"
tap_done
