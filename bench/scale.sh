#!/bin/bash
# scale.sh: pksync from 10,000 to 1,000,000 keys, in one run: import
# time, keys/s, peak memory, writes and database size at each size, then
# op=get, op=index and op=vindex throughput and p99 at each size; and
# the import of the 100,000-key file next to SKS's build + cleandb +
# pbuild of the same file.  See bench/README.
#
#   PKSYNC=/path/to/pksync bench/scale.sh --data DIR [--files N]
#       [--duration SECS] [--connections C] [--no-sks] [--no-stepwise]
#       [--keep]
#
# DIR holds the synthetic dump (made once by bench/keygen, reused):
# sks-dump-0000.pgp .. sks-dump-00NN.pgp (100,000 keys each, SKS dump
# names), idx-N.txt, and k10k.pgp (the first 10,000 keys).  --files N
# (default 10) sets the largest size to N x 100,000 keys, loaded twice:
# all files in one "pksync import" into an empty database (as a dump is
# loaded), and one file per "pksync import" into a growing database
# (--no-stepwise: not; the lookups at the largest size then use the
# first).  Databases go to DIR/run (removed at the end unless --keep).
# Results are printed and written to bench/out/scale-DATE.txt.
set -u

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
. "$ROOT/tests/lib/sks.sh"
. "$ROOT/tests/lib/pksync.sh"

DATA=
NFILES=10
DUR=10
CONNS=32
WITH_SKS=1
STEPWISE=1
KEEP=0

usage() {
	sed -n '2,21s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--data) DATA=$2; shift ;;
	--files) NFILES=$2; shift ;;
	--duration) DUR=$2; shift ;;
	--connections) CONNS=$2; shift ;;
	--no-sks) WITH_SKS=0 ;;
	--no-stepwise) STEPWISE=0 ;;
	--keep) KEEP=1 ;;
	*) usage ;;
	esac
	shift
done
[ -n "$DATA" ] || usage

say() { printf '== %s\n' "$*"; }
die() { printf 'scale: %s\n' "$*" >&2; exit 1; }

declare -A R
W=

cleanup() {
	[ -n "$W" ] || return
	[ -f "$W/p10k/serve.pid" ] && pks_stop "$W/p10k" >/dev/null 2>&1
	[ -f "$W/pbig/serve.pid" ] && pks_stop "$W/pbig" >/dev/null 2>&1
	[ -f "$W/pall/serve.pid" ] && pks_stop "$W/pall" >/dev/null 2>&1
	[ -d "$W/sks" ] && sks_stop "$W/sks" >/dev/null 2>&1
	if [ "$KEEP" = 1 ]; then
		echo "work folder kept: $W"
	else
		rm -rf "$W"
	fi
}

# gen_file I: keys 100000*I .. 100000*(I+1)-1, made once (keygen is
# deterministic), just before the file is first needed
gen_file() {
	local i=$1 f
	f=$(printf '%s/sks-dump-%04d.pgp' "$DATA" "$i")
	[ -s "$f" ] && [ -s "$DATA/idx-$i.txt" ] && return
	say "keygen: $f"
	"$BENCH/keygen" -s $((i * 100000)) -n 100000 -o "$f.tmp" \
		-i "$DATA/idx-$i.txt.tmp" -j 2 || die "keygen failed"
	mv "$f.tmp" "$f" && mv "$DATA/idx-$i.txt.tmp" "$DATA/idx-$i.txt"
}

gen_data() {
	make -s -C "$BENCH" keygen || die "cannot build bench/keygen"
	mkdir -p "$DATA" || die "cannot create $DATA"
	gen_file 0
	if [ ! -s "$DATA/k10k.pgp" ]; then
		"$BENCH/keygen" -n 10000 -o "$DATA/k10k.pgp.tmp" -j 2 &&
			mv "$DATA/k10k.pgp.tmp" "$DATA/k10k.pgp" || die "keygen failed"
	fi
}

