# pool.sh: three pksync servers behind HAProxy, as README "Running a
# pool" describes.  Each has its own database; they reconcile with each
# other every 2 s, P1 also with a real SKS, and only P1 holds the mail
# sync list.  HAProxy runs etc/haproxy/pksync.cfg with 127.0.0.1 and free
# ports put in, and a stats socket added.
#  - gpg --send-keys to the balancer's hkp:// URL: every instance, then
#    SKS, serves the key;
#  - a key uploaded to P2 directly reaches P1 by recon and P1 queues it
#    for its sync peer;
#  - P2 stops while a loop of op=get runs through the balancer: no
#    request fails once HAProxy has marked P2 down (requests in flight
#    before that are retried on another server by retries/redispatch;
#    what was seen is printed);
#  - a key uploaded while P2 is down reaches P2 when it comes back;
#  - P1 queued each key once for its sync peer, P2 and P3 nothing.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"
. "$PKS_SRCDIR/tests/lib/sks.sh"
. "$PKS_SRCDIR/tests/lib/gpg.sh"

need_cmd haproxy gpg
PY=/usr/bin/python3
TOOLS=$PKS_SRCDIR/tests/tools
PEER=pgp-public-keys@peer.example

test_dir ppl
at_exit gpg_cleanup
at_exit 'sks_stop "$T/s"'
at_exit 'for d in p1 p2 p3; do pks_stop "$T/$d"; done'
at_exit 'stop_pid "$T/haproxy.pid" 10'
at_exit '[ -s "$T/loop.pid" ] && stop_pid "$T/loop.pid" 5'

# ---- SKS (empty), three pksync, HAProxy ----

SR=$(free_port); SH=$(free_port)
R1=$(free_port); R2=$(free_port); R3=$(free_port)
H1=$(free_port); H2=$(free_port); H3=$(free_port); HP=$(free_port)
ok "sks build (empty)" sks_setup "$T/s" "" "$SH" "$SR" "$R1"
pks_setup "$T/p1" "$R1" "$R2" "$R3" "$SR" &&
	pks_setup "$T/p2" "$R2" "$R1" "$R3" &&
	pks_setup "$T/p3" "$R3" "$R1" "$R2" || bail "pks_setup"
set -- "$H1" "$H2" "$H3"
for d in p1 p2 p3; do
	sed -i -e "s/^http_listen = .*/http_listen = 127.0.0.1:$1/" \
		-e '/^\[server\]/a trusted_proxies = 127.0.0.1' \
		-e 's/^gossip_interval = .*/gossip_interval = 2/' \
		"$T/$d/pksync.conf"
	shift
done
printf '%s\n' '[mail]' "this_site = pgp-public-keys@pool.example" \
	'peers_file = mailsync' >>"$T/p1/pksync.conf"
echo "$PEER" >"$T/p1/mailsync"

sks_start "$T/s" || bail "sks start"
for d in p1 p2 p3; do
	pks_start "$T/$d" || bail "start $d"
done

sed -e "s/^\tbind :11371/\tbind 127.0.0.1:$HP/" \
	-e "s/127\.0\.0\.1:11381/127.0.0.1:$H1/" \
	-e "s/127\.0\.0\.1:11382/127.0.0.1:$H2/" \
	-e "s/127\.0\.0\.1:11383/127.0.0.1:$H3/" \
	-e "s|^global|global\n\tstats socket $T/haproxy.sock mode 600 level admin|" \
	"$PKS_SRCDIR/etc/haproxy/pksync.cfg" >"$T/haproxy.cfg"
ok "haproxy -c accepts the example config" haproxy -c -q -f "$T/haproxy.cfg"
spawn "$T" "$T/haproxy.pid" "$T/haproxy.log" haproxy -db -f "$T/haproxy.cfg" ||
	bail haproxy

# state NAME: the server's status on the stats socket (UP, DOWN, ...)
state() {
	"$PY" - "$T/haproxy.sock" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
data = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    data += b
for line in data.decode().splitlines():
    f = line.split(",")
    if len(f) > 17 and f[0] == "pksync" and f[1] == sys.argv[2]:
        print(f[17].split(" ")[0])
EOF
}
# until_state NAME STATUS: poll the stats socket while HAProxy runs
# (PKS_START_SECS at most: a start-up wait, proc.sh)
until_state() {
	local end=$((SECONDS + PKS_START_SECS))
	while [ "$SECONDS" -lt "$end" ]; do
		[ "$(state "$1" 2>/dev/null)" = "$2" ] && return 0
		pid_alive "$(cat "$T/haproxy.pid")" || break
		sleep 0.2
	done
	echo "HAProxy: $1 not $2; $T/haproxy.log:" >&2
	tail -n 20 "$T/haproxy.log" >&2
	return 1
}
all_up() { until_state pks1 UP && until_state pks2 UP && until_state pks3 UP; }
ok "HAProxy sees pks1, pks2, pks3 UP (health check op=stats)" all_up

# ---- a key uploaded through the balancer ----

now() { date +%s.%N; }
# serves PORT FPR: op=get of FPR answers 200
serves() {
	curl -sf -o /dev/null "http://127.0.0.1:$1/pks/lookup?op=get&options=mr&search=0x$2"
}
# all_serve FPR PORT...: poll until every port serves FPR (120 s at most)
all_serve() {
	local fpr=$1 i p miss
	shift
	for ((i = 0; i < 600; i++)); do
		miss=
		for p in "$@"; do
			serves "$p" "$fpr" || miss=1
		done
		[ -z "$miss" ] && return 0
		sleep 0.2
	done
	return 1
}
# newkey NAME: a fresh Ed25519 key in gpg's ring; its fingerprint
newkey() {
	gpgt --passphrase '' --quick-gen-key "$1 <$1@pool.example>" \
		ed25519 sign never >/dev/null 2>&1 &&
		gpgt --with-colons --list-keys "$1@pool.example" 2>/dev/null |
		awk -F: '$1 == "fpr" { print $10; exit }'
}

