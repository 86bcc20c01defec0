# recon_sks.sh: pksync reconciles with a real SKS 1.1.6 on 127.0.0.1.
# SKS is built from debian-keyring.gpg minus every 20th key (index % 20
# == 3), pksync from the keyring minus another twentieth (index % 20 ==
# 11); after recon both must hold the same set of SKS hashes, all 905:
#  1. pksync initiating (SKS does not gossip: interval 100 minutes);
#  2. SKS initiating (pksync does not gossip), with a fresh pair;
#  3. an empty pksync catches up with the full SKS;
#  4. pksync refuses a peer offering other filters with SKS's reason
#     text, and drops garbage, an over-long frame and a silent peer
#     while HKP keeps answering and a later recon still works.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/sks.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"

need_keyring
need_sks
PY=/usr/bin/python3
TOOLS=$PKS_SRCDIR/tests/tools

test_dir prs
at_exit 'for d in "$T"/p1 "$T"/p2 "$T"/p3; do pks_stop "$d"; done'
at_exit 'for d in "$T"/s1 "$T"/s2; do sks_stop "$d"; done'

"$PY" "$TOOLS/pgpkeys.py" hash -c "$KEYRING" | sort >"$T/all.hashes"
"$PY" "$TOOLS/keysplit.py" "$KEYRING" "$T/sks.pgp" 20 3 >/dev/null
"$PY" "$TOOLS/keysplit.py" "$KEYRING" "$T/pks.pgp" 20 11 >/dev/null
is "905 keys in the keyring" "$(wc -l <"$T/all.hashes")" 905

# sks_gossip DIR MINUTES: set SKS's gossip interval (sksconf, minutes)
sks_gossip() {
	sed -i "s/^gossip_interval:.*/gossip_interval: $2/" "$1/etc/sks/sksconf"
}

# pks_fast DIR: short recon waits for the tests ([recon] is the last
# section pks_setup writes): fetch after 1 s, drop a silent peer after 3 s
pks_fast() {
	printf '%s\n' 'fetch_delay = 1' 'config_timeout = 3' 'read_timeout = 3' \
		>>"$1/pksync.conf"
}

# pks_gossip DIR SECONDS
pks_gossip() {
	sed -i "s/^gossip_interval = .*/gossip_interval = $2/" "$1/pksync.conf"
}

