#!/bin/bash
# recon.sh: SKS reconciliation benchmark, in one run on the same key sets:
# convergence time, messages and bytes to reconcile N synthetic keys with
# D differences (D/2 keys only on each side) for pksync-pksync, SKS-SKS
# and the mixed pairs; then the merge throughput of fetched keys while
# wrk loads the same pksync's HKP.  See bench/README ("recon.sh").
#
#   bench/recon.sh [--keys "10000"] [--diffs "100 1000"]
#                  [--pairs "pks-pks sks-sks pks-sks sks-pks"]
#                  [--merge-keys N] [--merge-secs S] [--no-merge]
#                  [--keep] [--work DIR]
#
# The pksync binary is $PKSYNC (else "pksync" on PATH).  Results are
# printed and written to bench/out/recon-DATE.txt.
set -u

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
. "$ROOT/tests/lib/sks.sh"
. "$ROOT/tests/lib/pksync.sh"
TOOLS=$ROOT/tests/tools

SIZES="10000"
DIFFS="100 1000"
PAIRS="pks-pks sks-sks pks-sks sks-pks"
MERGE_KEYS=10000
MERGE_SECS=5
MERGE=1
KEEP=0
W=
POOL=500               # extra keys per side available for differences
GOSSIP_S=3             # initiator's gossip interval (pksync: s, SKS: min)
LIMIT=300              # seconds one reconciliation may take
PROBE_S=0.05           # convergence poll interval (s)

usage() {
	sed -n '2,14s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--keys) SIZES=$2; shift ;;
	--diffs) DIFFS=$2; shift ;;
	--pairs) PAIRS=$2; shift ;;
	--merge-keys) MERGE_KEYS=$2; shift ;;
	--merge-secs) MERGE_SECS=$2; shift ;;
	--no-merge) MERGE=0 ;;
	--keep) KEEP=1 ;;
	--work) W=$2; shift ;;
	*) usage ;;
	esac
	shift
done

say() { printf '== %s\n' "$*" >&2; }
die() { printf 'recon bench: %s\n' "$*" >&2; exit 1; }

declare -A R
ROWS=()
FAILED=0

check_tools() {
	local t
	for t in wrk curl "$SKS" "$PY"; do
		command -v "$t" >/dev/null || die "missing tool: $t"
	done
	PKSYNC=${PKSYNC:-$(command -v pksync || true)}
	pks_check_pksync || die "no pksync binary: set PKSYNC=/path/to/pksync"
	PKSYNC=$(cd "$(dirname "$PKSYNC")" && pwd)/$(basename "$PKSYNC")
}

# Every process this run started has its pid file in $W/pids.
cleanup() {
	local f
	[ -n "$W" ] && [ -d "$W" ] || return
	for f in "$W"/*/serve.pid "$W"/*/*/serve.pid; do
		[ -e "$f" ] && pks_stop "$(dirname "$f")" >/dev/null 2>&1
	done
	for f in "$W"/*/*/recon.pid "$W"/*/*/db.pid; do
		[ -e "$f" ] && sks_stop "$(dirname "$f")" >/dev/null 2>&1
	done
	for f in "$W"/*/proxy.pid "$W"/*/probe.out.pid "$W"/wrk.pid; do
		[ -e "$f" ] && stop_pid "$f" 5
	done
	if [ "$KEEP" = 1 ]; then
		echo "work folder kept: $W" >&2
	else
		rm -rf "$W"
	fi
}

# ---- key sets ----

