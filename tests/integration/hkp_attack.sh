# hkp_attack.sh: HTTP starvation attacks from 127.0.0.1 while a client
# on 127.0.0.2 asks op=get every 0.25 s.  Each attack runs 15 s; every
# probe must be answered (200) and the server's resident memory must
# stay under 200 MiB.  The probes' worst latency is printed: it is
# tens of milliseconds on a quiet machine (bench/attack.sh measures it
# next to SKS), but a test must not fail on timing, so an answer counts
# within 5 s (a starved probe gets none):
#  - slowloris: 1,100 connections, each sending a header line every 2 s
#    (faster than idle_timeout, so only the header deadline ends them);
#  - slow readers: 40 connections asking /pks/hashquery (full stored
#    keys, open to anyone) for two 5.3 MB keys and never reading;
#  - stalled uploads: 40 POSTs announcing 8 MiB that stop after 4 MiB.
# Then a log-injection check: a request whose URL carries an encoded
# newline writes one log line.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"

PY=/usr/bin/python3
TOOLS=$PKS_SRCDIR/tests/tools
DATA=$PKS_SRCDIR/tests/data/pgp
LIMIT_KIB=$((200 * 1024))
pks_small_quarantine

test_dir hat
at_exit 'pks_stop "$T/s"'

"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0))' ||
	skip_all "cannot bind 127.0.0.2"

# Two keys padded to about 5.3 MB each with unsigned photo IDs: stored
# as received (SKS parity) and given whole by /pks/hashquery, while
# op=get serves them without the unsigned packets.
"$PY" "$TOOLS/hkpattack.py" padkey "$DATA/rsa-2uid.pgp" "$T/big1.pgp" 24 220000
"$PY" "$TOOLS/hkpattack.py" padkey "$DATA/rsa-small.pgp" "$T/big2.pgp" 24 220000
pks_setup "$T/s" || bail "pks_setup"
sed -i 's/^\[server\]$/[server]\nlog_level = debug/' "$T/s/pksync.conf"
# import reads its files as [server] user, who may not enter the source
# folder (a fresh Debian's /root is 0700): give it copies.
install -m 644 "$DATA/eddsa.pgp" "$T/eddsa.pgp"
chmod 644 "$T/big1.pgp" "$T/big2.pgp"
ok "import the padded keys and a small one" pks "$T/s" import -q \
	"$T/big1.pgp" "$T/big2.pgp" "$T/eddsa.pgp"
pks_start "$T/s" || bail "start"
P=$PKS_PORT
PID=$(cat "$T/s/serve.pid")
FPR=$(gpg --with-colons --show-keys "$DATA/eddsa.pgp" 2>/dev/null |
	awk -F: '/^fpr/ { print $10; exit }')
PROBE="/pks/lookup?op=get&options=mr&search=0x$FPR"
BIG=/pks/hashquery
# The hashquery request for the two padded keys (SKS framing).
"$PY" - "$T/big.body" $("$PY" "$TOOLS/pgpkeys.py" hash -c "$T/big1.pgp" "$T/big2.pgp") <<'PYEOF'
import struct, sys
hs = [bytes.fromhex(h) for h in sys.argv[2:]]
open(sys.argv[1], "wb").write(struct.pack(">I", len(hs)) + b"".join(
    struct.pack(">I", 16) + h for h in hs))
PYEOF

big_answer() {
	local n
	n=$(curl -s -o /dev/null -w '%{size_download}' --data-binary "@$T/big.body" \
		"http://127.0.0.1:$P$BIG")
	echo "answer: $n bytes"
	[ "$n" -gt 10000000 ]
}
ok "the slow readers' request is a real 10+ MB answer" big_answer

# judge FILE: every probe answered (within 5 s), memory under the limit
judge() {
	cat "$1"
	"$PY" - "$1" "$LIMIT_KIB" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
bad = []
if r["probes"] < 5: bad.append("too few probes")
if r["answered"] != r["probes"]: bad.append("probes not answered")
if r["rss_peak_kib"] >= int(sys.argv[2]): bad.append("memory over limit")
print("\n".join(bad))
sys.exit(1 if bad else 0)
PYEOF
}

# attack MODE CONNS [options]: on a freshly started server, so that
# each attack's peak memory is its own.
attack() {
	local mode=$1 conns=$2
	shift 2
	pks_stop "$T/s" >/dev/null 2>&1
	pks_start "$T/s" || return 1
	P=$PKS_PORT
	PID=$(cat "$T/s/serve.pid")
	"$PY" "$TOOLS/hkpattack.py" run "$mode" 127.0.0.1 "$P" --conns "$conns" \
		--seconds 15 --probe-src 127.0.0.2 --probe-path "$PROBE" --deadline 5 \
		--pid "$PID" "$@" >"$T/$mode.json"
}