# pks_hashes DIR: pksync's SKS hashes, from a dump, sorted
pks_hashes() {
	rm -rf "$1/dump" && pks "$1" dump "$1/dump" >/dev/null 2>&1 &&
		"$PY" "$TOOLS/pgpkeys.py" hash "$1"/dump/*.pgp | sort
}

# converged HKP_PORT_A HKP_PORT_B SECONDS: both serve all 905 hashes
converged() {
	local i
	for ((i = 0; i < $3; i++)); do
		if "$PY" "$TOOLS/pgpkeys.py" hashquery 127.0.0.1 "$1" \
			"$T/all.hashes" 100 >/dev/null 2>&1 &&
		   "$PY" "$TOOLS/pgpkeys.py" hashquery 127.0.0.1 "$2" \
			"$T/all.hashes" 100 >/dev/null 2>&1; then
			return 0
		fi
		sleep 1
	done
	return 1
}

same_sets() {
	pks_hashes "$1" >"$T/p.hashes" && sks_all_hashes "$2" >"$T/s.hashes" &&
		cmp "$T/p.hashes" "$T/all.hashes" && cmp "$T/s.hashes" "$T/all.hashes"
}

# ---- 1. pksync initiates ----
PR1=$(free_port); SR1=$(free_port); SH1=$(free_port)
ok "sks build (860 keys)" sks_setup "$T/s1" "$T/sks.pgp" "$SH1" "$SR1" "$PR1"
sks_gossip "$T/s1" 100
pks_setup "$T/p1" "$PR1" "$SR1" || bail "pks_setup"
pks_fast "$T/p1"
pks_gossip "$T/p1" 3
ok "pksync import (860 keys)" pks "$T/p1" import -q "$T/pks.pgp"
ok "pksync check: tree == keys" pks "$T/p1" check
sks_start "$T/s1" || bail "sks start"
pks_start "$T/p1" || bail "pksync start"
P1=$PKS_PORT
ok "pksync initiating: both sides serve all 905 hashes" converged "$P1" "$SH1" 120
ok "pksync log: a session as initiator" grep -q "as initiator done" "$T/p1/serve.log"
ok "pksync check after recon: tree == keys" pks "$T/p1" check
pks_stop "$T/p1"
ok "pksync initiating: the same 905 hashes on both sides" same_sets "$T/p1" "$T/s1"
sks_stop "$T/s1"

# ---- 2. SKS initiates ----
PR2=$(free_port); SR2=$(free_port); SH2=$(free_port)
ok "sks build (860 keys)" sks_setup "$T/s2" "$T/sks.pgp" "$SH2" "$SR2" "$PR2"
sks_gossip "$T/s2" 0.1
pks_setup "$T/p2" "$PR2" "$SR2" || bail "pks_setup"
pks_fast "$T/p2"
pks_gossip "$T/p2" 86400
ok "pksync import (860 keys)" pks "$T/p2" import -q "$T/pks.pgp"
pks_start "$T/p2" || bail "pksync start"
P2=$PKS_PORT
sks_start "$T/s2" || bail "sks start"
ok "SKS initiating: both sides serve all 905 hashes" converged "$P2" "$SH2" 150
ok "pksync log: a session as responder" grep -q "as responder done" "$T/p2/serve.log"
ok "stats page: gossip peer row in SKS layout" sh -c \
	"curl -s 'http://127.0.0.1:$P2/pks/lookup?op=stats' | grep -q '<tr><td>127.0.0.1 $SR2</td></tr>'"

# ---- 4. misbehaving peers against the running pksync p2 ----
out=$("$PY" "$TOOLS/reconpeer.py" filters 127.0.0.1 "$PR2" 2>&1)
want=$(printf 'failed\nfilters do not match.\n\tlocal filters: [ yminsky.dedup yminsky.merge ]\n\tremote filters: [ yminsky.dedup ]')
is "other filters refused with SKS's reason text" "$out" "$want"
ok "garbage: connection dropped" "$PY" "$TOOLS/reconpeer.py" garbage 127.0.0.1 "$PR2"
ok "over-long frame: connection dropped" "$PY" "$TOOLS/reconpeer.py" long 127.0.0.1 "$PR2"
"$PY" "$TOOLS/reconpeer.py" silent 127.0.0.1 "$PR2" 30 &
sil=$!
ok "HKP answers while a silent peer holds recon" \
	curl -sf -o /dev/null "http://127.0.0.1:$P2/pks/lookup?op=stats"
ok "silent peer: dropped after the timeout" wait "$sil"
ok "pksync log: the failures were logged" sh -c \
	"grep -q 'message too long' '$T/p2/serve.log' && grep -q 'read timeout' '$T/p2/serve.log'"
ok "pksync serve still running" pid_alive "$(cat "$T/p2/serve.pid")"
pks_stop "$T/p2"
sks_stop "$T/s2"

# ---- 3. an empty pksync catches up with the full SKS (s1) ----
pks_setup "$T/p3" "$PR1" "$SR1" || bail "pks_setup"
pks_fast "$T/p3"
pks_gossip "$T/p3" 2
sks_start "$T/s1" || bail "sks start"
pks_start "$T/p3" || bail "pksync start"
ok "empty pksync catches up: all 905 hashes" converged "$PKS_PORT" "$SH1" 120
ok "recon-peer list shows the SKS peer" sh -c \
	"'$PKSYNC' -c '$T/p3/pksync.conf' recon-peer list | grep -qx '127.0.0.1 $SR1'"
ok "pksync stats shows the last recon" sh -c \
	"'$PKSYNC' -c '$T/p3/pksync.conf' stats | grep -q '127.0.0.1 $SR1'"
pks_stop "$T/p3"
ok "pksync check after catching up" pks "$T/p3" check
sks_stop "$T/s1"
tap_done