# keys N: common.gpg (0..N-1) and, per D, a_D.gpg (N..N+D/2-1) and
# b_D.gpg (N+POOL..N+POOL+D/2-1) with their SKS hashes (.hashes)
gen_keys() {
	local n=$1 d h k
	k=$W/k$n
	mkdir -p "$k"
	say "keygen: $n common keys"
	"$BENCH/keygen" -n "$n" -o "$k/common.gpg" -i "$k/common.idx" ||
		die "keygen failed"
	for d in $DIFFS; do
		h=$((d / 2))
		[ "$h" -le "$POOL" ] || die "a difference of $d is over 2 x $POOL"
		"$BENCH/keygen" -s "$n" -n "$h" -o "$k/a_$d.gpg" &&
			"$BENCH/keygen" -s $((n + POOL)) -n $((d - h)) \
			-o "$k/b_$d.gpg" || die "keygen failed"
		"$PY" "$TOOLS/pgpkeys.py" hash -c "$k/a_$d.gpg" >"$k/a_$d.hashes"
		"$PY" "$TOOLS/pgpkeys.py" hash -c "$k/b_$d.gpg" >"$k/b_$d.hashes"
	done
	say "pksync: template database of $n keys"
	pks_setup "$k/tmpl" >/dev/null || die "pks_setup failed"
	pks "$k/tmpl" import -q "$k/common.gpg" >"$k/tmpl/import.log" 2>&1 ||
		die "pksync import failed, see $k/tmpl/import.log"
}

# ---- the peers ----

# pks_peer DIR N D SIDE RECON_PORT PEER_PORT GOSSIP [FETCH_DELAY]
pks_peer() {
	local dir=$1 k=$W/k$2
	pks_setup "$dir" "$5" "$6" >/dev/null || return 1
	cp "$k"/tmpl/data/pksync.db* "$dir/data/" && pks_user_dir "$dir" ||
		return 1
	sed -i "s/^gossip_interval = .*/gossip_interval = $7/" "$dir/pksync.conf"
	[ -z "$8" ] || echo "fetch_delay = $8" >>"$dir/pksync.conf"
	pks "$dir" import -q "$k/$4_$3.gpg" >"$dir/import.log" 2>&1 &&
		pks_start "$dir" >/dev/null
}

# sks_peer DIR N D SIDE HKP RECON PEER_PORT GOSSIP_MIN
sks_peer() {
	local dir=$1 k=$W/k$2
	mkdir -p "$dir" && cat "$k/common.gpg" "$k/$4_$3.gpg" >"$dir/in.gpg" &&
		sks_setup "$dir" "$dir/in.gpg" "$5" "$6" "$7" || return 1
	sed -i "s/^gossip_interval:.*/gossip_interval: $8/" \
		"$dir/etc/sks/sksconf"
	rm -f "$dir/in.gpg"
	sks_start "$dir"
}

peer_http() {
	if [ -e "$1/http.port" ]; then pks_port "$1"; else sks_hkp_port "$1"; fi
}

stop_peer() {
	if [ -e "$1/pksync.conf" ]; then pks_stop "$1"; else sks_stop "$1"; fi
}

# has PORT HASHFILE: the server at PORT returns every hash of HASHFILE
has() {
	[ -s "$2" ] || return 0
	"$PY" "$TOOLS/pgpkeys.py" hashquery 127.0.0.1 "$1" "$2" 100 \
		>/dev/null 2>&1
}

# probe OUT HA HASHES_A HB HASHES_B: in the background, ask HA for every
# hash of HASHES_A and HB for those of HASHES_B (op=hashquery, 100 a
# request) every PROBE_S seconds, and write the wall clock time
# (time.time(), the proxy's clock) at which both answer with every key
# to OUT.  Only the key counts of the answers are looked at, and a
# poll asks each side only for its first incomplete hundred (the next
# one as soon as one is complete), so a poll costs the servers little
# and the probe adds no Python start-up or hashing to the time;
# what the keys are is checked once afterwards (has).
probe() {
	local out=$1
	shift
	spawn "$(dirname "$out")" "$out.pid" "$out" "$PY" -c 'import socket, struct, sys, time
def count(port, part):
    body = struct.pack(">I", len(part)) + b"".join(
        struct.pack(">I", 16) + bytes.fromhex(h) for h in part)
    s = socket.create_connection(("127.0.0.1", port), 10)
    s.sendall(b"POST /pks/hashquery HTTP/1.0\r\ncontent-length: %d\r\n\r\n"
              % len(body) + body)
    data = b""
    while len(data) < 1 << 27:
        c = s.recv(1 << 20)
        if not c:
            break
        data += c
    s.close()
    i = data.find(b"\r\n\r\n")
    if i < 0 or b" 200" not in data[:i] or len(data) < i + 8:
        return -1
    return struct.unpack(">I", data[i + 4:i + 8])[0]
limit, step = float(sys.argv[1]), float(sys.argv[2])
sides = []
for port, f in ((sys.argv[3], sys.argv[4]), (sys.argv[5], sys.argv[6])):
    hs = [l.strip() for l in open(f) if l.strip()]
    sides.append((int(port), [hs[i:i + 100] for i in range(0, len(hs), 100)]))
end = time.time() + limit
while any(b for _, b in sides) and time.time() < end:
    for port, batches in sides:
        while batches:
            try:
                n = count(port, batches[0])
            except OSError:
                n = -1
            if n != len(batches[0]):
                break
            batches.pop(0)
    if any(b for _, b in sides):
        time.sleep(step)
if not any(b for _, b in sides):
    print("%.3f" % time.time())' "$LIMIT" "$PROBE_S" "$@"
}