attack slowloris 1100
ok "slowloris: probes answered, memory bounded" judge "$T/slowloris.json"
ok "slowloris: the attack opened its connections" "$PY" -c "
import json, sys; r = json.load(open('$T/slowloris.json'))
sys.exit(0 if r['opened'] >= 1100 and r['closed'] >= 1000 else 1)"
diag "slowloris: $(cat "$T/slowloris.json")"

attack slowread 40 --path "$BIG" --body "$T/big.body" --reopen 1
ok "slow readers: probes answered, memory bounded" judge "$T/slowread.json"
diag "slowread: $(cat "$T/slowread.json")"

# The reply budget: with room for about one padded key per address, a
# reader that holds one (and never reads) makes the next big answer to
# the same address end early, while another address still gets its
# whole answer.
pks_stop "$T/s" >/dev/null 2>&1
sed -i 's/^\[server\]$/[server]\nreply_budget = 12582912\nreply_per_address = 6291456/' \
	"$T/s/pksync.conf"
pks_start "$T/s" || bail "start"
P=$PKS_PORT
setsid "$PY" - "$P" "$T/big.body" "$T/holding" >/dev/null 2>&1 <<'PYEOF' &
import socket, sys, time
body = open(sys.argv[2], "rb").read()
req = b"POST /pks/hashquery HTTP/1.0\r\nContent-Length: %d\r\n\r\n" % len(body)
while True:
    s = socket.socket()
    # a small receive buffer: the kernel cannot take the first key off
    # the server's hands (its send buffer holds at most 4 MiB)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    s.connect(("127.0.0.1", int(sys.argv[1])))
    s.sendall(req + body)
    # holding once key bytes arrive; an answer cut at once (another
    # answer held the budget first) ends after its 4-byte count
    got = b""
    while len(got) < 600:
        d = s.recv(600 - len(got))
        if not d:
            break
        got += d
    if len(got) >= 600:
        break
    s.close()
    time.sleep(0.2)
open(sys.argv[3], "w").close()
time.sleep(60)
PYEOF
HOLDER=$!
answer_size() { # source address
	curl -s -o /dev/null -w '%{size_download}' --interface "$1" \
		--data-binary "@$T/big.body" "http://127.0.0.1:$P$BIG"
}
cut_short() {
	local i n
	for i in $(seq 60); do
		[ -e "$T/holding" ] && break
		sleep 0.5
	done
	for i in $(seq 60); do
		n=$(answer_size 127.0.0.1)
		[ "$n" -lt 10000000 ] && { echo "cut at $n bytes"; return 0; }
		sleep 0.5
	done
	echo "last answer: $n bytes"
	return 1
}
ok "reply budget: a second big answer to one address ends early" cut_short
ok "reply budget: the cut is logged" grep -q "answer cut: the reply budget" \
	"$T/s/serve.log"
ok "reply budget: another address gets its whole answer" \
	test "$(answer_size 127.0.0.2)" -gt 10000000
ok "reply budget: small answers are never refused" \
	curl -sf -o /dev/null "http://127.0.0.1:$P$PROBE"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null
ok "reply budget: given back when the reader goes" sh -c '
	for i in $(seq 60); do
		n=$(curl -s -o /dev/null -w "%{size_download}" \
			--data-binary "@'"$T"'/big.body" "http://127.0.0.1:'"$P"$BIG'")
		[ "$n" -gt 10000000 ] && exit 0
		sleep 0.5
	done; exit 1'
sed -i '/^reply_budget = \|^reply_per_address = /d' "$T/s/pksync.conf"

attack stallupload 40 --reopen 1
ok "stalled uploads: probes answered, memory bounded" judge "$T/stallupload.json"
diag "stallupload: $(cat "$T/stallupload.json")"
ok "stalled uploads were refused with 429 or 503" \
	grep -Eq "POST /pks/add: 503|over the body budget|429" "$T/s/serve.log"

ok "the server still answers" curl -sf -o /dev/null "http://127.0.0.1:$P$PROBE"

# Log injection: a URL with an encoded CR LF and a fake log line.
curl -s -o /dev/null \
	"http://127.0.0.1:$P/pks/lookup%0d%0a2026-01-01T00:00:00Z%20serve%20warning:%20forged?op=get&search=x"
curl -s -o /dev/null -H "X-Forwarded-For: 1.2.3.4" "http://127.0.0.1:$P$PROBE"
sleep 0.5
ok "no log line begins with the forged text" sh -c \
	"! grep -q '^2026-01-01T00:00:00Z serve warning: forged' '$T/s/serve.log'"
ok "every log line is one event" sh -c \
	"! grep -avE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z ' '$T/s/serve.log'"

ok "the server stops cleanly" pks_stop "$T/s"
tap_done
