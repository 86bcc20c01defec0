# reload.sh: "pksync serve" and its service manager.  SIGHUP (what
# "systemctl reload pksync" sends) reads the configuration file again:
# a changed hostname shows on the stats page without a restart; a file
# that no longer parses changes nothing and is logged; the readiness
# protocol reports READY=1 at start, RELOADING=1 and READY=1 around each
# reload and STOPPING=1 at the end.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"
command -v curl >/dev/null || skip_all "needs curl"

T=$(mktemp -d /tmp/pkrl.XXXXXX)
chmod 755 "$T" # serve may run as [server] user, and must reach the socket
TAP_TMP=$T
cleanup() {
	pks_stop "$T/srv" >/dev/null 2>&1
	stop_pid "$T/notify.pid" 5
	rm -rf "$T"
}
trap cleanup EXIT

pks_setup "$T/srv" || { echo "Bail out! pks_setup failed"; exit 1; }
# A stand-in for systemd's notification socket: one datagram a line.
spawn "$T" "$T/notify.pid" "$T/notify.out" "$PY" -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
while True:
    print(s.recv(256).decode(), flush=True)' "$T/notify.sock"
for ((i = 0; i < 50; i++)); do [ -S "$T/notify.sock" ] && break; sleep 0.1; done
export NOTIFY_SOCKET=$T/notify.sock
pks_start "$T/srv" || { echo "Bail out! pksync serve did not start"; exit 1; }
unset NOTIFY_SOCKET
pid=$(cat "$T/srv/serve.pid")

wait_for() { # FILE PATTERN COUNT: until PATTERN is in FILE COUNT times (10 s)
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c -- "$2" "$1")" -ge "$3" ] && return 0
		sleep 0.1
	done
	return 1
}
last_port() {
	sed -n 's/.*listening on 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$T/srv/serve.log" | tail -n 1
}
stats_host() {
	curl -s "http://127.0.0.1:$(last_port)/pks/lookup?op=stats&options=mr" |
		sed -n 's/.*"hostname":"\([^"]*\)".*/\1/p'
}
ok "READY=1 once listening" wait_for "$T/notify.out" '^READY=1$' 1
is "the stats page names the configured host" "$(stats_host)" "pksync.test"

sed -i 's/^hostname = pksync.test$/hostname = reloaded.test/' "$T/srv/pksync.conf"
kill -HUP "$pid"
ok "SIGHUP: the configuration was read again" \
	wait_for "$T/srv/serve.log" 'reload: configuration read again' 1
ok "the server listens again" wait_port "$(last_port)" 10
is "the stats page names the new host" "$(stats_host)" "reloaded.test"
ok "RELOADING=1, then READY=1" wait_for "$T/notify.out" '^READY=1$' 2
is "the order the service manager saw" "$(tr '\n' ' ' <"$T/notify.out")" \
	"READY=1 RELOADING=1 READY=1 "

echo "this line is not key = value" >>"$T/srv/pksync.conf"
kill -HUP "$pid"
ok "a broken file is refused, and logged" \
	wait_for "$T/srv/serve.log" 'the running configuration stays' 1
is "the server keeps serving the running configuration" "$(stats_host)" "reloaded.test"
ok "serve is still running" pid_alive "$pid"

ok "pks_stop: stops cleanly, no sanitizer report" pks_stop "$T/srv"
ok "STOPPING=1 at the end" wait_for "$T/notify.out" '^STOPPING=1$' 1
tap_done
