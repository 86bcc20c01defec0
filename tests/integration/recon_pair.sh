# recon_pair.sh: two pksync instances reconcile with each other.  A holds
# debian-keyring.gpg minus every 20th key (index % 20 == 3), B minus
# another twentieth (== 11); A gossips to B every 2 s.  Both must end
# with all 905 SKS hashes, and their prefix trees must still match
# their keys (pksync check).
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"

KEYRING=/usr/share/keyrings/debian-keyring.gpg
[ -r "$KEYRING" ] || skip_all "debian-keyring not installed"
PY=/usr/bin/python3
TOOLS=$PKS_SRCDIR/tests/tools

T=$(mktemp -d /tmp/prp.XXXXXX)
TAP_TMP=$T
cleanup() {
	pks_stop "$T/a" >/dev/null 2>&1
	pks_stop "$T/b" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

"$PY" "$TOOLS/pgpkeys.py" hash -c "$KEYRING" | sort >"$T/all.hashes"
"$PY" "$TOOLS/keysplit.py" "$KEYRING" "$T/a.pgp" 20 3 >/dev/null
"$PY" "$TOOLS/keysplit.py" "$KEYRING" "$T/b.pgp" 20 11 >/dev/null

RA=$(free_port); RB=$(free_port)
pks_setup "$T/a" "$RA" "$RB" || { echo "Bail out! pks_setup"; exit 1; }
pks_setup "$T/b" "$RB" "$RA" || { echo "Bail out! pks_setup"; exit 1; }
echo 'fetch_delay = 0' >>"$T/a/pksync.conf"
echo 'fetch_delay = 0' >>"$T/b/pksync.conf"
sed -i 's/^gossip_interval = .*/gossip_interval = 2/' "$T/a/pksync.conf"
sed -i 's/^gossip_interval = .*/gossip_interval = 86400/' "$T/b/pksync.conf"
ok "import A" pks "$T/a" import -q "$T/a.pgp"
ok "import B" pks "$T/b" import -q "$T/b.pgp"
pks_start "$T/a" || { echo "Bail out! start A"; exit 1; }
PA=$PKS_PORT
pks_start "$T/b" || { echo "Bail out! start B"; exit 1; }
PB=$PKS_PORT

converged() {
	local i
	for ((i = 0; i < 60; i++)); do
		if "$PY" "$TOOLS/pgpkeys.py" hashquery 127.0.0.1 "$PA" \
			"$T/all.hashes" 100 >/dev/null 2>&1 &&
		   "$PY" "$TOOLS/pgpkeys.py" hashquery 127.0.0.1 "$PB" \
			"$T/all.hashes" 100 >/dev/null 2>&1; then
			return 0
		fi
		sleep 1
	done
	return 1
}
ok "both instances serve all 905 hashes" converged
ok "A logged a session as initiator" grep -q "as initiator done" "$T/a/serve.log"
ok "B logged a session as responder" grep -q "as responder done" "$T/b/serve.log"
sleep 3
ok "a later session finds nothing to do" sh -c \
	"grep 'as initiator done' '$T/a/serve.log' | tail -n 1 | grep -q 'we lack 0, peer lacks 0'"
ok "A stops cleanly" pks_stop "$T/a"
ok "B stops cleanly" pks_stop "$T/b"
ok "A's stats: the last recon with B, as initiator, ok" sh -c \
	"'$PKSYNC' -c '$T/a/pksync.conf' stats | grep '^127.0.0.1 $RB ' | grep -q ' initiator .* ok\$'"
ok "B's stats: a good recon with A, as responder" sh -c \
	"'$PKSYNC' -c '$T/b/pksync.conf' stats | grep '^127.0.0.1 $RA ' | grep ' responder ' | grep -qv ' never '"
ok "A: tree == keys" pks "$T/a" check
ok "B: tree == keys" pks "$T/b" check
tap_done