# setup DIR: a database with the HKP limits off (one client address)
setup() {
	local dir=$1
	mkdir -p "$dir/data"
	{
		echo "[server]"
		echo "datadir = $dir/data"
		echo "http_listen = 127.0.0.1:0"
		echo "hostname = scale.test"
		[ "$(id -u)" = 0 ] && echo "user = $PKS_USER"
		echo "max_connections_per_address = 0"
		echo "search_per_minute = 0"
		echo "add_per_minute = 0"
	} >"$dir/pksync.conf"
	pks_user_dir "$dir" || return 1
	pks "$dir" init >"$dir/init.out" 2>&1
}

# import NAME DIR FILES...: one "pksync import", timed; R[NAME.s],
# R[NAME.cpu] (user + sys s: the machine may be shared), R[NAME.kb]
# (peak RSS), R[NAME.wmb] (MiB written), R[NAME.sys]
import() {
	local name=$1 dir=$2 t u
	shift 2
	/usr/bin/time -f '%e %M %O %S %U' -o "$W/time.$name" \
		"$PKSYNC" -c "$dir/pksync.conf" import --no-mail "$@" \
		>"$W/$name.out" 2>"$W/$name.log" || return 1
	read -r t R[$name.kb] R[$name.wblk] R[$name.sys] u < <(tail -n 1 "$W/time.$name")
	R[$name.s]=$t
	R[$name.cpu]=$(awk -v a="$u" -v b="${R[$name.sys]}" 'BEGIN { print a + b }')
	R[$name.wmb]=$((R[$name.wblk] / 2048))
	R[$name.ver]=$(sed -n 's/.* \([0-9]*\) self-signatures verified.*/\1/p' \
		"$W/$name.out")
	echo "   $name: ${t} s (CPU ${R[$name.cpu]} s), peak ${R[$name.kb]} KiB," \
		"wrote ${R[$name.wmb]} MiB"
}

db_mib() {
	du -sm "$1/data" | cut -f1
}

# paths SIZE FILES: sample 20,000 keys of the loaded idx files
make_paths() {
	local size=$1
	shift
	cat "$@" | shuf -n 20000 --random-source=<(yes) >"$W/sample.$size"
	awk '{ print "/pks/lookup?op=get&options=mr&search=0x" $1 }' \
		"$W/sample.$size" >"$W/get.$size"
	# a key whose two words are one word names ~3 keys in 1,024: at 1M
	# that is "too many matches" (400), so such keys are left out
	awk '$3 != $4 { print "/pks/lookup?op=index&options=mr&search=" $3 "+" $4 }' \
		"$W/sample.$size" >"$W/index.$size"
	awk '{ print "/pks/lookup?op=vindex&search=user" $2 "@bench.example" }' \
		"$W/sample.$size" >"$W/vindex.$size"
}

# wrk NAME PORT PATHS: R[NAME.rps], R[NAME.p99], R[NAME.non2xx]
bench_one() {
	local name=$1 port=$2 paths=$3 out=$W/wrk.$1
	wrk -t2 -c"$CONNS" -d"${DUR}s" --latency -s "$BENCH/paths.lua" \
		"http://127.0.0.1:$port" -- "$paths" >"$out" 2>&1
	R[$name.rps]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
	R[$name.p99]=$(awk '$1 == "99%" { print $2 }' "$out")
	R[$name.non2xx]=$(awk '/Non-2xx/ { print $NF }' "$out")
	echo "   $name: ${R[$name.rps]:-?} req/s, p99 ${R[$name.p99]:-?}," \
		"non-2xx ${R[$name.non2xx]:-0}"
}

