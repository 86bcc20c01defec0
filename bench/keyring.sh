#!/bin/bash
# keyring.sh: op=get and op=index (options=mr) by random fingerprint on
# a REAL keyring (default: Debian's, 905 keys averaging about 31 KB),
# pksync next to SKS and to nginx serving the same armored keys as
# static files, in one run.  Real keys are large, so this measures the
# armoring and copying path that run.sh's small synthetic keys hardly
# touch.  With PKSYNC_BEFORE set, a second pksync binary (an older
# build) is measured in the same run, next to the first.
#   PKSYNC=/path/pksync [PKSYNC_BEFORE=/path/old-pksync] bench/keyring.sh
#       [--keyring FILE] [--duration S]
set -u
BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
RING=/usr/share/keyrings/debian-keyring.gpg
DUR=10
while [ $# -gt 0 ]; do
	case $1 in
	--keyring) RING=$2; shift 2 ;;
	--duration) DUR=$2; shift 2 ;;
	*) echo "usage: PKSYNC=... $0 [--keyring FILE] [--duration S]" >&2; exit 2 ;;
	esac
done
: "${PKSYNC:?set PKSYNC to the pksync binary}"
. "$TOP/tests/lib/sks.sh"
. "$TOP/tests/lib/pksync.sh"
. "$BENCH/lib.sh"
W=$(mktemp -d /tmp/pkkr.XXXXXX)
chmod 755 "$W"   # nginx workers (www-data) read the key files
cleanup() {
	stop_pid "$W/nginx/master.pid" 10 2>/dev/null
	sks_stop "$W/s" >/dev/null 2>&1
	pks_stop "$W/p" >/dev/null 2>&1
	[ -n "${PKSYNC_BEFORE:-}" ] && PKSYNC=$PKSYNC_BEFORE pks_stop "$W/b" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT

echo "== loading $RING into SKS and pksync"
sks_setup "$W/s" "$RING" "$(free_port)" "$(free_port)" >/dev/null 2>&1 ||
	{ echo "sks setup failed"; exit 1; }
sks_start "$W/s" || exit 1
pks_setup "$W/p" && bench_conf "$W/p" && pks "$W/p" import -q --no-mail "$RING" >/dev/null &&
	pks_start "$W/p" || exit 1
BPORT=
if [ -n "${PKSYNC_BEFORE:-}" ]; then
	P=$PKSYNC
	PKSYNC=$PKSYNC_BEFORE
	bench_setup "$W/b" && pks "$W/b" import -q --no-mail "$RING" >/dev/null &&
		pks_start "$W/b" || exit 1
	BPORT=$PKS_PORT
	PKSYNC=$P
	PKS_PORT=$(pks_port "$W/p")
fi
"$PY" "$TOP/tests/tools/pgpkeys.py" index "$RING" | awk '{ print $1 }' >"$W/fprs"
awk '{ print "/pks/lookup?op=get&options=mr&search=0x" $1 }' "$W/fprs" >"$W/paths"
awk '{ print "/pks/lookup?op=index&options=mr&search=0x" $1 }' "$W/fprs" >"$W/ipaths"
mkdir -p "$W/www/keys" "$W/nginx/tmp"
while read -r f; do
	curl -s -o "$W/www/keys/0x$f.asc" \
		"http://127.0.0.1:$PKS_PORT/pks/lookup?op=get&options=mr&search=0x$f"
done <"$W/fprs"
np=$(free_port)
sed -e "s|@WORK@|$W|g" -e "s|@PORT@|$np|g" "$BENCH/nginx.conf.in" \
	>"$W/nginx/nginx.conf"
spawn "$W/nginx" "$W/nginx/master.pid" "$W/nginx/out.log" \
	nginx -c "$W/nginx/nginx.conf" -p "$W/nginx" || exit 1
wait_port "$np" 10 || exit 1

declare -A R
# bench NAME PORT PATHS: wrk against one server, requests/s into R[NAME]
bench() {
	local out
	out=$(wrk -t2 -c64 -d"${DUR}s" -s "$BENCH/paths.lua" \
		"http://127.0.0.1:$2" -- "$3" 2>&1)
	echo "$out" >"$W/wrk.$1"
	R[$1]=$(echo "$out" | awk '/Requests\/sec/ { printf "%d", $2 }')
	echo "$out" | grep -q 'Non-2xx' && R[$1]="${R[$1]}!"
	echo "   $1: ${R[$1]} req/s"
}
servers="pksync:$PKS_PORT sks:$(sks_hkp_port "$W/s")"
[ -n "$BPORT" ] && servers="$servers before:$BPORT"
for x in $servers nginx:$np; do
	bench "get-${x%%:*}" "${x#*:}" "$W/paths"
done
for x in $servers; do
	bench "index-${x%%:*}" "${x#*:}" "$W/ipaths"
done
ratio() { awk -v a="${1%!}" -v b="${2%!}" 'BEGIN { printf "%.2f", b ? a / b : 0 }'; }
mkdir -p "$BENCH/out"
res="$BENCH/out/keyring-$(date +%Y%m%d-%H%M%S).txt"
{
	echo "op=get and op=index on $(basename "$RING") ($(wc -l <"$W/fprs") keys), wrk -t2 -c64 -d${DUR}s, $(date '+%Y-%m-%d %H:%M'), load $(cut -d' ' -f1-3 /proc/loadavg)"
	printf '%-10s %10s %10s %10s %10s %11s %13s %14s\n' "" pksync before SKS nginx \
		pksync/SKS pksync/nginx pksync/before
	for op in get index; do
		printf '%-10s %10s %10s %10s %10s %11s %13s %14s\n' "$op req/s" \
			"${R[$op-pksync]}" "${R[$op-before]:--}" "${R[$op-sks]}" \
			"${R[$op-nginx]:--}" "$(ratio "${R[$op-pksync]}" "${R[$op-sks]}")" \
			"$(ratio "${R[$op-pksync]}" "${R[$op-nginx]:-0}")" \
			"$(ratio "${R[$op-pksync]}" "${R[$op-before]:-0}")"
	done
	echo "('!' marks a run with non-2xx answers)"
} | tee "$res"
echo "written to $res"
