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

KEYRING=/usr/share/keyrings/debian-keyring.gpg
[ -r "$KEYRING" ] || skip_all "debian-keyring not installed"
PY=/usr/bin/python3
TOOLS=$PKS_SRCDIR/tests/tools

T=$(mktemp -d /tmp/prc.XXXXXX)
TAP_TMP=$T
cleanup() {
	local d
	for d in a b; do
		[ -s "$T/$d/serve.pid" ] && kill -CONT "$(cat "$T/$d/serve.pid")" 2>/dev/null
		pks_stop "$T/$d" >/dev/null 2>&1
	done
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

# keys KEYRING_INDEX_REMAINDER OUT: the keys with index % 20 == R
keys() {
	local r=$1 out=$2 i rems=
	for ((i = 0; i < 20; i++)); do
		[ "$i" = "$r" ] || rems="$rems $i"
	done
	"$PY" "$TOOLS/keysplit.py" "$KEYRING" "$out" 20 $rems >/dev/null &&
		"$PY" "$TOOLS/pgpkeys.py" hash -c "$out" >"$out.hashes"
}

RA=$(free_port); RB=$(free_port)
for d in a b; do
	[ $d = a ] && set -- "$RA" "$RB" || set -- "$RB" "$RA"
	pks_setup "$T/$d" "$1" "$2" || { echo "Bail out! pks_setup"; exit 1; }
	sed -i 's/^gossip_interval = .*/gossip_interval = 2/' "$T/$d/pksync.conf"
	echo 'config_timeout = 45' >>"$T/$d/pksync.conf"
done
pks_start "$T/a" || { echo "Bail out! start A"; exit 1; }
PA=$PKS_PORT
pks_start "$T/b" || { echo "Bail out! start B"; exit 1; }
PB=$PKS_PORT
A=$(cat "$T/a/serve.pid"); B=$(cat "$T/b/serve.pid")
: >"$T/want.hashes"

# both serve every hash of want.hashes (polled; a generous limit)
converged() {
	local i
	for ((i = 0; i < 120; i++)); do
		if "$PY" "$TOOLS/pgpkeys.py" hashquery 127.0.0.1 "$PA" \
			"$T/want.hashes" 100 >/dev/null 2>&1 &&
		   "$PY" "$TOOLS/pgpkeys.py" hashquery 127.0.0.1 "$PB" \
			"$T/want.hashes" 100 >/dev/null 2>&1; then
			return 0
		fi
		sleep 1
	done
	return 1
}

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
	converged
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
