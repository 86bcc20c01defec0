#!/bin/bash
# run-all.sh: install what is missing, build, and run the whole test
# suite twice: a gcc build with -Werror, then a clang build with
# AddressSanitizer and UndefinedBehaviorSanitizer.  Services the tests
# need (pksync, SKS, Postfix, the SMTP sink) are started and stopped by
# the tests themselves.  Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
top=$(pwd)
bash tests/deps.sh || exit 1
autoreconf -fi >/dev/null 2>&1 || { echo "autoreconf failed"; exit 1; }
# The two builds below are made out of the tree, which configure refuses
# while the source folder itself is configured (README, "Building").
if [ -f config.status ]; then
	echo "run-all.sh: the source folder is configured in place; make distclean first"
	make distclean >/dev/null 2>&1 || { echo "make distclean failed"; exit 1; }
fi

pass=0 fail=0 status=0
run_build() { # name, configure args...
	local name=$1; shift
	local dir="$top/_build/$name"
	mkdir -p "$dir"
	echo "=== $name build ==="
	( cd "$dir" && "$top/configure" -q "$@" && make -j2 >make.out 2>&1 ) || {
		tail -n 40 "$dir/make.out" 2>/dev/null
		echo "$name: build failed"; fail=$((fail + 1)); status=1; return; }
	if grep -E 'warning:' "$dir/make.out"; then
		echo "$name: compiler warnings"; fail=$((fail + 1)); status=1
	fi
	( cd "$dir" && make -j2 check >check.out 2>&1 ) || status=1
	grep -E '^(FAIL|ERROR|XPASS):' "$dir/check.out"
	local p f e
	p=$(sed -n 's/^# PASS: *//p' "$dir/check.out" | tail -n 1)
	f=$(sed -n 's/^# FAIL: *//p' "$dir/check.out" | tail -n 1)
	e=$(sed -n 's/^# ERROR: *//p' "$dir/check.out" | tail -n 1)
	if [ -z "$p" ]; then
		tail -n 30 "$dir/check.out"; fail=$((fail + 1)); status=1; return
	fi
	echo "$name: ${p} passed, $((f + e)) failed"
	pass=$((pass + p)); fail=$((fail + f + e))
	if [ $((f + e)) -gt 0 ]; then
		for log in $(grep -lE '^(not ok|ERROR)' $(find "$dir/tests" -name '*.log') 2>/dev/null); do
			echo "--- $log"; tail -n 30 "$log"
		done
	fi
}

run_build gcc --enable-werror
run_build sanitize --enable-werror --disable-hardening CC=clang \
	CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	LDFLAGS="-fsanitize=address,undefined"

echo "$pass passed, $fail failed"
[ "$status" = 0 ] && [ "$fail" = 0 ]
