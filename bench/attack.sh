#!/bin/bash
# attack.sh: the three HTTP starvation attacks of tests/integration/
# hkp_attack.sh, and the hostile recon peer, against pksync and against
# SKS 1.1.6 on this machine, in one run.  Prints one line per attack
# and server: probes answered / total (op=get from 127.0.0.2, each
# within 1 s), worst probe latency, peak resident memory of the server.
#   bench/attack.sh [SECONDS]        (default 15 s per attack)
# The two keys that match "debian" carry 2,100 junk certifications each
# (SKS drops unsigned photo IDs, so the test suite's padding would not
# reach it): about 12 MB of armor per answer from either server.
# Needs: sks, gpg, curl, Debian's /usr/bin/python3; $PKSYNC (the binary).
set -u
SRC=$(cd "$(dirname "$0")/.." && pwd)
export PKS_SRCDIR=$SRC
. "$SRC/tests/lib/pksync.sh"
. "$SRC/tests/lib/sks.sh"
PY=/usr/bin/python3
TOOLS=$SRC/tests/tools
DATA=$SRC/tests/data/pgp
SECS=${1:-15}
T=$(mktemp -d /tmp/bat.XXXXXX)
trap 'pks_stop "$T/p" >/dev/null 2>&1; sks_stop "$T/k" >/dev/null 2>&1; rm -rf "$T"' EXIT

"$PY" "$TOOLS/hkpattack.py" padsigs "$DATA/rsa-2uid.pgp" "$T/big1.pgp" 2100
"$PY" "$TOOLS/hkpattack.py" padsigs "$DATA/rsa-small.pgp" "$T/big2.pgp" 2100
cat "$T/big1.pgp" "$T/big2.pgp" "$DATA/eddsa.pgp" >"$T/ring.pgp"
FPR=$(gpg --with-colons --show-keys "$DATA/eddsa.pgp" 2>/dev/null |
	awk -F: '/^fpr/ { print $10; exit }')
PROBE="/pks/lookup?op=get&options=mr&search=0x$FPR"
BIG="/pks/lookup?op=get&options=mr&search=debian"

RH=$(free_port)   # the hostile recon peer, a member of both
RP=$(free_port)
pks_setup "$T/p" "$RP" "$RH" >/dev/null && pks "$T/p" import -q "$T/ring.pgp"
sed -i 's/^gossip_interval = .*/gossip_interval = 15/' "$T/p/pksync.conf"
RK=$(free_port)
sks_setup "$T/k" "$T/ring.pgp" "$(free_port)" "$RK" "$RH" >/dev/null ||
	{ echo "sks_setup failed"; exit 1; }

line() { # NAME JSON
	"$PY" - "$1" "$2" <<'PYEOF'
import json, sys
r = json.loads(sys.argv[2])
print("%-8s %-12s answered %3d/%-3d worst %7.0f ms  peak RSS %7.1f MiB  (attack opened %d)"
      % (sys.argv[1], r["mode"], r["answered"], r["probes"], r["worst_ms"],
         r["rss_peak_kib"] / 1024.0, r["opened"]))
PYEOF
}

run() { # SERVER MODE CONNS [opts]
	local srv=$1 mode=$2 conns=$3 port pid
	shift 3
	if [ "$srv" = pksync ]; then
		pks_stop "$T/p" >/dev/null 2>&1
		pks_start "$T/p" >/dev/null || return 1
		port=$PKS_PORT pid=$(cat "$T/p/serve.pid")
	else
		sks_stop "$T/k" >/dev/null 2>&1
		sks_start "$T/k" >/dev/null || return 1
		port=$(sks_hkp_port "$T/k") pid=$(cat "$T/k/db.pid")
	fi
	echo "$srv $mode: big answer $(curl -s -o /dev/null -m 30 -w '%{size_download}' "http://127.0.0.1:$port$BIG") bytes" >&2
	out=$("$PY" "$TOOLS/hkpattack.py" run "$mode" 127.0.0.1 "$port" \
		--conns "$conns" --seconds "$SECS" --probe-src 127.0.0.2 \
		--probe-path "$PROBE" --pid "$pid" "$@")
	line "$srv" "$out"
}

# The hostile recon peer: it waits for the server's gossip (the server
# connects; both gossip every 15 s) and connects itself, each time
# sending 20 Elements messages of 16 MB after the config exchange,
# while the probe asks op=get for 40 s.  Memory: the process that runs
# recon (pksync serve; sks recon).
recon_attack() { # SERVER
	local srv=$1 port pid rport
	if [ "$srv" = pksync ]; then
		pks_stop "$T/p" >/dev/null 2>&1
		pks_start "$T/p" >/dev/null || return 1
		port=$PKS_PORT pid=$(cat "$T/p/serve.pid") rport=$RP
	else
		sks_stop "$T/k" >/dev/null 2>&1
		sks_start "$T/k" >/dev/null || return 1
		port=$(sks_hkp_port "$T/k") pid=$(cat "$T/k/recon.pid") rport=$RK
	fi
	timeout 60 "$PY" "$TOOLS/reconpeer.py" flood-listen 127.0.0.1 "$RH" 20 \
		>/dev/null 2>&1 &
	(sleep 2; timeout 50 "$PY" "$TOOLS/reconpeer.py" flood 127.0.0.1 \
		"$rport" 20 >/dev/null 2>&1) &
	out=$("$PY" "$TOOLS/hkpattack.py" run slowloris 127.0.0.1 "$port" \
		--conns 0 --warmup 0 --seconds 40 --probe-src 127.0.0.2 \
		--probe-path "$PROBE" --pid "$pid")
	wait
	line "$srv" "$(echo "$out" | sed 's/"slowloris"/"recon-flood"/')"
}

for srv in pksync sks; do
	run "$srv" slowloris 1100
	run "$srv" slowread 40 --path "$BIG" --reopen 1
	run "$srv" stallupload 40 --reopen 1
	recon_attack "$srv"
done
