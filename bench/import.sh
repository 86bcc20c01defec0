#!/bin/bash
# import.sh: "pksync import" next to SKS's build + cleandb + pbuild on
# the same keyring, in one run (issues 8 and 12).
#   PKSYNC=/path/to/pksync bench/import.sh FILE [THREADS...]
# For each THREADS value (default: 1 and 0, i.e. one per online CPU) a
# fresh database imports FILE with "pksync import -q --no-mail"; SKS
# builds its database from FILE with tests/lib/sks.sh sks_setup.  The
# table gives wall seconds, CPU seconds (user + sys), peak RSS,
# self-signatures verified per second, and each pksync time as a
# fraction of SKS's; the load average is printed before and after.
set -u

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
. "$ROOT/tests/lib/sks.sh"
. "$ROOT/tests/lib/pksync.sh"

[ $# -ge 1 ] || { sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 2; }
FILE=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
shift
[ $# -gt 0 ] || set -- 1 0
W=$(mktemp -d /tmp/pkbi.XXXXXX)
trap 'rm -rf "$W"' EXIT
chmod 755 "$W"
cp "$FILE" "$W/keys.pgp" && chmod 644 "$W/keys.pgp"
keys=$(wc -c <"$W/keys.pgp")

echo "file: $FILE ($keys bytes); $(nproc) CPUs"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-22s %8s %8s %8s %10s %8s %8s\n' run wall cpu rss_mib sigs/s \
	wall/sks cpu/sks

sks_setup "$W/sks" "$W/keys.pgp" "$(free_port)" "$(free_port)" ||
	{ echo "import.sh: sks_setup failed" >&2; exit 1; }
read -r sks_wall sks_kb <"$W/sks/time.total"
sks_cpu=$(cat "$W/sks/time.cpu")
printf '%-22s %8.2f %8.2f %8.0f %10s %8s %8s\n' "sks build+clean+pbuild" \
	"$sks_wall" "$sks_cpu" "$((sks_kb / 1024))" - 1.00 1.00

for th in "$@"; do
	d=$W/p$th
	pks_setup "$d" >/dev/null || { echo "import.sh: pks_setup" >&2; exit 1; }
	printf '[import]\nthreads = %s\n' "$th" >>"$d/pksync.conf"
	/usr/bin/time -f '%e %U %S %M' -o "$d/time" \
		"$PKSYNC" -c "$d/pksync.conf" import -q --no-mail "$W/keys.pgp" \
		>"$d/out" 2>"$d/err" || { cat "$d/err" >&2; exit 1; }
	read -r wall usr sys kb <"$d/time"
	sigs=$(sed -n 's/.*; \([0-9]*\) self-signatures verified.*/\1/p' "$d/out")
	awk -v n="threads=$th" -v w="$wall" -v u="$usr" -v s="$sys" \
		-v kb="$kb" -v sigs="$sigs" -v sw="$sks_wall" -v sc="$sks_cpu" \
		'BEGIN { printf "%-22s %8.2f %8.2f %8.0f %10.0f %8.2f %8.2f\n",
		    "pksync " n, w, u + s, kb / 1024, sigs / w, w / sw,
		    (u + s) / sc }'
	grep -o '^import: [0-9]* keys read: [^;]*' "$d/out" | sed 's/^/  /'
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