# proxy_done LOG: start time of the first session that reached Done
proxy_done() {
	"$PY" -c 'import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["done"] is not None:
        print("%.3f %.3f %d %d %d %d" % (r["start"], r["done"],
            r["c2s"]["frames"], r["s2c"]["frames"], r["c2s"]["bytes"],
            r["s2c"]["bytes"]))
        break' "$1" 2>/dev/null
}

# one N D PAIR: one reconciliation, a row of the table
one() {
	local n=$1 d=$2 pair=$3 dir k ra rb pp ha hb t0 tdone fi fo bi bo
	local now line i ok=0 kind_a kind_b gossip delay=
	dir=$W/r-$n-$d-$pair
	k=$W/k$n
	mkdir -p "$dir"
	ra=$(free_port); rb=$(free_port); pp=$(free_port)
	case $pair in
	pks-sks) kind_a=pks; kind_b=sks ;;
	sks-pks) kind_a=sks; kind_b=pks ;;
	pks-pks) kind_a=pks; kind_b=pks ;;
	pks-pks10) kind_a=pks; kind_b=pks; delay=10 ;;
	sks-sks) kind_a=sks; kind_b=sks ;;
	*) die "unknown pair $pair" ;;
	esac
	say "$n keys, $d differences, $pair"
	# B (responder) first, then the proxy, then A (initiator)
	if [ $kind_b = pks ]; then
		pks_peer "$dir/b" "$n" "$d" b "$rb" "$ra" 86400 "$delay"
	else
		sks_peer "$dir/b" "$n" "$d" b "$(free_port)" "$rb" "$ra" 100
	fi || { echo "peer B failed to start ($dir/b)" >&2; return 1; }
	spawn "$dir" "$dir/proxy.pid" "$dir/proxy.out" "$PY" \
		"$TOOLS/reconproxy.py" "$pp" "$rb" "$dir/proxy.log" ||
		return 1
	wait_port "$pp" 10 || return 1
	gossip=$GOSSIP_S
	if [ $kind_a = pks ]; then
		pks_peer "$dir/a" "$n" "$d" a "$ra" "$pp" "$gossip" "$delay"
	else
		gossip=$(awk -v s="$GOSSIP_S" 'BEGIN { printf "%.3f", s / 60 }')
		sks_peer "$dir/a" "$n" "$d" a "$(free_port)" "$ra" "$pp" "$gossip"
	fi || { echo "peer A failed to start ($dir/a)" >&2; return 1; }
	ha=$(peer_http "$dir/a"); hb=$(peer_http "$dir/b")
	probe "$dir/probe.out" "$ha" "$k/b_$d.hashes" "$hb" "$k/a_$d.hashes" ||
		return 1
	for ((i = 0; i < LIMIT * 10; i++)); do
		pid_alive "$(cat "$dir/probe.out.pid")" || break
		sleep 0.1
	done
	now=$(cat "$dir/probe.out" 2>/dev/null)
	line=
	[ -s "$dir/proxy.log" ] && line=$(proxy_done "$dir/proxy.log")
	if [ -n "$line" ] && [ -n "$now" ]; then
		read -r t0 tdone fi fo bi bo <<<"$line"
		# what the keys are, checked once (not timed)
		has "$ha" "$k/b_$d.hashes" && has "$hb" "$k/a_$d.hashes" && ok=1
	fi
	if [ "$ok" = 1 ]; then
		ROWS+=("$(printf '%-7s %5s  %-8s %9.0f %8.1f %6d %6d %10d %10d' \
			"$n" "$d" "$pair" \
			"$(awk -v a="$tdone" -v b="$t0" 'BEGIN { print (a - b) * 1000 }')" \
			"$(awk -v a="$now" -v b="$t0" 'BEGIN { print a - b }')" \
			"$fi" "$fo" "$bi" "$bo")")
	else
		ROWS+=("$(printf '%-7s %5s  %-8s  FAILED (see %s)' "$n" "$d" \
			"$pair" "$dir")")
		FAILED=1
	fi
	stop_peer "$dir/a" >/dev/null 2>&1
	stop_peer "$dir/b" >/dev/null 2>&1
	stop_pid "$dir/proxy.pid" 5
	stop_pid "$dir/probe.out.pid" 5
	[ "$KEEP" = 1 ] || [ "$ok" = 0 ] || rm -rf "$dir"
	echo "${ROWS[-1]}" >&2
}

