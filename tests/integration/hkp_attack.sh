# hkp_attack.sh: HTTP starvation attacks from 127.0.0.1 while a client
# on 127.0.0.2 asks op=get every 0.25 s.  Each attack runs 15 s; every
# probe must be answered (200) within one second and the server's
# resident memory must stay under 200 MiB:
#  - slowloris: 1,100 connections, each sending a header line every 2 s
#    (faster than idle_timeout, so only the header deadline ends them);
#  - slow readers: 40 connections asking for two 4.5 MB keys (about
#    12 MB of armor each) and never reading;
#  - stalled uploads: 40 POSTs announcing 8 MiB that stop after 4 MiB.
# Then a log-injection check: a request whose URL carries an encoded
# newline writes one log line.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"

PY=/usr/bin/python3
TOOLS=$PKS_SRCDIR/tests/tools
DATA=$PKS_SRCDIR/tests/data/pgp
LIMIT_KIB=$((200 * 1024))

T=$(mktemp -d /tmp/hat.XXXXXX)
TAP_TMP=$T
cleanup() {
	pks_stop "$T/s" >/dev/null 2>&1
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0))' ||
	skip_all "cannot bind 127.0.0.2"

# Two keys that match "debian", padded to about 4.5 MB each with
# unsigned photo IDs (stored and served as they are).
"$PY" "$TOOLS/hkpattack.py" padkey "$DATA/rsa-2uid.pgp" "$T/big1.pgp" 22 200000
"$PY" "$TOOLS/hkpattack.py" padkey "$DATA/rsa-small.pgp" "$T/big2.pgp" 22 200000
pks_setup "$T/s" || { echo "Bail out! pks_setup"; exit 1; }
sed -i 's/^\[server\]$/[server]\nlog_level = debug/' "$T/s/pksync.conf"
ok "import the padded keys and a small one" pks "$T/s" import -q \
	"$T/big1.pgp" "$T/big2.pgp" "$DATA/eddsa.pgp"
pks_start "$T/s" || { echo "Bail out! start"; exit 1; }
P=$PKS_PORT
PID=$(cat "$T/s/serve.pid")
FPR=$(gpg --with-colons --show-keys "$DATA/eddsa.pgp" 2>/dev/null |
	awk -F: '/^fpr/ { print $10; exit }')
PROBE="/pks/lookup?op=get&options=mr&search=0x$FPR"
BIG="/pks/lookup?op=get&options=mr&search=debian"

big_answer() {
	local n
	n=$(curl -s -o /dev/null -w '%{size_download}' "http://127.0.0.1:$P$BIG")
	echo "answer: $n bytes"
	[ "$n" -gt 10000000 ]
}
ok "the slow readers' request is a real 10+ MB answer" big_answer

# judge FILE: every probe answered within 1 s, memory under the limit
judge() {
	cat "$1"
	"$PY" - "$1" "$LIMIT_KIB" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
bad = []
if r["probes"] < 20: bad.append("too few probes")
if r["answered"] != r["probes"]: bad.append("probes not answered in 1 s")
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
		--seconds 15 --probe-src 127.0.0.2 --probe-path "$PROBE" \
		--pid "$PID" "$@" >"$T/$mode.json"
}

attack slowloris 1100
ok "slowloris: probes answered, memory bounded" judge "$T/slowloris.json"
ok "slowloris: the attack opened its connections" "$PY" -c "
import json, sys; r = json.load(open('$T/slowloris.json'))
sys.exit(0 if r['opened'] >= 1100 and r['closed'] >= 1000 else 1)"
diag "slowloris: $(cat "$T/slowloris.json")"

attack slowread 40 --path "$BIG" --reopen 1
ok "slow readers: probes answered, memory bounded" judge "$T/slowread.json"
diag "slowread: $(cat "$T/slowread.json")"

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