# lookups SIZE DIR: serve the database, wrk the three operations; then
# op=index again with the answer cache off ([server] index_cache = 0,
# last line of the config while it runs): the lookups themselves
lookups() {
	local size=$1 dir=$2 op
	pks_start "$dir" >/dev/null || { echo "   serve failed"; return; }
	for op in get index vindex; do
		bench_one "$op.$size" "$PKS_PORT" "$W/$op.$size"
	done
	R[serve.$size.kb]=$(peak_rss_kb "$(cat "$dir/serve.pid")")
	pks_stop "$dir" >/dev/null 2>&1
	rm -f "$dir/serve.pid"
	echo "index_cache = 0" >>"$dir/pksync.conf"
	if pks_start "$dir" >/dev/null; then
		bench_one "indexnc.$size" "$PKS_PORT" "$W/index.$size"
		pks_stop "$dir" >/dev/null 2>&1
	else
		echo "   serve without the answer cache failed"
	fi
	rm -f "$dir/serve.pid"
	sed -i '$d' "$dir/pksync.conf"
}

run_10k() {
	say "10,000 keys"
	setup "$W/p10k" || die "init failed"
	import i10k "$W/p10k" "$DATA/k10k.pgp" || die "import failed"
	R[db.10k]=$(db_mib "$W/p10k")
	head -n 10000 "$DATA/idx-0.txt" >"$W/idx10k"
	make_paths 10k "$W/idx10k"
	lookups 10k "$W/p10k"
}

# all files in one "pksync import" into an empty database: how a dump
# is loaded; the lookups at the largest size use it unless stepwise
run_all() {
	local i files=() idx=() big=$((NFILES * 100))k
	R[big]=$big
	for ((i = 0; i < NFILES; i++)); do
		gen_file "$i"
		files+=("$(printf '%s/sks-dump-%04d.pgp' "$DATA" "$i")")
		idx+=("$DATA/idx-$i.txt")
	done
	say "$big keys in one import of $NFILES files"
	[ "$KEEP" = 1 ] || rm -rf "$W/pbig"
	setup "$W/pall" || die "init failed"
	import iall "$W/pall" "${files[@]}" || die "import failed"
	R[db.all]=$(db_mib "$W/pall")
	if [ "$STEPWISE" = 0 ]; then
		R[db.$big]=${R[db.all]}
		make_paths "$big" "${idx[@]}"
		lookups "$big" "$W/pall"
	fi
	rm -rf "$W/pall"
}

# 100k, then the other files one "pksync import" each, into one database
# (with --no-stepwise only the 100k point)
run_big() {
	local i f idx=("$DATA/idx-0.txt") big
	big=$((NFILES * 100))k
	R[big]=$big
	say "100,000 keys, then to $big, one file at a time"
	setup "$W/pbig" || die "init failed"
	import i100k "$W/pbig" "$DATA/sks-dump-0000.pgp" || die "import failed"
	R[file.0.s]=${R[i100k.s]}
	R[db.100k]=$(db_mib "$W/pbig")
	make_paths 100k "${idx[@]}"
	lookups 100k "$W/pbig"
	[ "$STEPWISE" = 1 ] || return 0
	R[ibig.s]=${R[i100k.s]}
	R[ibig.cpu]=${R[i100k.cpu]}
	R[ibig.kb]=${R[i100k.kb]}
	R[ibig.wmb]=${R[i100k.wmb]}
	R[ibig.sys]=${R[i100k.sys]}
	for ((i = 1; i < NFILES; i++)); do
		f=$(printf '%s/sks-dump-%04d.pgp' "$DATA" "$i")
		gen_file "$i"
		idx+=("$DATA/idx-$i.txt")
		import "file.$i" "$W/pbig" "$f" || die "import of $f failed"
		R[ibig.s]=$(awk -v a="${R[ibig.s]}" -v b="${R[file.$i.s]}" \
			'BEGIN { print a + b }')
		R[ibig.cpu]=$(awk -v a="${R[ibig.cpu]}" -v b="${R[file.$i.cpu]}" \
			'BEGIN { print a + b }')
		R[ibig.sys]=$(awk -v a="${R[ibig.sys]}" -v b="${R[file.$i.sys]}" \
			'BEGIN { print a + b }')
		R[ibig.wmb]=$((R[ibig.wmb] + R[file.$i.wmb]))
		[ "${R[file.$i.kb]}" -gt "${R[ibig.kb]}" ] &&
			R[ibig.kb]=${R[file.$i.kb]}
	done
	R[file.0.wmb]=${R[i100k.wmb]}
	R[file.0.cpu]=${R[i100k.cpu]}
	R[db.$big]=$(db_mib "$W/pbig")
	make_paths "$big" "${idx[@]}"
	lookups "$big" "$W/pbig"
}

