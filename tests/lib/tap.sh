# tap.sh: TAP helpers for the shell integration tests.
#   . "$PKS_SRCDIR/tests/lib/tap.sh"
#   ok "name" command args...     # one result: passes when the command exits 0
#   is "name" "$got" "$want"
#   skip_all "reason"             # exit 77 style skip via TAP
# Ends with tap_done, which prints the plan and exits 1 on any failure.
#
# The set-up every test repeats:
#   bail "why"                    # "Bail out! why" and exit 1
#   need_keyring                  # KEYRING = Debian's keyring, or skip_all
#   need_cmd NAME...              # skip_all unless each NAME is on PATH
#   test_dir PREFIX               # T = new /tmp/PREFIX.XXXXXX (and TAP_TMP),
#                                 # removed at exit after the at_exit steps
#                                 # (kept when KEEP is set, for a look)
#   at_exit 'shell words'         # run at exit (last given first), before
#                                 # T is removed; its output is dropped
#   sql QUERY                     # first column of the first row of QUERY
#                                 # in the SQLite file $SQL_DB (python3)
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

bail() {
	echo "Bail out! $*"
	exit 1
}

KEYRING=/usr/share/keyrings/debian-keyring.gpg
need_keyring() {
	[ -r "$KEYRING" ] || skip_all "debian-keyring not installed"
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || skip_all "$c not installed"
	done
}

TAP_AT_EXIT=()
at_exit() { TAP_AT_EXIT+=("$1"); }

tap_exit() {
	local i
	for ((i = ${#TAP_AT_EXIT[@]} - 1; i >= 0; i--)); do
		eval "${TAP_AT_EXIT[i]}" >/dev/null 2>&1
	done
	[ -n "${T:-}" ] && [ -z "${KEEP:-}" ] && rm -rf "$T"
}

test_dir() {
	T=$(mktemp -d "/tmp/$1.XXXXXX") || bail "mktemp"
	TAP_TMP=$T
	trap tap_exit EXIT
}

sql() {
	"${PY:-/usr/bin/python3}" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' \
		"${SQL_DB:?}" "$1"
}
