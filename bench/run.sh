#!/bin/bash
# run.sh: pksync next to SKS and nginx on the same synthetic keys, in one
# run: generate keys, load them into each server (timed), then wrk op=get
# against all three and op=index against pksync and SKS.  See bench/README.
#
#   bench/run.sh [--keys N] [--duration SECS] [--connections C] [--threads T]
#                [--without-pksync] [--keep] [--work DIR]
#
# The pksync binary is $PKSYNC (else "pksync" on PATH); $PKSYNC_BEFORE, if
# set, is a second one measured on debian-keyring beside it.  Keys already
# in --work DIR (keys.gpg, keys.idx, www/keys) are reused.  Results are
# printed and written to bench/out/results-DATE.txt.
set -u

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
. "$ROOT/tests/lib/sks.sh"
. "$ROOT/tests/lib/pksync.sh"
. "$BENCH/lib.sh"

KEYS=10000
DUR=10
CONNS=64
THREADS=2
WITH_PKS=1
KEEP=0
W=
DEBIAN_RING=/usr/share/keyrings/debian-keyring.gpg

usage() {
	sed -n '2,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--keys) KEYS=$2; shift ;;
	--duration) DUR=$2; shift ;;
	--connections) CONNS=$2; shift ;;
	--threads) THREADS=$2; shift ;;
	--without-pksync) WITH_PKS=0 ;;
	--keep) KEEP=1 ;;
	--work) W=$2; shift ;;
	*) usage ;;
	esac
	shift
done

say() { printf '== %s\n' "$*"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 1; }

# R[name]=value: every number that ends up in the table
declare -A R
PKS_FAILED=

pks_fail() {
	PKS_FAILED="$PKS_FAILED $1"
	echo "bench: pksync $1 FAILED: $2" >&2
}

check_tools() {
	local t
	for t in wrk nginx curl "$SKS" /usr/bin/time; do
		command -v "$t" >/dev/null || die "missing tool: $t"
	done
	if [ "$WITH_PKS" = 1 ]; then
		PKSYNC=${PKSYNC:-$(command -v pksync || true)}
		pks_check_pksync ||
			die "no pksync binary: set PKSYNC=/path/to/pksync (or use --without-pksync)"
		PKSYNC=$(cd "$(dirname "$PKSYNC")" && pwd)/$(basename "$PKSYNC")
	fi
}

cleanup() {
	[ -n "$W" ] || return
	[ -d "$W/pks" ] && pks_stop "$W/pks" >/dev/null 2>&1
	[ -d "$W/sks" ] && sks_stop "$W/sks" >/dev/null 2>&1
	[ -d "$W/sksd" ] && sks_stop "$W/sksd" >/dev/null 2>&1
	[ -d "$W/pksd" ] && pks_stop "$W/pksd" >/dev/null 2>&1
	[ -d "$W/pksb" ] && pks_stop "$W/pksb" >/dev/null 2>&1
	[ -d "$W/pksnc" ] && pks_stop "$W/pksnc" >/dev/null 2>&1
	[ -d "$W/nginx" ] && stop_pid "$W/nginx/master.pid" 10
	if [ "$KEEP" = 1 ]; then
		echo "work folder kept: $W"
	else
		rm -rf "$W"
	fi
}

# timed NAME CMD...: seconds and peak RSS (KiB) into R[NAME.s], R[NAME.kb]
timed() {
	local name=$1 rc u sys
	shift
	/usr/bin/time -f '%e %M %U %S' -o "$W/time.$name" "$@" >"$W/$name.log" 2>&1
	rc=$?
	read -r "R[$name.s]" "R[$name.kb]" u sys < <(tail -n 1 "$W/time.$name")
	R[$name.cpu]=$(awk -v a="$u" -v b="$sys" 'BEGIN { print a + b }')
	return $rc
}

