#!/bin/bash
# fuzz-run.sh: run libFuzzer targets one after the other, each for a set
# time, then merge what it found into the committed corpus (minimised:
# only inputs that add coverage are kept).  Needs a build configured with
# --enable-fuzzers CC=clang (see tests/fuzz/Makemodule.am).
#   bash tests/tools/fuzz-run.sh BUILDDIR SECONDS OUTDIR target...
#   bash tests/tools/fuzz-run.sh _build/fuzz 600 /tmp/fuzz packet armor
# For each target OUTDIR/<target>.log holds libFuzzer's output (its
# "DONE cov: E" line gives edges, "stat::number_of_executed_units" the
# executions), OUTDIR/<target>/ the crash artifacts, if any, and the
# minimised inputs new to tests/fuzz/corpus/<target>/ are added there as
# lf-<sha1>.  Each binary is copied first, so rebuilding meanwhile is
# safe.  The fuzzers run under nice -n 19.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$1 secs=$2 out=$3
shift 3
mkdir -p "$out"

# Add the files of $1 whose content the corpus $2 lacks, as lf-<sha1>.
add_new() {
	local f s n=0
	declare -A have=()
	for f in "$2"/*; do
		[ -f "$f" ] && have[$(sha1sum <"$f" | cut -c1-40)]=1
	done
	for f in "$1"/*; do
		s=$(sha1sum <"$f" | cut -c1-40)
		[ -n "${have[$s]:-}" ] && continue
		cp "$f" "$2/lf-$s" && n=$((n + 1))
	done
	echo "$n"
}

for t in "$@"; do
	bin="$build/tests/fuzz/fuzz_${t}_libfuzzer"
	corpus="$top/tests/fuzz/corpus/$t"
	work="$out/$t.work"
	mkdir -p "$out/$t" "$work" "$out/$t.min"
	cp "$bin" "$out/$t.bin" || continue
	cp "$corpus"/* "$work"/
	echo "$(date -u +%T) $t: start" >>"$out/progress"
	nice -n 19 "$out/$t.bin" -max_total_time="$secs" -print_final_stats=1 \
		-rss_limit_mb=2048 -timeout=10 -artifact_prefix="$out/$t/" \
		"$work" >"$out/$t.log" 2>&1
	echo "$(date -u +%T) $t: fuzz rc=$?" >>"$out/progress"
	# Minimise: the old corpus plus the new finds, only what adds coverage.
	nice -n 19 "$out/$t.bin" -merge=1 -rss_limit_mb=2048 -timeout=10 \
		"$out/$t.min" "$corpus" "$work" >"$out/$t.merge.log" 2>&1
	echo "$(date -u +%T) $t: merge rc=$?, $(add_new "$out/$t.min" "$corpus")" \
		"new inputs in the corpus" >>"$out/progress"
done