run_sks() {
	say "SKS: build + cleandb + pbuild of sks-dump-0000.pgp (100,000 keys)"
	sks_setup "$W/sks" "$DATA/sks-dump-0000.pgp" "$(free_port)" \
		"$(free_port)" >/dev/null 2>&1 || { echo "   SKS failed"; return; }
	read -r "R[sks.s]" "R[sks.kb]" <"$W/sks/time.total"
	R[sks.cpu]=$(cat "$W/sks/time.cpu")
	echo "   SKS: ${R[sks.s]} s (CPU ${R[sks.cpu]} s)"
}

kps() {
	awk -v n="$1" -v s="${2:-}" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "-" }'
}

# the lines of the one-file-per-import load (report)
stepwise_report() {
	local big=${R[big]} i
	echo "import cost per key, $big vs 100k, one file per import" \
		"(whole run / first file):" \
		"$(awk -v a="${R[ibig.s]}" -v b="${R[i100k.s]}" -v n="$NFILES" \
			'BEGIN { printf "%.2f", a / n / b }') in time," \
		"$(awk -v a="${R[ibig.cpu]}" -v b="${R[i100k.cpu]}" -v n="$NFILES" \
			'BEGIN { printf "%.2f", a / n / b }') in CPU"
	# file 0 takes the bulk path (an empty database), the others go
	# key by key: the same path at 1M and at 100k is the last file
	# against the second
	if [ "$NFILES" -gt 2 ] && [ -n "${R[file.1.s]:-}" ]; then
		i=$((NFILES - 1))
		echo "key by key into the growing database, file $i (from" \
			"$((i * 100))k keys) vs file 1 (from 100k):" \
			"$(awk -v a="${R[file.$i.s]}" -v b="${R[file.1.s]}" \
				'BEGIN { printf "%.2f", a / b }') in time," \
			"$(awk -v a="${R[file.$i.cpu]}" -v b="${R[file.1.cpu]}" \
				'BEGIN { printf "%.2f", a / b }') in CPU," \
			"$(awk -v a="${R[file.$i.wmb]}" -v b="${R[file.1.wmb]}" \
				'BEGIN { printf "%.2f", a / b }') in bytes written"
	fi
	echo "each 100,000-key file into the growing database (s, CPU s, MiB written, sys s; file 0 in bulk):"
	for ((i = 0; i < NFILES; i++)); do
		printf '  file %d: %s s, CPU %s s, %s MiB, sys %s s\n' "$i" \
			"${R[file.$i.s]:--}" "${R[file.$i.cpu]:--}" \
			"${R[file.$i.wmb]:--}" \
			"${R[file.$i.sys]:-${R[i100k.sys]:--}}"
	done
}