gen_keys() {
	if [ -s "$W/keys.idx" ] && [ "$(wc -l <"$W/keys.idx")" = "$KEYS" ] &&
		[ -s "$W/keys.gpg" ]; then
		say "reusing $KEYS synthetic keys in $W"
		R[keygen.s]=reused
	else
		say "generating $KEYS synthetic keys"
		make -s -C "$BENCH" keygen || die "cannot build bench/keygen"
		mkdir -p "$W/www/keys"
		timed keygen "$BENCH/keygen" -n "$KEYS" -o "$W/keys.gpg" \
			-a "$W/www/keys" -i "$W/keys.idx" || die "keygen failed"
	fi
	awk '{ print "/pks/lookup?op=get&options=mr&search=0x" $1 }' \
		"$W/keys.idx" >"$W/get.paths"
	cut -d' ' -f3- "$W/keys.idx" | tr ' ' '\n' | sort -u | awk \
		'{ print "/pks/lookup?op=index&options=mr&search=" $1 }' \
		>"$W/index.paths"
	echo "   ${R[keygen.s]} s, $(wc -l <"$W/get.paths") keys," \
		"$(wc -l <"$W/index.paths") search words"
}

start_nginx() {
	local port
	say "nginx (static files)"
	port=$(free_port)
	mkdir -p "$W/nginx/tmp"
	sed -e "s|@WORK@|$W|g" -e "s|@PORT@|$port|g" "$BENCH/nginx.conf.in" \
		>"$W/nginx/nginx.conf"
	spawn "$W/nginx" "$W/nginx/master.pid" "$W/nginx/out.log" \
		nginx -c "$W/nginx/nginx.conf" -p "$W/nginx" || die "nginx did not start"
	wait_port "$port" 10 || die "nginx did not listen, see $W/nginx"
	R[nginx.port]=$port
}

load_sks() {
	say "SKS: build + cleandb + pbuild of $KEYS keys"
	sks_setup "$W/sks" "$W/keys.gpg" "$(free_port)" "$(free_port)" ||
		die "SKS build failed (logs in $W/sks)"
	read -r "R[sks.import.s]" "R[sks.import.kb]" <"$W/sks/time.total"
	read -r "R[sks.import.cpu]" <"$W/sks/time.cpu"
	sks_start "$W/sks" || die "SKS did not start"
	R[sks.port]=$(sks_hkp_port "$W/sks")
	say "SKS: build of debian-keyring.gpg"
	sks_setup "$W/sksd" "$DEBIAN_RING" "$(free_port)" "$(free_port)" ||
		die "SKS build of the debian keyring failed"
	read -r "R[sks.deb.s]" "R[sks.deb.kb]" <"$W/sksd/time.total"
}

load_pksync() {
	say "pksync: import of $KEYS keys"
	if ! pks_setup "$W/pks"; then
		pks_fail setup "pksync init did not work"
		return
	fi
	bench_conf "$W/pks"
	if ! timed pks.import "$PKSYNC" -c "$W/pks/pksync.conf" import -q \
		"$W/keys.gpg"; then
		pks_fail import "see $W/pks.import.log"
	fi
	if pks_start "$W/pks"; then
		R[pks.port]=$PKS_PORT
	else
		pks_fail serve "see $W/pks/serve.log"
	fi
	# The same database served with the op=index answer cache off: the
	# op=index row measures lookups, not the cache.
	if pks_setup "$W/pksnc" >/dev/null 2>&1; then
		sed -i "s|^datadir = .*|datadir = $W/pks/data|" "$W/pksnc/pksync.conf"
		bench_conf "$W/pksnc"
		echo "index_cache = 0" >>"$W/pksnc/pksync.conf"
		pks_start "$W/pksnc" && R[pksnc.port]=$PKS_PORT
	fi
	say "pksync: import of debian-keyring.gpg"
	pks_setup "$W/pksd" && bench_conf "$W/pksd" && timed pks.deb "$PKSYNC" -c \
		"$W/pksd/pksync.conf" import -q "$DEBIAN_RING" ||
		pks_fail debian-import "see $W/pks.deb.log"
}

