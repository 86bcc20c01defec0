# sks.sh: a private SKS 1.1.6 (Debian package) on 127.0.0.1 for tests and
# benchmarks.  Source it from bash:  . "$PKS_SRCDIR/tests/lib/sks.sh"
#
#   (free_port, wait_port, spawn, stop_pid come from proc.sh)
#   need_sks                           skip_all (tap.sh) unless $SKS runs
#   sks_setup DIR KEYRING HKP RECON [PEER_RECON_PORT...]
#                                      build a DB in DIR from a binary keyring
#                                      (KEYRING "" = an empty DB); each PEER port
#                                      becomes a membership line "127.0.0.1 PORT"
#   sks_start DIR                      start sks db + sks recon, wait for
#                                      their ports while they run
#                                      (wait_up); logs' tails on failure
#   sks_stop DIR                       TERM recon, then db; wait for both
#   sks_hkp_port DIR                   print the HKP port of DIR
#   sks_hashes_ok DIR HASHFILE         fetch every hash via POST /pks/hashquery
#                                      (batches of 100), hash what came back;
#                                      prints "returned N of M" and "missing H";
#                                      returns 0 only when all came back
#   sks_all_hashes DIR                 every SKS hash the DB holds (sorted);
#                                      via "sks dump"; a running instance is
#                                      stopped for it and started again
#   sks_hget DIR HASH                  HTTP status of op=hget for one hash
#
# Quirks handled here (docs/sks-recon.md §12-§13): Debian's sks puts every
# file at "basedir + absolute Debian path" (DIR/etc/sks/sksconf,
# DIR/var/lib/sks/DB, ...); "sks cleandb" segfaults on its first exit, so
# it runs as "cleandb || cleandb"; cleandb dies on an empty DB, so an empty
# DB is built from one seed key that is dropped afterwards; hostname is the
# IP literal 127.0.0.2 so recon does not take its 127.0.0.1 peers for
# itself.  DIR must be short: DIR/var/run/sks/recon_com_sock must fit in
# the 108 bytes of a Unix socket path.
#
# Each build step is timed into DIR/time.STEP ("seconds peak-RSS-KiB
# user-s sys-s", from /usr/bin/time) and sks_setup writes the sum to
# DIR/time.total ("seconds peak-RSS-KiB") and the CPU seconds (user +
# sys) to DIR/time.cpu.

PKS_TOOLS=${PKS_TOOLS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)}
. "$(dirname "${BASH_SOURCE[0]}")/proc.sh"
SKS=${SKS:-/usr/sbin/sks}

need_sks() {
	[ -x "$SKS" ] || skip_all "sks not installed"
}

# sks_step DIR NAME CMD...: run one sks step in DIR, timed, output to DIR/NAME.out
sks_step() {
	local dir=$1 name=$2
	shift 2
	(cd "$dir" && /usr/bin/time -f '%e %M %U %S' -o "$dir/time.$name" \
		"$@" >"$dir/$name.out" 2>&1)
}

sks_layout() {
	local dir=$1 hkp=$2 recon=$3 p
	shift 3
	mkdir -p "$dir/etc/sks" "$dir/var/lib/sks" "$dir/var/log/sks" \
		"$dir/var/run/sks" "$dir/var/spool/sks" || return 1
	printf '%s\n' 'hostname: 127.0.0.2' 'recon_address: 127.0.0.1' \
		"recon_port: $recon" 'hkp_address: 127.0.0.1' "hkp_port: $hkp" \
		'disable_mailsync:' 'initial_stat:' 'gossip_interval: 0.25' \
		>"$dir/etc/sks/sksconf"
	: >"$dir/etc/sks/membership"
	for p in "$@"; do
		echo "127.0.0.1 $p" >>"$dir/etc/sks/membership"
	done
	: >"$dir/etc/sks/mailsync"
	echo "$hkp" >"$dir/hkp.port"
	echo "$recon" >"$dir/recon.port"
}