gpg_setup "$HP"
K1=$(newkey pool-one)
ok "gpg made key 1" test -n "$K1"
t0=$(now)
ok "gpg --send-keys to hkp://127.0.0.1:$HP (the balancer)" gpgt --send-keys "$K1"
ok "key 1 is served by P1, P2 and P3" all_serve "$K1" "$H1" "$H2" "$H3"
t1=$(now)
diag "pool convergence: gpg --send-keys to served by all three:" \
	"$(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.1f", a - b }') s (gossip_interval 2 s)"
ok "gpg --recv-keys through the balancer" gpgt --recv-keys "$K1"

# ---- uploaded to P2: P1 mails it ----

K3=$(newkey pool-three)
gpgt --armor --export "$K3" >"$T/k3.asc"
ok "upload key 3 to P2 directly (POST /pks/add)" curl -sf -o /dev/null \
	--data-urlencode "keytext@$T/k3.asc" "http://127.0.0.1:$H2/pks/add"
ok "key 3 reaches P1 and P3 by recon" all_serve "$K3" "$H1" "$H3"

# ---- P2 stops while op=get runs through the balancer ----

"$PY" - "http://127.0.0.1:$HP/pks/lookup?op=get&options=mr&search=0x$K1" \
	"$T/loop.out" "$T/loop.pid" <<'EOF' &
import os, sys, time, urllib.request
url, out, pidf = sys.argv[1:4]
open(pidf, "w").write("%d\n" % os.getpid())
with open(out, "w", buffering=1) as f:
    while True:
        t = time.time()
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                r.read()
                st = str(r.status)
        except urllib.error.HTTPError as e:
            st = str(e.code)
        except Exception as e:
            st = "ERR:" + type(e).__name__
        f.write("%.3f %.3f %s\n" % (t, time.time(), st))
EOF
for ((i = 0; i < 50; i++)); do [ -s "$T/loop.out" ] && break; sleep 0.1; done
sleep 2
tstop=$(now)
ok "P2 stops" pks_stop "$T/p2"
ok "HAProxy marks pks2 DOWN" until_state pks2 DOWN
tdown=$(now)
sleep 3
stop_pid "$T/loop.pid" 5
awk -v s="$tstop" -v d="$tdown" '
	{ n++; if ($3 != "200") { bad++; if ($1 >= d) after++; else if ($2 >= s) during++ } }
	$1 >= s && $1 < d { between++ }
	END { printf "%d %d %d %d %d\n", n, bad, during, after, between }' \
	"$T/loop.out" >"$T/loop.sum"
read -r n bad during after between <"$T/loop.sum"
diag "op=get through the balancer: $n requests, $bad failed in all;" \
	"$between sent between P2's stop and pks2 DOWN" \
	"($(awk -v a="$tdown" -v b="$tstop" 'BEGIN { printf "%.1f", a - b }') s)," \
	"$during of them failed; $after failed after DOWN"
diag "HAProxy retried $(grep -c '/+[0-9]* [0-9]*/[0-9]* "GET' "$T/haproxy.log")" \
	"GET requests on another server (redispatch: the connection to a server was refused)"
is "no request failed after HAProxy marked pks2 down" "$after" 0
ok "requests ran all along (more than 10)" test "$n" -gt 10

# ---- a key uploaded while P2 is down; P2 catches up ----

K2=$(newkey pool-two)
ok "gpg --send-keys key 2 through the balancer, P2 down" gpgt --send-keys "$K2"
ok "key 2 is served by P1 and P3" all_serve "$K2" "$H1" "$H3"
ok "P2 starts again" pks_start "$T/p2"
ok "P2 catches up: serves key 2" all_serve "$K2" "$H2"
ok "HAProxy marks pks2 UP again" until_state pks2 UP
ok "the balancer serves keys 1, 2, 3" sh -c \
	"curl -sf -o /dev/null 'http://127.0.0.1:$HP/pks/lookup?op=get&search=0x$K1' &&
	 curl -sf -o /dev/null 'http://127.0.0.1:$HP/pks/lookup?op=get&search=0x$K2' &&
	 curl -sf -o /dev/null 'http://127.0.0.1:$HP/pks/lookup?op=get&search=0x$K3'"
ok "SKS (recon with P1 only) serves keys 1, 2, 3" all_serve "$K1" "$SH"
ok "... key 2" all_serve "$K2" "$SH"
ok "... key 3" all_serve "$K3" "$SH"

# ---- mail: one instance, each key once ----

queued() {
	pks "$T/$1" stats --json |
		sed -n 's/.*"incrementalsQueued":\([0-9]*\).*/\1/p'
}
is "P1 (the sync list) queued each of the 3 keys once for $PEER" "$(queued p1)" 3
is "P2 (no sync list) queued nothing" "$(queued p2)" 0
is "P3 (no sync list) queued nothing" "$(queued p3)" 0

stop_pid "$T/haproxy.pid" 10
for d in p1 p2 p3; do
	ok "$d stops cleanly" pks_stop "$T/$d"
	ok "$d: tree == keys" pks "$T/$d" check
done
tap_done