# debian-keyring served by every server: SKS (built in load_sks), pksync
# (imported in load_pksync), pksync before ($PKSYNC_BEFORE), and nginx
# serving each key as pksync serves it (fetched once with op=get).
load_debian() {
	local fpr n=0
	say "debian-keyring: servers and paths"
	"$PY" "$PKS_TOOLS/pgpkeys.py" index "$DEBIAN_RING" | cut -d' ' -f1 \
		>"$W/deb.fprs"
	awk '{ print "/pks/lookup?op=get&options=mr&search=0x" $1 }' \
		"$W/deb.fprs" >"$W/deb.get.paths"
	"$PY" - "$PKS_TOOLS" "$DEBIAN_RING" >"$W/deb.words" <<'PYEOF'
import re, sys
sys.path.insert(0, sys.argv[1])
import pgpkeys
common = {"debian", "org", "com", "net", "gmail", "mail", "www", "email"}
words = set()
with open(sys.argv[2], "rb") as f:
    for key in pgpkeys.keys(f.read()):
        uid = next((b for t, b in key if t == 13), b"")
        # whole words (letters and digits, any script), kept only when
        # all ASCII letters: a word cut out of "Mühlenhoff" or
        # "name2102" is in no server's index
        w = [x for x in re.findall(r"[^\W_]+", uid.decode("utf-8", "replace").lower())
             if re.fullmatch("[a-z]{4,}", x) and x not in common]
        if w:
            words.add(max(w, key=len))
for w in sorted(words):
    print(w)
PYEOF
	awk '{ print "/pks/lookup?op=index&options=mr&search=" $1 }' \
		"$W/deb.words" >"$W/deb.index.paths"
	sks_start "$W/sksd" && R[sksd.port]=$(sks_hkp_port "$W/sksd")
	if [ -n "${R[pks.port]:-}" ] && pks_start "$W/pksd"; then
		R[pksd.port]=$PKS_PORT
		while read -r fpr; do
			curl -sf -o "$W/www/keys/0x$fpr.asc" "http://127.0.0.1:$PKS_PORT/pks/lookup?op=get&options=mr&search=0x$fpr" &&
				n=$((n + 1))
		done <"$W/deb.fprs"
		echo "   $n debian keys as static files"
	fi
	[ -n "${PKSYNC_BEFORE:-}" ] || return 0
	say "pksync before ($PKSYNC_BEFORE): import of debian-keyring.gpg"
	(PKSYNC=$PKSYNC_BEFORE; bench_setup "$W/pksb" &&
		"$PKSYNC" -c "$W/pksb/pksync.conf" import -q "$DEBIAN_RING" \
		>"$W/pksb.import.log" 2>&1) || { pks_fail before-import "see $W/pksb.import.log"; return 0; }
	PKSYNC_SAVED=$PKSYNC
	PKSYNC=$PKSYNC_BEFORE
	pks_start "$W/pksb" && R[pksb.port]=$PKS_PORT
	PKSYNC=$PKSYNC_SAVED
}

# parity: every expected SKS hash must come back from /pks/hashquery
parity() {
	local who port
	say "hash parity via /pks/hashquery"
	"$PY" "$PKS_TOOLS/pgpkeys.py" hash -c "$W/keys.gpg" | sort -u \
		>"$W/expect.hashes"
	for who in pks sks; do
		port=${R[$who.port]:-}
		[ -n "$port" ] || continue
		"$PY" "$PKS_TOOLS/pgpkeys.py" hashquery 127.0.0.1 "$port" \
			"$W/expect.hashes" >"$W/parity.$who.txt" 2>&1
		R[$who.parity]=$(sed -n 's/^returned //p' "$W/parity.$who.txt")
		echo "   $who: ${R[$who.parity]:-failed, see $W/parity.$who.txt}"
	done
}

