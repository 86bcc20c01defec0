# recon_collide.sh: two pksync instances that gossip to each other never
# wait on each other.  Both gossip every 2 s.  Each round gives each side
# keys of its own (a twentieth of debian-keyring each), then freezes both
# with SIGSTOP past their gossip time and resumes both with one kill, so
# both connect to each other at the same moment; one round freezes only
# B while A gossips to it.  config_timeout is SKS's 45 s, so a session
# that waited for the other side's Config would end in a timeout: after
# every round both must serve every key, and no session may have ended
# in a timeout.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"
. "$PKS_SRCDIR/tests/lib/recon.sh"

recon_keyring

test_dir prc
at_exit 'recon_pair_stop "$T"'

# keys KEYRING_INDEX_REMAINDER OUT: the keys with index % 20 == R
keys() {
	local r=$1 out=$2 i rems=
	for ((i = 0; i < 20; i++)); do
		[ "$i" = "$r" ] || rems="$rems $i"
	done
	"$PY" "$TOOLS/keysplit.py" "$KEYRING" "$out" 20 $rems >/dev/null &&
		"$PY" "$TOOLS/pgpkeys.py" hash -c "$out" >"$out.hashes"
}

recon_pair_setup "$T" 2 2 'config_timeout = 45'
recon_pair_start "$T"
A=$(cat "$T/a/serve.pid"); B=$(cat "$T/b/serve.pid")
: >"$T/want.hashes"

# round N FROZEN...: new keys on each side, freeze FROZEN past the
# gossip time, resume them together, wait for both to hold everything
round() {
	local n=$1
	shift
	keys "$n" "$T/a$n.pgp" && keys $((n + 10)) "$T/b$n.pgp" || return 1
	pks "$T/a" import -q "$T/a$n.pgp" && pks "$T/b" import -q "$T/b$n.pgp" ||
		return 1
	cat "$T/a$n.pgp.hashes" "$T/b$n.pgp.hashes" >>"$T/want.hashes"
	kill -STOP "$@"
	sleep 5
	kill -CONT "$@"
	# both serve every hash of want.hashes (a generous limit)
	recon_converged "$T/want.hashes" 120
}

ok "round 1 (both frozen, resumed together): both hold every key" round 1 "$A" "$B"
ok "round 2 (both frozen, resumed together): both hold every key" round 2 "$A" "$B"
ok "round 3 (B frozen while A gossips): both hold every key" round 3 "$B"
ok "round 4 (both frozen, resumed together): both hold every key" round 4 "$A" "$B"
ok "round 5 (A frozen while B gossips): both hold every key" round 5 "$A"

for d in a b; do
	grep 'recon: session with' "$T/$d/serve.log" >"$T/$d.sessions"
	diag "$d: $(grep -c ' done' "$T/$d.sessions") sessions done," \
		"$(grep -c ' failed' "$T/$d.sessions") failed," \
		"$(grep -c 'connected while busy: refused' "$T/$d/serve.log") refused as busy," \
		"$(grep -c 'peer busy; trying again' "$T/$d/serve.log") quick retries"
	is "$d: no session ended in a timeout" \
		"$(grep ' failed' "$T/$d.sessions" | grep -i 'timeout')" ""
done
ok "A stops cleanly" pks_stop "$T/a"
ok "B stops cleanly" pks_stop "$T/b"
ok "A: tree == keys" pks "$T/a" check
ok "B: tree == keys" pks "$T/b" check
tap_done
