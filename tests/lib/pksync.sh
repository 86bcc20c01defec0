# pksync.sh: run pksync for integration tests and benchmarks.
# Source it from bash:  . "$PKS_SRCDIR/tests/lib/pksync.sh"
# The binary is $PKSYNC (make check exports it).
#
#   pks_setup DIR [RECON_PORT [PEER_RECON_PORT...]]
#                        write DIR/pksync.conf (datadir DIR/data, HTTP on
#                        127.0.0.1:0, recon on RECON_PORT when given, one
#                        membership line "127.0.0.1 PORT" per peer) and run
#                        "pksync init".  As root: "user = $PKS_USER" (nobody
#                        unless set), DIR given to that user and the folders
#                        above it under /tmp made enterable (pks_user_dir)
#   pks_mail_setup DIR PEER...
#                        pks_setup DIR, then a [mail] group (the last
#                        group: lines appended to DIR/pksync.conf join
#                        it) relaying to the sink on 127.0.0.1:$SINK_PORT
#                        (smtpsink.sh), maintainer $PKS_MAINTAINER
#                        (admin@example.org unless set), this_site
#                        pgp-public-keys@pksync.test, peers_file
#                        DIR/mailsync holding the PEERs; sets SQL_DB to
#                        DIR's database (tap.sh sql)
#   pks_user_dir DIR     as root: give DIR to $PKS_USER and let it enter
#                        DIR's parents below /tmp; else nothing
#   pks_start DIR        "pksync serve" in its own session, stderr to
#                        DIR/serve.log; waits for "listening on 127.0.0.1:PORT"
#                        while it runs (at most $PKS_START_SECS, proc.sh;
#                        its log's tail on failure) and sets and exports
#                        PKS_PORT (also in DIR/http.port)
#   pks_stop DIR         TERM by pid, wait; then fail (rc 1) if DIR/serve.log
#                        holds a sanitizer report
#   pks_port DIR         print the HTTP port of a started DIR
#   pks DIR ARGS...      run "pksync -c DIR/pksync.conf ARGS..."
#   pks_check_pksync     rc 0 when $PKSYNC is an executable pksync
#   pks_public_copy DIR  for tests where another user (Postfix's pipe as
#                        nobody) runs pksync: copy the binary to DIR/bin
#                        and the help texts to DIR/help, readable by all,
#                        and point PKSYNC and PKS_HELP_DIR at the copies.
#                        The build may live under a 0700 folder (a fresh
#                        Debian's /root) that such a user cannot enter.
#   pks_sanitizer_scan FILE  print sanitizer reports found in FILE (rc 1 if any)
#   pks_small_quarantine for tests that bound pksync's memory: a sanitizer
#                        build keeps freed blocks in a quarantine (256 MB
#                        by default), so keep it at 8 MB (ASAN_OPTIONS)

. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"

pks_check_pksync() {
	if [ -z "${PKSYNC:-}" ]; then
		echo "PKSYNC is not set (path of the pksync binary)" >&2
		return 1
	fi
	if [ ! -x "$PKSYNC" ]; then
		echo "PKSYNC=$PKSYNC is not an executable file" >&2
		return 1
	fi
}

pks_public_copy() {
	local dir=$1
	pks_check_pksync || return 1
	install -d -m 755 "$dir" "$dir/bin" "$dir/help" || return 1
	install -m 755 "$PKSYNC" "$dir/bin/pksync" || return 1
	cp -R "$PKS_SRCDIR/mail/help/." "$dir/help/" || return 1
	chmod -R a+rX "$dir/help" || return 1
	PKSYNC=$dir/bin/pksync
	PKS_HELP_DIR=$dir/help
	export PKSYNC PKS_HELP_DIR
}

# Started as root, pksync becomes [server] user; its folders must be
# that user's, and reachable (mktemp -d makes 0700 folders).
PKS_USER=${PKS_USER:-nobody}
pks_user_dir() {
	local dir=$1 up
	[ "$(id -u)" = 0 ] || return 0
	chown -R "$PKS_USER:$(id -gn "$PKS_USER")" "$dir" || return 1
	up=$(dirname "$dir")
	while [ "${up#/tmp/}" != "$up" ]; do
		chmod o+x "$up" || return 1
		up=$(dirname "$up")
	done
}

pks() {
	local dir=$1
	shift
	"$PKSYNC" -c "$dir/pksync.conf" "$@"
}

