# tap.sh: TAP helpers for the shell integration tests.
#   . "$PKS_SRCDIR/tests/lib/tap.sh"
#   ok "name" command args...     # one result: passes when the command exits 0
#   is "name" "$got" "$want"
#   skip_all "reason"             # exit 77 style skip via TAP
# Ends with tap_done, which prints the plan and exits 1 on any failure.
TAP_N=0
TAP_FAIL=0
ok() {
	_name=$1; shift
	TAP_N=$((TAP_N + 1))
	if "$@" >"${TAP_TMP:-/tmp}/tap.out.$$" 2>&1; then
		echo "ok $TAP_N - $_name"
	else
		TAP_FAIL=$((TAP_FAIL + 1))
		echo "not ok $TAP_N - $_name"
		sed 's/^/# /' "${TAP_TMP:-/tmp}/tap.out.$$" | tail -n 20
	fi
	rm -f "${TAP_TMP:-/tmp}/tap.out.$$"
}
is() {
	TAP_N=$((TAP_N + 1))
	if [ "$2" = "$3" ]; then
		echo "ok $TAP_N - $1"
	else
		TAP_FAIL=$((TAP_FAIL + 1))
		echo "not ok $TAP_N - $1"
		echo "# got:  $(printf '%s' "$2" | head -c 400)"
		echo "# want: $(printf '%s' "$3" | head -c 400)"
	fi
}
diag() { echo "# $*"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
tap_done() {
	echo "1..$TAP_N"
	[ "$TAP_FAIL" -eq 0 ]
}
