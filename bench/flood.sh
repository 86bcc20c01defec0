#!/bin/bash
# flood.sh: a key flooded with third-party certifications (the attack of
# CVE-2019-13050; the SKS network holds keys with 50,000-150,000), in
# one run: pksync import time (new, then a merge of 1,000 more
# certifications into it), op=get served size and time (first
# request and cached), gpg's import time of what op=get serves, and
# for contrast /pks/hashquery (the full stored key, SKS parity) and
# gpg's import time of the full key (stopped after --gpg-timeout s).
# --prefer sets [keys] served_certs_prefer (default known: the issuers
# of a flooded user ID are looked up at import).
#   PKSYNC=/path/pksync bench/flood.sh [--certs N] [--gpg-timeout S]
#                                      [--prefer known|newest]
set -u
BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
N=150000
GTO=120
PREFER=known
while [ $# -gt 0 ]; do
	case $1 in
	--certs) N=$2; shift 2 ;;
	--gpg-timeout) GTO=$2; shift 2 ;;
	--prefer) PREFER=$2; shift 2 ;;
	*) echo "usage: PKSYNC=... $0 [--certs N] [--gpg-timeout S] [--prefer known|newest]" >&2; exit 2 ;;
	esac
done
: "${PKSYNC:?set PKSYNC to the pksync binary}"
PY=/usr/bin/python3
. "$TOP/tests/lib/pksync.sh"
W=$(mktemp -d /tmp/pkfl.XXXXXX)
cleanup() {
	pks_stop "$W/p" >/dev/null 2>&1
	for h in "$W"/g*; do gpgconf --homedir "$h" --kill all 2>/dev/null; done
	rm -rf "$W"
}
trap cleanup EXIT
ms() { echo $((($2 - $1) / 1000000)); }

mkdir -m 700 "$W/gk"
gpg --homedir "$W/gk" --batch --passphrase '' --quick-gen-key \
	'Flo Flooded <flo@example.org>' ed25519 cert,sign never 2>/dev/null
gpg --homedir "$W/gk" --export flo@example.org >"$W/key.pgp"
echo "== $N third-party certifications"
"$PY" "$TOP/tests/tools/forge.py" flood "$N" "$W/key.pgp" "$W/flood.pgp"
full=$(stat -c %s "$W/flood.pgp")
FPR=$(gpg --homedir "$W/gk" --with-colons --list-keys flo@example.org |
	awk -F: '/^fpr:/ {print $10; exit}')
pks_setup "$W/p" || exit 1
printf '[keys]\nserved_certs_prefer = %s\n' "$PREFER" >>"$W/p/pksync.conf"
t0=$(date +%s%N)
pks "$W/p" import -q --no-mail "$W/flood.pgp" >"$W/import.out" 2>&1
t1=$(date +%s%N)
imp=$(ms "$t0" "$t1")
pks_start "$W/p" || exit 1
url="http://127.0.0.1:$PKS_PORT/pks/lookup?op=get&options=mr&search=0x$FPR"
first=$(curl -s -o "$W/served.asc" -w '%{time_total}' "$url")
size=$(stat -c %s "$W/served.asc")
# The cached answers: 20 requests from one curl process, each timed by
# curl (%{time_total}: request to last byte), so that curl's own
# start-up (tens of ms on a loaded machine) is not counted as serving.
urls=()
for i in $(seq 20); do urls+=(-o /dev/null "$url"); done
cached=$(curl -s -w '%{time_total}\n' "${urls[@]}" | sort -n | awk '
	{ t[NR] = $1 * 1000; s += t[NR] }
	END { if (NR) printf "median %.1f ms, mean %.1f ms, max %.1f", t[int((NR + 1) / 2)], s / NR, t[NR] }')
"$PY" "$TOP/tests/tools/pgpkeys.py" hash -c "$W/flood.pgp" >"$W/hash"
t0=$(date +%s%N)
"$PY" "$TOP/tests/tools/pgpkeys.py" hashquery 127.0.0.1 "$PKS_PORT" "$W/hash" >"$W/hq.out"
t1=$(date +%s%N)
hq=$(ms "$t0" "$t1")
# A merge into the stored key: 1,000 more certifications.
"$PY" "$TOP/tests/tools/forge.py" flood 1000 "$W/flood.pgp" "$W/more.pgp"
t0=$(date +%s%N)
pks "$W/p" import -q --no-mail "$W/more.pgp" >"$W/merge.out" 2>&1
t1=$(date +%s%N)
mrg=$(ms "$t0" "$t1")
# gimport NAME FILE: gpg import time of FILE in a fresh home (ms)
gimport() {
	mkdir -m 700 "$W/g$1"
	gpg --homedir "$W/g$1" --batch --import /dev/null >/dev/null 2>&1
	t0=$(date +%s%N)
	timeout "$GTO" gpg --homedir "$W/g$1" --batch --import "$2" >/dev/null 2>&1
	rc=$?
	t1=$(date +%s%N)
	if [ $rc = 124 ]; then echo ">${GTO}000"; else ms "$t0" "$t1"; fi
}
g_key=$(gimport key "$W/key.pgp")
g_served=$(gimport served "$W/served.asc")
g_full=$(gimport full "$W/flood.pgp")
mkdir -p "$BENCH/out"
res="$BENCH/out/flood-$(date +%Y%m%d-%H%M%S).txt"
{
	echo "flooded key: $N certifications, served_certs_prefer = $PREFER, $(date '+%Y-%m-%d %H:%M'), load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "full key:              $full bytes; pksync import $imp ms"
	echo "  $(tail -n 1 "$W/import.out")"
	echo "merge of 1,000 more:   pksync import $mrg ms"
	echo "  $(tail -n 1 "$W/merge.out")"
	echo "op=get served:         $size bytes armored; first $first s, cached $cached ms (20)"
	echo "/pks/hashquery (full): $hq ms; $(head -n 1 "$W/hq.out")"
	echo "gpg import (ms):       key alone $g_key, served $g_served, full $g_full"
} | tee "$res"
echo "written to $res"
