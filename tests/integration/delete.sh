# delete.sh: removing a key for good.  "pksync delete FPR --reason" on
# an instance that gossips with a real SKS still holding the key: op=get
# answers 410 with the reason, op=index finds nothing, hashquery and
# dump leave it out, check finds tree and keys in agreement; recon
# sessions with SKS go on without fetching it back; an upload and an
# incremental mail carrying it are refused and logged; "delete --list"
# shows the tombstone and "undelete" lets the key come back.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/sks.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"

need_keyring
need_sks
need_cmd curl
TOOLS=$PKS_SRCDIR/tests/tools

test_dir pkdl
at_exit '[ -n "${GNUPGHOME:-}" ] && gpgconf --homedir "$GNUPGHOME" --kill all'
at_exit 'pks_stop "$T/p"'
at_exit 'sks_stop "$T/s"'

export GNUPGHOME=$T/gpg
mkdir -m 700 "$GNUPGHOME"
FPR=$(gpg --batch --with-colons --no-default-keyring --keyring "$KEYRING" \
	--fingerprint 2>/dev/null | awk -F: '/^fpr:/ { print $10; exit }')
is "a key of the keyring to remove" "${#FPR}" 40
gpg --batch --no-default-keyring --keyring "$KEYRING" --armor --export "$FPR" \
	>"$T/key.asc" 2>/dev/null
chmod 644 "$T/key.asc"

PR=$(free_port); SR=$(free_port); SH=$(free_port)
ok "sks build: SKS holds every key" sks_setup "$T/s" "$KEYRING" "$SH" "$SR" "$PR"
sed -i "s/^gossip_interval:.*/gossip_interval: 100/" "$T/s/etc/sks/sksconf"
pks_setup "$T/p" "$PR" "$SR" || bail pks_setup
printf '%s\n' 'fetch_delay = 0' 'config_timeout = 3' 'read_timeout = 3' >>"$T/p/pksync.conf"
sed -i "s/^gossip_interval = .*/gossip_interval = 2/" "$T/p/pksync.conf"
printf '[mail]\naccept_incrementals = anyone\n' >>"$T/p/pksync.conf"
ok "pksync import: every key" pks "$T/p" import -q --no-mail "$KEYRING"

out=$(pks "$T/p" delete "$FPR" --reason "court order 42" 2>"$T/delete.err")
is "delete removes the key" "$out" "$FPR: removed; tombstone kept: court order 42"
ok "check: keys, hashes and prefix tree agree" pks "$T/p" check
ok "delete --list shows the tombstone" sh -c \
	"'$PKSYNC' -c '$T/p/pksync.conf' delete --list | grep -q '^$FPR .* court order 42\$'"
is "a malformed fingerprint is refused" \
	"$(pks "$T/p" delete 0x1234 --reason x >/dev/null 2>&1; echo $?)" 65
is "a reason is required" "$(pks "$T/p" delete "$FPR" >/dev/null 2>&1; echo $?)" 64
rm -rf "$T/dump" && pks "$T/p" dump "$T/dump" >/dev/null 2>&1
is "dump leaves it out" "$(cat "$T"/dump/*.pgp | gpg --batch --with-colons --show-keys 2>/dev/null | grep -c "$FPR")" 0

sks_start "$T/s" || bail "sks start"
pks_start "$T/p" || bail "pksync start"
url="http://127.0.0.1:$PKS_PORT/pks"
get_status() { curl -s -o "$T/get.out" -w '%{http_code}' "$url/lookup?op=get&search=0x$FPR"; }
is "op=get answers 410" "$(get_status)" 410
ok "... with the reason" grep -q "court order 42" "$T/get.out"
is "op=get by 64-bit key ID: 410" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$url/lookup?op=get&search=0x${FPR:24:16}")" 410
is "op=index finds nothing" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$url/lookup?op=index&options=mr&search=0x$FPR")" 404

# Recon with SKS, which still holds the key: sessions end, nothing comes back.
sessions() { grep -c "as initiator done" "$T/p/serve.log"; }
for ((i = 0; i < 120 && $(sessions) < 3; i++)); do sleep 1; done
ok "three recon sessions with SKS" test "$(sessions)" -ge 3
ok "recon skipped the removed key's hash" grep -q "skipped=[1-9]" "$T/p/serve.log"
is "after recon op=get is still 410" "$(get_status)" 410
ok "SKS still holds it (the peer was not changed)" \
	sh -c "curl -s 'http://127.0.0.1:$SH/pks/lookup?op=get&search=0x$FPR' | grep -q 'BEGIN PGP'"

# An upload and an incremental carrying it are refused and logged.
curl -s -o "$T/add.out" --data-urlencode "keytext@$T/key.asc" "$url/add"
is "after an upload op=get is still 410" "$(get_status)" 410
ok "the upload's refusal was logged with the key" \
	grep -q "key=$FPR refused: removed by the operator" "$T/p/serve.log"
{
	printf 'From: PGP Key Server <pgp-public-keys@peer.test>\n'
	printf 'To: pgp-public-keys@pksync.test\nSubject: incremental\n'
	printf 'X-KeyServer-Sent: pgp-public-keys@peer.test\nPrecedence: list\n'
	printf 'MIME-Version: 1.0\nContent-type: application/pgp-keys\n\n'
	cat "$T/key.asc"
} >"$T/incr.eml"
chmod 644 "$T/incr.eml"
is "the incremental is handled (exit 0)" \
	"$(pks "$T/p" mail-filter <"$T/incr.eml" >"$T/mf.out" 2>&1; echo $?)" 0
ok "the incremental's refusal was logged" grep -q "refused: removed by the operator" "$T/mf.out"
is "after the incremental op=get is still 410" "$(get_status)" 410
ok "check after all that: keys, hashes and prefix tree agree" pks "$T/p" check

# undelete: the key may come back.
out=$(pks "$T/p" undelete "$FPR" 2>&1)
ok "undelete lifts the tombstone" sh -c "echo '$out' | grep -q 'tombstone lifted'"
is "undelete of a key without a tombstone: exit 66" \
	"$(pks "$T/p" undelete "$FPR" >/dev/null 2>&1; echo $?)" 66
curl -s -o /dev/null --data-urlencode "keytext@$T/key.asc" "$url/add"
is "after undelete an upload brings it back" "$(get_status)" 200
ok "pksync serve stops cleanly" pks_stop "$T/p"
tap_done