# sample_ok PORT PATHFILE: how many of 20 sample paths answer 200
sample_ok() {
	local port=$1 n=0 p
	while read -r p; do
		[ "$(curl -s -o /dev/null -w '%{http_code}' \
			"http://127.0.0.1:$port$p")" = 200 ] && n=$((n + 1))
	done < <(shuf -n 20 --random-source=<(yes) "$2")
	echo "$n"
}

# bench_one NAME PORT PATHFILE: wrk; R[NAME.rps], R[NAME.non2xx], ...
bench_one() {
	local name=$1 port=$2 paths=$3 out=$W/wrk.$1.txt
	R[$name.sample]=$(sample_ok "$port" "$paths")
	say "wrk $name (sample: ${R[$name.sample]}/20 answered 200)"
	wrk -t"$THREADS" -c"$CONNS" -d"${DUR}s" --latency -s "$BENCH/paths.lua" \
		"http://127.0.0.1:$port" -- "$paths" >"$out" 2>&1
	R[$name.rps]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
	R[$name.non2xx]=$(awk '/Non-2xx/ { print $NF }' "$out")
	R[$name.errors]=$(sed -n 's/^ *Socket errors: //p' "$out")
	R[$name.p99]=$(awk '$1 == "99%" { print $2 }' "$out")
	echo "   ${R[$name.rps]:-?} req/s, p99 ${R[$name.p99]:-?}," \
		"non-2xx ${R[$name.non2xx]:-0}${R[$name.errors]:+, errors ${R[$name.errors]}}"
}

run_wrk() {
	[ -n "${R[pks.port]:-}" ] && bench_one pks.get "${R[pks.port]}" "$W/get.paths"
	bench_one sks.get "${R[sks.port]}" "$W/get.paths"
	bench_one nginx.get "${R[nginx.port]}" "$W/get.paths"
	[ -n "${R[pksnc.port]:-}" ] &&
		bench_one pks.index "${R[pksnc.port]}" "$W/index.paths"
	[ -n "${R[pks.port]:-}" ] &&
		bench_one pks.index.cached "${R[pks.port]}" "$W/index.paths"
	bench_one sks.index "${R[sks.port]}" "$W/index.paths"
	local who
	for who in pksd pksb sksd; do
		[ -n "${R[$who.port]:-}" ] || continue
		bench_one $who.get "${R[$who.port]}" "$W/deb.get.paths"
		bench_one $who.index "${R[$who.port]}" "$W/deb.index.paths"
	done
	[ -n "${R[pksd.port]:-}" ] &&
		bench_one nginxd.get "${R[nginx.port]}" "$W/deb.get.paths"
}

# peak RSS of the servers after the load (KiB)
serve_memory() {
	local w sum
	[ -s "$W/pks/serve.pid" ] &&
		R[pks.serve.kb]=$(peak_rss_kb "$(cat "$W/pks/serve.pid")")
	R[sks.serve.kb]=$(peak_rss_kb "$(cat "$W/sks/db.pid")")
	sum=$(peak_rss_kb "$(cat "$W/nginx/master.pid")")
	for w in $(ps -o pid= --ppid "$(cat "$W/nginx/master.pid")"); do
		sum=$((sum + $(peak_rss_kb "$w")))
	done
	R[nginx.serve.kb]=$sum
}

# ratio A B: A/B with two decimals, "-" when either is missing
ratio() {
	awk -v a="${1:-}" -v b="${2:-}" 'BEGIN {
		if (a == "" || b == "" || b + 0 == 0) print "-";
		else printf "%.2f\n", a / b }'
}

mib() {
	if [ -n "${1:-}" ]; then
		awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'
	else
		echo "-"
	fi
}

# rps NAME: requests/s, with "!" when not every answer was a 200
rps() {
	local v=${R[$1.rps]:-}
	[ -n "$v" ] || { echo "-"; return; }
	if [ "${R[$1.non2xx]:-0}" != 0 ] || [ "${R[$1.sample]:-20}" != 20 ]; then
		v="$v!"
	fi
	echo "$v"
}

row() {
	printf '%-28s %10s %10s %10s %11s %12s\n' "$@"
}

