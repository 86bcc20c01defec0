# recon_pair.sh: two pksync instances reconcile with each other.  A holds
# debian-keyring.gpg minus every 20th key (index % 20 == 3), B minus
# another twentieth (== 11); A gossips to B every 2 s.  Both must end
# with all 905 SKS hashes, and their prefix trees must still match
# their keys (pksync check).
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"
. "$PKS_SRCDIR/tests/lib/recon.sh"

recon_keyring

test_dir prp
at_exit 'recon_pair_stop "$T"'

"$PY" "$TOOLS/pgpkeys.py" hash -c "$KEYRING" | sort >"$T/all.hashes"
"$PY" "$TOOLS/keysplit.py" "$KEYRING" "$T/a.pgp" 20 3 >/dev/null
"$PY" "$TOOLS/keysplit.py" "$KEYRING" "$T/b.pgp" 20 11 >/dev/null

recon_pair_setup "$T" 2 86400
ok "import A" pks "$T/a" import -q "$T/a.pgp"
ok "import B" pks "$T/b" import -q "$T/b.pgp"
recon_pair_start "$T"

ok "both instances serve all 905 hashes" recon_converged "$T/all.hashes" 60
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
