# recon.sh: two pksync instances that reconcile with each other, for the
# recon integration tests.  Source it from bash after tap.sh and
# pksync.sh:  . "$PKS_SRCDIR/tests/lib/recon.sh"
#
#   recon_keyring        KEYRING: debian-keyring.gpg, the keys the tests
#                        split between the two; skips the test without it
#   recon_pair_setup DIR GOSSIP_A GOSSIP_B [CONF_LINE...]
#                        DIR/a and DIR/b (pks_setup), each the other's only
#                        recon member on free ports (sets RA, RB), with
#                        gossip intervals GOSSIP_A and GOSSIP_B (s) and each
#                        CONF_LINE appended to both [recon] sections
#   recon_pair_start DIR start A then B; sets PA and PB (their HTTP ports)
#   recon_pair_stop DIR  resume both if stopped, stop both (for cleanup)
#   recon_converged HASHFILE TRIES
#                        both serve every hash of HASHFILE (op=hashquery),
#                        polled once a second, TRIES times at most
#
# A failed set-up or start bails out of the test.  PY and TOOLS are
# the Python and tests/tools the tests use.

PY=/usr/bin/python3
TOOLS=$PKS_SRCDIR/tests/tools

recon_keyring() {
	KEYRING=/usr/share/keyrings/debian-keyring.gpg
	[ -r "$KEYRING" ] || skip_all "debian-keyring not installed"
}

recon_pair_setup() {
	local dir=$1 ga=$2 gb=$3 d line
	shift 3
	RA=$(free_port)
	RB=$(free_port)
	pks_setup "$dir/a" "$RA" "$RB" && pks_setup "$dir/b" "$RB" "$RA" ||
		{ echo "Bail out! pks_setup"; exit 1; }
	sed -i "s/^gossip_interval = .*/gossip_interval = $ga/" "$dir/a/pksync.conf"
	sed -i "s/^gossip_interval = .*/gossip_interval = $gb/" "$dir/b/pksync.conf"
	for d in a b; do
		for line in "$@"; do
			echo "$line" >>"$dir/$d/pksync.conf"
		done
	done
}

recon_pair_start() {
	local dir=$1
	pks_start "$dir/a" || { echo "Bail out! start A"; exit 1; }
	PA=$PKS_PORT
	pks_start "$dir/b" || { echo "Bail out! start B"; exit 1; }
	PB=$PKS_PORT
}

recon_pair_stop() {
	local dir=$1 d
	for d in a b; do
		[ -s "$dir/$d/serve.pid" ] &&
			kill -CONT "$(cat "$dir/$d/serve.pid")" 2>/dev/null
		pks_stop "$dir/$d" >/dev/null 2>&1
	done
}

# recon_has PORT HASHFILE: the server at PORT returns every hash
recon_has() {
	"$PY" "$TOOLS/pgpkeys.py" hashquery 127.0.0.1 "$1" "$2" \
		100 >/dev/null 2>&1
}

recon_converged() {
	local hashes=$1 tries=$2 i
	for ((i = 0; i < tries; i++)); do
		recon_has "$PA" "$hashes" && recon_has "$PB" "$hashes" && return 0
		sleep 1
	done
	return 1
}