sks_setup() {
	local dir=$1 ring=$2 hkp=$3 recon=$4 seed hash
	shift 4
	if [ ${#dir} -gt 70 ]; then
		echo "sks_setup: DIR too long for Unix sockets: $dir" >&2
		return 1
	fi
	dir=$(mkdir -p "$dir" && cd "$dir" && pwd) || return 1
	sks_layout "$dir" "$hkp" "$recon" "$@" || return 1
	if [ -z "$ring" ]; then
		seed=$dir/seed.pgp
		"$PY" "$PKS_TOOLS/pgpkeys.py" first \
			/usr/share/keyrings/debian-keyring.gpg "$seed" || return 1
		ring=$seed
	fi
	ring=$(cd "$(dirname "$ring")" && pwd)/$(basename "$ring")
	sks_step "$dir" build "$SKS" build "$ring" -basedir "$dir" -n 10 \
		-cache 100 || { echo "sks build failed, see $dir/build.out" >&2; return 1; }
	sks_step "$dir" cleandb "$SKS" cleandb -basedir "$dir" ||
		sks_step "$dir" cleandb2 "$SKS" cleandb -basedir "$dir" ||
		{ echo "sks cleandb failed, see $dir/cleandb*.out" >&2; return 1; }
	sks_step "$dir" pbuild "$SKS" pbuild -basedir "$dir" -cache 20 \
		-ptree_cache 70 || { echo "sks pbuild failed" >&2; return 1; }
	if [ -n "${seed:-}" ]; then
		sks_drop_seed "$dir" "$seed" || return 1
	fi
	for f in "$dir"/time.build "$dir"/time.cleandb* "$dir"/time.pbuild; do
		tail -n 1 "$f"
	done | awk -v cpu="$dir/time.cpu" \
		'{ t += $1; if ($2 > m) m = $2; c += $3 + $4 }
		END { printf "%.2f %d\n", t, m; printf "%.2f\n", c >cpu }' \
		>"$dir/time.total"
}

# sks_drop_seed DIR SEEDFILE: the empty-DB work-around (cleandb and pbuild
# die on an empty DB): drop the seed key through a running sks db, and let
# sks recon's catch-up (every 5 s) take its hash out of the prefix tree
sks_drop_seed() {
	local dir=$1 hash i
	hash=$("$PY" "$PKS_TOOLS/pgpkeys.py" hash "$2") || return 1
	sks_start "$dir" || return 1
	(cd "$dir" && "$SKS" drop "$hash" -basedir "$dir") >"$dir/drop.out" 2>&1
	if [ "$(sks_hget "$dir" "$hash")" = 200 ]; then
		echo "sks drop of the seed key failed, see $dir/drop.out" >&2
		sks_stop "$dir"
		return 1
	fi
	for ((i = 0; i < 100; i++)); do
		grep -q 'hash-updates' "$dir/var/log/sks/recon.log" \
			2>/dev/null && break
		sleep 0.2
	done
	sks_stop "$dir"
}

sks_hkp_port() { cat "$1/hkp.port"; }

sks_db_only_start() {
	local dir=$1
	spawn "$dir" "$dir/db.pid" "$dir/db.out" "$SKS" db -basedir "$dir" ||
		return 1
	wait_up "$dir/db.pid" "$(cat "$dir/hkp.port")" "$dir/db.out" \
		"sks db (HKP)" || {
		tail -n 20 "$dir/var/log/sks/db.log" >&2 2>/dev/null
		return 1
	}
}

sks_start() {
	local dir=$1
	dir=$(cd "$dir" && pwd) || return 1
	sks_db_only_start "$dir" || return 1
	spawn "$dir" "$dir/recon.pid" "$dir/recon.out" "$SKS" recon \
		-basedir "$dir" || return 1
	wait_up "$dir/recon.pid" "$(cat "$dir/recon.port")" "$dir/recon.out" \
		"sks recon" || {
		tail -n 20 "$dir/var/log/sks/recon.log" >&2 2>/dev/null
		return 1
	}
}

sks_stop() {
	local dir=$1 rc=0
	stop_pid "$dir/recon.pid" 20 || rc=1
	stop_pid "$dir/db.pid" 30 || rc=1
	return $rc
}

sks_hget_port() {
	curl -s -o /dev/null -w '%{http_code}' \
		"http://127.0.0.1:$1/pks/lookup?op=hget&search=$2"
}

sks_hget() { sks_hget_port "$(cat "$1/hkp.port")" "$2"; }

sks_hashes_ok() {
	"$PY" "$PKS_TOOLS/pgpkeys.py" hashquery 127.0.0.1 \
		"$(cat "$1/hkp.port")" "$2" 100
}

# "sks dump" opens the Berkeley DB environment itself: run next to a live
# sks db it makes the db PANIC ("fatal region error detected; run
# recovery"), so a running instance is stopped for the dump and restarted
sks_all_hashes() {
	local dir=$1 out was_running=0
	out=$dir/alldump
	if [ -s "$dir/db.pid" ] && pid_alive "$(cat "$dir/db.pid")"; then
		was_running=1
		sks_stop "$dir" || return 1
	fi
	rm -rf "$out" && mkdir -p "$out" || return 1
	(cd "$dir" && "$SKS" dump 100000 "$out" all -basedir "$dir") \
		>"$dir/dump.out" 2>&1 || {
		echo "sks dump failed, see $dir/dump.out" >&2
		return 1
	}
	if [ "$was_running" = 1 ]; then
		sks_start "$dir" >&2 || return 1
	fi
	"$PY" "$PKS_TOOLS/pgpkeys.py" hash "$out"/*.pgp | sort
}