# ---- merge throughput under HKP load ----

# wrk_run NAME PORT SECS: req/s and p99 into R[NAME.rps], R[NAME.p99]
wrk_run() {
	wrk -t2 -c32 -d"$3s" --latency -s "$BENCH/paths.lua" \
		"http://127.0.0.1:$2" -- "$W/merge.paths" >"$W/$1.wrk" 2>&1
	R[$1.rps]=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$W/$1.wrk")
	R[$1.p99]=$(awk '$1 == "99%" { print $2 }' "$W/$1.wrk")
}

merge_bench() {
	local n=10000 m=$MERGE_KEYS dir ra rb line i ms
	dir=$W/merge
	mkdir -p "$dir"
	say "merge: pksync fetches $m keys from pksync while wrk runs"
	[ -d "$W/k$n" ] || gen_keys "$n"
	"$BENCH/keygen" -s "$n" -n "$m" -o "$dir/extra.gpg" ||
		die "keygen failed"
	awk '{ print "/pks/lookup?op=get&options=mr&search=0x" $1 }' \
		"$W/k$n/common.idx" >"$W/merge.paths"
	ra=$(free_port); rb=$(free_port)
	pks_setup "$dir/b" "$rb" "$ra" >/dev/null &&
		cp "$W/k$n"/tmpl/data/pksync.db* "$dir/b/data/" &&
		pks_user_dir "$dir/b" &&
		sed -i "s/^gossip_interval = .*/gossip_interval = 86400/" \
			"$dir/b/pksync.conf" &&
		pks "$dir/b" import -q "$dir/extra.gpg" >/dev/null 2>&1 &&
		pks_start "$dir/b" >/dev/null || { echo "merge: B failed" >&2; return 1; }
	pks_setup "$dir/a" "$ra" "$rb" >/dev/null &&
		cp "$W/k$n"/tmpl/data/pksync.db* "$dir/a/data/" &&
		pks_user_dir "$dir/a" &&
		sed -i "s/^gossip_interval = .*/gossip_interval = 86400/" \
			"$dir/a/pksync.conf" &&
		pks_start "$dir/a" >/dev/null || { echo "merge: A failed" >&2; return 1; }
	wrk_run idle "$(pks_port "$dir/a")" "$MERGE_SECS"
	pks_stop "$dir/a" >/dev/null
	sed -i "s/^gossip_interval = .*/gossip_interval = 1/" "$dir/a/pksync.conf"
	pks_start "$dir/a" >/dev/null || return 1
	line=
	for ((i = 0; i < 600; i++)); do
		grep -q 'as initiator done' "$dir/a/serve.log" && break
		sleep 0.05
	done
	# wrk from Done until the fetch is logged, then SIGINT (wrk prints
	# its summary when interrupted)
	spawn "$W" "$W/wrk.pid" "$W/busy.wrk" wrk -t2 -c32 -d600s --latency \
		-s "$BENCH/paths.lua" "http://127.0.0.1:$(pks_port "$dir/a")" \
		-- "$W/merge.paths" || return 1
	for ((i = 0; i < 6000; i++)); do
		grep -q 'recon: fetched from' "$dir/a/serve.log" && break
		sleep 0.05
	done
	kill -INT "$(cat "$W/wrk.pid")"
	for ((i = 0; i < 100; i++)); do
		pid_alive "$(cat "$W/wrk.pid")" || break
		sleep 0.1
	done
	rm -f "$W/wrk.pid"
	R[busy.rps]=$(awk '/^Requests\/sec/ { printf "%.0f", $2 }' "$W/busy.wrk")
	R[busy.p99]=$(awk '$1 == "99%" { print $2 }' "$W/busy.wrk")
	line=$(grep -m1 'recon: fetched from' "$dir/a/serve.log")
	R[merge.line]=$line
	ms=$(sed -n 's/.*, \([0-9][0-9]*\) ms$/\1/p' <<<"$line")
	R[merge.new]=$(sed -n 's/.* new=\([0-9]*\).*/\1/p' <<<"$line")
	R[merge.ms]=$ms
	if [ -n "$ms" ] && [ "$ms" -gt 0 ]; then
		R[merge.kps]=$(awk -v k="${R[merge.new]}" -v t="$ms" \
			'BEGIN { printf "%.0f", k * 1000 / t }')
	fi
	pks_stop "$dir/a" >/dev/null
	pks_stop "$dir/b" >/dev/null
	[ "$KEEP" = 1 ] || rm -rf "$dir"
}

