# proc.sh: process and port helpers shared by sks.sh, pksync.sh and bench/.
#
#   free_port                    print a free TCP port on 127.0.0.1
#   wait_port PORT SECONDS       wait until 127.0.0.1:PORT accepts (rc 1: timeout)
#   spawn CWD PIDFILE LOG CMD... start CMD in its own session (setsid), in
#                                the background, stdin /dev/null, stdout and
#                                stderr appended to LOG; its pid in PIDFILE
#   stop_pid PIDFILE SECONDS     TERM the pid, wait, KILL after SECONDS (rc 1)
#   pid_alive PID                the process exists and is not a zombie
#   wait_up PIDFILE PORT LOG WHAT
#                                wait while the process of PIDFILE lives
#                                until 127.0.0.1:PORT accepts, at most
#                                $PKS_START_SECS (180) seconds; on failure
#                                say why (WHAT names it) and print LOG's tail
#   peak_rss_kb PID              VmHWM of a running process in KiB
#
# No process is ever found by name: always by the pid recorded at start.
PY=${PY:-/usr/bin/python3}

free_port() {
	"$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

wait_port() {
	"$PY" - "$1" "$2" <<'PYEOF'
import socket, sys, time
port, end = int(sys.argv[1]), time.time() + float(sys.argv[2])
while time.time() < end:
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.1)
sys.exit(1)
PYEOF
}

# setsid forks when the caller is a process-group leader, so $! would be
# the wrong pid: the process writes its own pid right before it execs CMD.
spawn() {
	local cwd=$1 pidf=$2 log=$3 i
	shift 3
	rm -f "$pidf"
	(cd "$cwd" && exec setsid sh -c 'echo $$ >"$0"; exec "$@"' "$pidf" "$@" \
		</dev/null >>"$log" 2>&1 &)
	for ((i = 0; i < 50; i++)); do
		[ -s "$pidf" ] && return 0
		sleep 0.1
	done
	echo "spawn: $* did not start" >&2
	return 1
}

# PID 1 on the test machines may not reap orphans: a zombie counts as gone
pid_alive() {
	case $(ps -o stat= -p "$1" 2>/dev/null) in
	'' | Z*) return 1 ;;
	esac
	return 0
}

stop_pid() {
	local f=$1 secs=$2 pid i
	[ -s "$f" ] || return 0
	pid=$(cat "$f")
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < secs * 10; i++)); do
		if ! pid_alive "$pid"; then
			rm -f "$f"
			return 0
		fi
		sleep 0.1
	done
	echo "pid $pid did not stop in ${secs}s, killing it" >&2
	kill -KILL "$pid" 2>/dev/null
	rm -f "$f"
	return 1
}

# Start-up waits never decide a test by timing: they end when the port
# opens or the process dies, and the limit is far above any start-up
# seen under load.
PKS_START_SECS=${PKS_START_SECS:-180}
wait_up() {
	local pidf=$1 port=$2 log=$3 what=$4 end
	end=$((SECONDS + PKS_START_SECS))
	while [ "$SECONDS" -lt "$end" ]; do
		wait_port "$port" 1 && return 0
		[ -s "$pidf" ] && pid_alive "$(cat "$pidf")" && continue
		echo "$what exited before 127.0.0.1:$port opened; $log:" >&2
		tail -n 20 "$log" >&2
		return 1
	done
	echo "$what did not open 127.0.0.1:$port in ${PKS_START_SECS}s; $log:" >&2
	tail -n 20 "$log" >&2
	return 1
}

peak_rss_kb() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}
