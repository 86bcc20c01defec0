# bridge.sh: one pksync bridges SKS gossip and PKS e-mail sync.
#  1. A key a real SKS has and pksync lacks arrives by recon, and is
#     queued at once as an incremental for pksync's mail sync peer.
#  2. A key that arrives at pksync in an incremental from that mail peer
#     enters the prefix tree in the same transaction, and SKS fetches it
#     by recon; it is not mailed back to the peer it came from.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/sks.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"
. "$PKS_SRCDIR/tests/lib/gpg.sh"

need_keyring
need_sks
PY=/usr/bin/python3
TOOLS=$PKS_SRCDIR/tests/tools
PEER=pgp-public-keys@peer.test
ME=pgp-public-keys@bridge.test

test_dir pkb
at_exit gpg_cleanup
at_exit 'sks_stop "$T/s"'
at_exit 'pks_stop "$T/p"'

"$PY" "$TOOLS/pgpkeys.py" hash -c "$KEYRING" | sort >"$T/all.hashes"
"$PY" "$TOOLS/keysplit.py" "$KEYRING" "$T/pks.pgp" 20 11 >/dev/null

PR=$(free_port); SR=$(free_port); SH=$(free_port)
ok "sks build (all 905 keys)" sks_setup "$T/s" "$KEYRING" "$SH" "$SR" "$PR"
sed -i "s/^gossip_interval:.*/gossip_interval: 100/" "$T/s/etc/sks/sksconf"
pks_setup "$T/p" "$PR" "$SR" || bail pks_setup
sed -i 's/^gossip_interval = .*/gossip_interval = 3/' "$T/p/pksync.conf"
printf '%s\n' 'fetch_delay = 1' '[mail]' "this_site = $ME" \
	'peers_file = mailsync' >>"$T/p/pksync.conf"
echo "$PEER" >"$T/p/mailsync"
ok "pksync import of 860 keys, not mailed" \
	pks "$T/p" import -q --no-mail "$T/pks.pgp"
queued() {
	pks "$T/p" stats --json | sed -n 's/.*"incrementalsQueued":\([0-9]*\).*/\1/p'
}
is "nothing queued yet" "$(queued)" 0

sks_start "$T/s" || bail "sks start"
pks_start "$T/p" || bail "pksync start"
P=$PKS_PORT
caught_up() {
	local i
	for ((i = 0; i < 90; i++)); do
		"$PY" "$TOOLS/pgpkeys.py" hashquery 127.0.0.1 "$P" \
			"$T/all.hashes" 100 >/dev/null 2>&1 && return 0
		sleep 1
	done
	return 1
}
ok "recon: pksync fetched the 45 keys it lacked from SKS" caught_up
is "... and queued each for its mail peer" "$(queued)" 45
ok "stats show the queue for $PEER" sh -c \
	"'$PKSYNC' -c '$T/p/pksync.conf' stats | grep -q '$PEER'"

# A new key arrives by mail from the sync peer.
gpg_setup "$P"
gpgt --passphrase '' --quick-gen-key 'Bridge Test <bridge@example.org>' \
	ed25519 sign never >/dev/null 2>&1
gpgt --export bridge@example.org >"$T/new.pgp"
NEWH=$("$PY" "$TOOLS/pgpkeys.py" hash -c "$T/new.pgp")
echo "$NEWH" >"$T/new.hashes"
{
	printf 'From: %s\nTo: %s\nSubject: incremental\n' "$PEER" "$ME"
	printf 'X-KeyServer-Sent: %s\nPrecedence: list\nMIME-Version: 1.0\n' "$PEER"
	printf 'Content-type: application/pgp-keys\n\n'
	gpgt --armor --export bridge@example.org
} >"$T/incr.eml"
ok "mail-filter takes the incremental (exit 0)" \
	sh -c "SENDER='$PEER' '$PKSYNC' -c '$T/p/pksync.conf' mail-filter <'$T/incr.eml'"
ok "the mailed key is stored" "$PY" "$TOOLS/pgpkeys.py" hashquery \
	127.0.0.1 "$P" "$T/new.hashes" 100
is "it is not mailed back to the peer it came from" "$(queued)" 45
sks_has_it() {
	local i
	for ((i = 0; i < 90; i++)); do
		"$PY" "$TOOLS/pgpkeys.py" hashquery 127.0.0.1 "$SH" \
			"$T/new.hashes" 100 >/dev/null 2>&1 && return 0
		sleep 1
	done
	return 1
}
ok "recon: SKS fetched the key that came by mail" sks_has_it
ok "pksync serve stops cleanly" pks_stop "$T/p"
ok "pksync check: tree == keys" pks "$T/p" check
ok "sks stops" sks_stop "$T/s"
tap_done