report() {
	local g
	echo "pksync benchmark $(date '+%Y-%m-%d %H:%M')  keys=$KEYS" \
		"wrk -t$THREADS -c$CONNS -d${DUR}s  nproc=$(nproc)" \
		"load=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "pksync: ${PKSYNC:-not run}${PKS_FAILED:+ (FAILED:$PKS_FAILED)}"
	echo
	row "" pksync SKS nginx pksync/SKS pksync/nginx
	row "op=get req/s" "$(rps pks.get)" "$(rps sks.get)" "$(rps nginx.get)" \
		"$(ratio "${R[pks.get.rps]:-}" "${R[sks.get.rps]:-}")" \
		"$(ratio "${R[pks.get.rps]:-}" "${R[nginx.get.rps]:-}")"
	row "op=index req/s (by word)" "$(rps pks.index)" "$(rps sks.index)" "-" \
		"$(ratio "${R[pks.index.rps]:-}" "${R[sks.index.rps]:-}")" "-"
	row "op=index, answer cache on" "$(rps pks.index.cached)" "$(rps sks.index)" "-" \
		"$(ratio "${R[pks.index.cached.rps]:-}" "${R[sks.index.rps]:-}")" "-"
	row "debian op=get req/s" "$(rps pksd.get)" "$(rps sksd.get)" \
		"$(rps nginxd.get)" \
		"$(ratio "${R[pksd.get.rps]:-}" "${R[sksd.get.rps]:-}")" \
		"$(ratio "${R[pksd.get.rps]:-}" "${R[nginxd.get.rps]:-}")"
	row "debian op=index req/s" "$(rps pksd.index)" "$(rps sksd.index)" "-" \
		"$(ratio "${R[pksd.index.rps]:-}" "${R[sksd.index.rps]:-}")" "-"
	if [ -n "${R[pksb.get.rps]:-}" ]; then
		row "debian op=get, before" "$(rps pksb.get)" "-" "-" \
			"after/before" "$(ratio "${R[pksd.get.rps]:-}" "${R[pksb.get.rps]:-}")"
		row "debian op=index, before" "$(rps pksb.index)" "-" "-" \
			"after/before" "$(ratio "${R[pksd.index.rps]:-}" "${R[pksb.index.rps]:-}")"
	fi
	row "import $KEYS keys (s)" "${R[pks.import.s]:--}" \
		"${R[sks.import.s]:--}" "-" \
		"$(ratio "${R[pks.import.s]:-}" "${R[sks.import.s]:-}")" "-"
	row "import debian-keyring (s)" "${R[pks.deb.s]:--}" \
		"${R[sks.deb.s]:--}" "-" \
		"$(ratio "${R[pks.deb.s]:-}" "${R[sks.deb.s]:-}")" "-"
	row "peak RSS import (MiB)" "$(mib "${R[pks.import.kb]:-}")" \
		"$(mib "${R[sks.import.kb]:-}")" "-" \
		"$(ratio "${R[pks.import.kb]:-}" "${R[sks.import.kb]:-}")" "-"
	row "peak RSS serving (MiB)" "$(mib "${R[pks.serve.kb]:-}")" \
		"$(mib "${R[sks.serve.kb]:-}")" "$(mib "${R[nginx.serve.kb]:-}")" \
		"$(ratio "${R[pks.serve.kb]:-}" "${R[sks.serve.kb]:-}")" \
		"$(ratio "${R[pks.serve.kb]:-}" "${R[nginx.serve.kb]:-}")"
	echo
	case "$(rps pks.get)$(rps sks.get)$(rps nginx.get)$(rps pks.index)$(rps pks.index.cached)$(rps sks.index)" in
	*!*) echo "! = not every answer was a 200 (see the lines below): not comparable" ;;
	esac
	echo "SKS hashes (of keys.gpg) returned by /pks/hashquery:" \
		"pksync ${R[pks.parity]:--}, SKS ${R[sks.parity]:--}"
	echo "import CPU seconds: pksync ${R[pks.import.cpu]:--}," \
		"SKS ${R[sks.import.cpu]:--}; pksync/SKS" \
		"$(ratio "${R[pks.import.cpu]:-}" "${R[sks.import.cpu]:-}")"
	R[pks.ver]=$(sed -n 's/.* \([0-9]*\) self-signatures verified.*/\1/p' \
		"$W/pks.import.log" 2>/dev/null)
	echo "pksync verified ${R[pks.ver]:-?} self-signatures at import" \
		"($(awk -v n="${R[pks.ver]:-0}" -v s="${R[pks.import.s]:-0}" \
			'BEGIN { if (s > 0) printf "%.0f", n / s; else print "-" }')/s)"
	echo "SKS import = build + cleandb (twice: first run segfaults) + pbuild;" \
		"keygen took ${R[keygen.s]:-?} s"
	for g in pks.get sks.get nginx.get pks.index pks.index.cached sks.index pksd.get \
		pksb.get sksd.get nginxd.get pksd.index pksb.index sksd.index; do
		[ -n "${R[$g.rps]:-}" ] || continue
		printf '%-10s p99 %-9s sample 200s %2s/20  non-2xx %-7s %s\n' \
			"$g" "${R[$g.p99]:-?}" "${R[$g.sample]}" \
			"${R[$g.non2xx]:-0}" "${R[$g.errors]:+socket errors: ${R[$g.errors]}}"
	done
}

main() {
	local out
	check_tools
	if [ -z "$W" ]; then
		W=$(mktemp -d /tmp/pkb.XXXXXX) || die "mktemp"
		chmod 755 "$W"    # nginx workers run as an unprivileged user
	else
		mkdir -p "$W" && W=$(cd "$W" && pwd)
	fi
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	gen_keys
	start_nginx
	load_sks
	[ "$WITH_PKS" = 1 ] && load_pksync
	load_debian
	parity
	run_wrk
	serve_memory
	mkdir -p "$BENCH/out"
	out=$BENCH/out/results-$(date +%Y%m%d-%H%M%S).txt
	echo
	report | tee "$out"
	echo "written to $out"
	[ -z "$PKS_FAILED" ]
}

main