report() {
	local big=${R[big]} s n i
	echo "pksync scale benchmark $(date '+%Y-%m-%d %H:%M')" \
		"nproc=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)" \
		"wrk -t2 -c$CONNS -d${DUR}s"
	echo "pksync: $PKSYNC"
	echo
	printf '%-9s %9s %8s %8s %8s %9s %7s %14s %14s %14s %14s\n' keys \
		"import s" keys/s "CPU s" "RSS MiB" "wrote MiB" "DB MiB" \
		"get/s p99" "index/s p99" "index-nc p99" "vindex/s p99"
	for s in 10k 100k "$big"; do
		case $s in
		10k) i=i10k; n=10000 ;;
		100k) i=i100k; n=100000 ;;
		*) i=ibig; n=$((NFILES * 100000))
		   [ "$STEPWISE" = 1 ] || i=iall ;;
		esac
		printf '%-9s %9s %8s %8s %8s %9s %7s %14s %14s %14s %14s\n' "$s" \
			"${R[$i.s]:--}" "$(kps $n "${R[$i.s]:-}")" "${R[$i.cpu]:--}" \
			"$(( ${R[$i.kb]:-0} / 1024 ))" "${R[$i.wmb]:--}" \
			"${R[db.$s]:--}" \
			"${R[get.$s.rps]:--} ${R[get.$s.p99]:--}" \
			"${R[index.$s.rps]:--} ${R[index.$s.p99]:--}" \
			"${R[indexnc.$s.rps]:--} ${R[indexnc.$s.p99]:--}" \
			"${R[vindex.$s.rps]:--} ${R[vindex.$s.p99]:--}"
	done
	echo
	echo "import cost per key, $big in one import of $NFILES files vs" \
		"100k: ${R[iall.s]:--} s (CPU ${R[iall.cpu]:--} s, peak" \
		"$(( ${R[iall.kb]:-0} / 1024 )) MiB, wrote ${R[iall.wmb]:--} MiB," \
		"DB ${R[db.all]:--} MiB):" \
		"$(awk -v a="${R[iall.s]:-0}" -v b="${R[i100k.s]}" -v n="$NFILES" \
			'BEGIN { printf "%.2f", a / n / b }') in time," \
		"$(awk -v a="${R[iall.cpu]:-0}" -v b="${R[i100k.cpu]}" -v n="$NFILES" \
			'BEGIN { printf "%.2f", a / n / b }') in CPU"
	[ "$STEPWISE" = 1 ] && stepwise_report
	if [ -n "${R[sks.s]:-}" ]; then
		echo "import of 100,000 keys: pksync ${R[i100k.s]} s" \
			"(CPU ${R[i100k.cpu]} s;" \
			"${R[i100k.ver]:-?} self-signatures verified," \
			"$(kps "${R[i100k.ver]:-0}" "${R[i100k.s]}")/s)," \
			"SKS build+cleandb+pbuild ${R[sks.s]} s (CPU ${R[sks.cpu]} s);" \
			"pksync/SKS $(awk -v a="${R[i100k.s]}" -v b="${R[sks.s]}" \
				'BEGIN { printf "%.2f", a / b }') in time," \
			"$(awk -v a="${R[i100k.cpu]}" -v b="${R[sks.cpu]}" \
				'BEGIN { printf "%.2f", a / b }') in CPU"
	fi
	echo "index = op=index of two words of one user ID, answer cache" \
		"on (the paths repeat: mostly hits); index-nc = the same with" \
		"[server] index_cache = 0 (every request a lookup);" \
		"vindex = op=vindex of an exact e-mail address"
	for s in 10k 100k "$big"; do
		for i in get index indexnc vindex; do
			[ "${R[$i.$s.non2xx]:-0}" = 0 ] ||
				echo "! $i at $s: ${R[$i.$s.non2xx]} non-2xx answers"
		done
	done
}

main() {
	local out
	PKSYNC=${PKSYNC:-$(command -v pksync || true)}
	pks_check_pksync || die "set PKSYNC=/path/to/pksync"
	for t in wrk /usr/bin/time shuf; do
		command -v "$t" >/dev/null || die "missing tool: $t"
	done
	gen_data
	W=$DATA/run
	rm -rf "$W"
	mkdir -p "$W" && chmod 755 "$DATA" "$W"
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	run_10k
	[ "$WITH_SKS" = 1 ] && run_sks
	run_big
	run_all
	mkdir -p "$BENCH/out"
	out=$BENCH/out/scale-$(date +%Y%m%d-%H%M%S).txt
	echo
	report | tee "$out"
	echo "written to $out"
}

main