pks_setup() {
	local dir=$1 recon=${2:-} p
	shift
	[ $# -gt 0 ] && shift
	pks_check_pksync || return 1
	dir=$(mkdir -p "$dir" && cd "$dir" && pwd) || return 1
	mkdir -p "$dir/data" || return 1
	{
		echo "# written by tests/lib/pksync.sh"
		echo "[server]"
		echo "datadir = $dir/data"
		echo "http_listen = 127.0.0.1:0"
		echo "hostname = pksync.test"
		echo "contact = 0x0123456789ABCDEF"
		[ "$(id -u)" = 0 ] && echo "user = $PKS_USER"
		if [ -n "$recon" ]; then
			echo "[recon]"
			echo "listen = 127.0.0.1:$recon"
			echo "membership_file = $dir/membership"
			echo "gossip_interval = 10"
		fi
	} >"$dir/pksync.conf"
	: >"$dir/membership"
	for p in "$@"; do
		echo "127.0.0.1 $p" >>"$dir/membership"
	done
	pks_user_dir "$dir" || return 1
	pks "$dir" init >"$dir/init.out" 2>&1 || {
		echo "pksync init failed:" >&2
		cat "$dir/init.out" >&2
		return 1
	}
}

pks_mail_setup() {
	local dir=$1
	shift
	pks_setup "$dir" || return 1
	cat >>"$dir/pksync.conf" <<EOF || return 1
[mail]
maintainer = ${PKS_MAINTAINER:-admin@example.org}
this_site = pgp-public-keys@pksync.test
relay = 127.0.0.1:${SINK_PORT:?}
peers_file = $dir/mailsync
EOF
	printf '%s\n' "$@" >"$dir/mailsync" || return 1
	pks_user_dir "$dir" || return 1
	SQL_DB=$dir/data/pksync.db
}

pks_sanitizer_scan() {
	grep -E 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' \
		"$1" && return 1
	return 0
}

pks_small_quarantine() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"
	export ASAN_OPTIONS
}

pks_port() { cat "$1/http.port"; }

pks_start() {
	local dir=$1 port end
	pks_check_pksync || return 1
	dir=$(cd "$dir" && pwd) || return 1
	: >"$dir/serve.log"
	spawn "$dir" "$dir/serve.pid" "$dir/serve.log" \
		"$PKSYNC" -c "$dir/pksync.conf" serve || return 1
	end=$((SECONDS + PKS_START_SECS))
	while :; do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' \
			"$dir/serve.log" | head -n 1)
		[ -n "$port" ] && break
		if ! pid_alive "$(cat "$dir/serve.pid")"; then
			echo "pksync serve exited; its log:" >&2
			tail -n 20 "$dir/serve.log" >&2
			rm -f "$dir/serve.pid"
			return 1
		fi
		if [ "$SECONDS" -ge "$end" ]; then
			echo "pksync serve did not log 'listening on" \
				"127.0.0.1:PORT' in ${PKS_START_SECS}s; its log:" >&2
			tail -n 20 "$dir/serve.log" >&2
			pks_stop "$dir"
			return 1
		fi
		sleep 0.1
	done
	echo "$port" >"$dir/http.port"
	PKS_PORT=$port
	export PKS_PORT
	wait_up "$dir/serve.pid" "$port" "$dir/serve.log" "pksync serve"
}

pks_stop() {
	local dir=$1 rc=0
	stop_pid "$dir/serve.pid" 30 || rc=1
	if [ -f "$dir/serve.log" ] && ! pks_sanitizer_scan "$dir/serve.log" >&2
	then
		echo "sanitizer report in $dir/serve.log" >&2
		rc=1
	fi
	return $rc
}

# pks_db_facts DB [SQL]: the rows of the database file DB that an import
# writes, in row order and without times (keys, index rows, listings,
# the word table, the prefix tree), then SQL's output: two databases
# made from the same keys in different ways compare equal.
pks_db_facts() {
	sqlite3 "$1" "
SELECT id, hex(fpr), version, hex(hash), recon, algo, bits, ctime,
  expires, revoked, uids, hex(checks), length(data), hex(data)
  FROM keys ORDER BY id;
SELECT * FROM keyids ORDER BY 1, 2, 3;
SELECT * FROM emails ORDER BY 1, 2;
SELECT id, hex(listing) FROM key_listings ORDER BY id;
SELECT word, key, hex(listing) FROM key_word_listings ORDER BY 1, 2;
SELECT hex(prefix), size, leaf, hex(samples), hex(elems)
  FROM ptree_nodes ORDER BY prefix;
${2:-}"
}