report() {
	local r
	echo "pksync recon benchmark $(date '+%Y-%m-%d %H:%M')  nproc=$(nproc)" \
		"load=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "pksync: $PKSYNC"
	echo
	echo "pair: initiator-responder (A connects through a logging proxy to B)."
	echo "pksync responders fetch at once (fetch_delay 0, the default; pks-pks10:"
	echo "fetch_delay = 10, as SKS); an SKS responder fetches 10 s after the session."
	echo "recon ms: connect to Done; total s (the convergence time): connect until both sides"
	echo "serve every key of the other side (op=hashquery, counts polled every ${PROBE_S} s"
	echo "by one process from the start; the keys are checked afterwards)."
	echo "msgs/bytes: recon frames (incl. Config and verdicts) and bytes,"
	echo "A->B (initiator) and B->A (responder); the HTTP key fetch is not counted."
	echo
	printf '%-7s %5s  %-8s %9s %8s %6s %6s %10s %10s\n' keys diffs pair \
		"recon ms" "total s" "msgs>" "msgs<" "bytes>" "bytes<"
	for r in "${ROWS[@]}"; do
		echo "$r"
	done
	if [ "$MERGE" = 1 ]; then
		echo
		echo "merge under load: pksync (10000 keys) fetches $MERGE_KEYS keys" \
			"from pksync while wrk -t2 -c32 GETs"
		echo "  random keys from it (options=mr) from Done until the fetch is"
		echo "  logged (idle: the same wrk for ${MERGE_SECS} s before the recon):"
		echo "  keys merged ${R[merge.new]:--} in ${R[merge.ms]:--} ms:" \
			"${R[merge.kps]:--} keys/s"
		echo "  HKP during the fetch: ${R[busy.rps]:--} req/s, p99" \
			"${R[busy.p99]:--}; idle: ${R[idle.rps]:--} req/s, p99" \
			"${R[idle.p99]:--}"
		echo "  log: ${R[merge.line]:--}"
	fi
}

main() {
	local n d p out
	check_tools
	[ -n "$W" ] || W=$(mktemp -d /tmp/pkr.XXXXXX)
	mkdir -p "$W"
	W=$(cd "$W" && pwd)
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	make -s -C "$BENCH" keygen || die "cannot build bench/keygen"
	for n in $SIZES; do
		gen_keys "$n"
		for d in $DIFFS; do
			for p in $PAIRS; do
				one "$n" "$d" "$p" || FAILED=1
			done
		done
	done
	[ "$MERGE" = 1 ] && { merge_bench || FAILED=1; }
	mkdir -p "$BENCH/out"
	out=$BENCH/out/recon-$(date +%Y%m%d-%H%M%S).txt
	report | tee "$out"
	echo "written to $out" >&2
	return $FAILED
}

main
