# bench/lib.sh: the pksync set-up every benchmark shares (sourced after
# tests/lib/pksync.sh).

# No per-address limits (searches a minute, open connections): every
# wrk request comes from 127.0.0.1 (pks_setup writes [server] last).
bench_conf() {
	printf '[server]\nsearch_per_minute = 0\nmax_connections_per_address = 0\n' \
		>>"$1/pksync.conf"
}

# bench_setup DIR: pks_setup and bench_conf for any pksync binary
# ($PKSYNC), also one older than some of the keys they write ("user",
# the per-address limits): init is retried without each key the binary
# calls unknown (an older binary that has no such limit needs none).
bench_setup() {
	local dir=$1 k
	pks_setup "$dir" >/dev/null 2>&1
	bench_conf "$dir"
	while ! pks "$dir" init >"$dir/init.out" 2>&1; do
		k=$(sed -n 's/.*unknown key: \([a-z_]*\).*/\1/p' "$dir/init.out" |
			head -n 1)
		[ -n "$k" ] || { cat "$dir/init.out" >&2; return 1; }
		sed -i "/^$k = /d" "$dir/pksync.conf"
	done
}
