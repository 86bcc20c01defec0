# metrics.sh: GET /metrics read by a real Prometheus.  Two pksync
# instances: A holds debian-keyring.gpg minus every 20th key and gossips
# with B, which holds all of it, every 2 s.  A private Prometheus
# (Debian's package) scrapes A every second.  Traffic: recon from B,
# curl lookups, gpg --send-keys and --recv-keys, "pksync mail-filter"
# on messages it handles, ignores, refuses and cannot take now.  The
# values are read back through Prometheus's HTTP API and compared with
# what happened; promtool checks a scraped body.  Then the access rules:
# metrics_allow without 127.0.0.1 gives 403 (also through a trusted
# proxy naming an outside client), with it behind the proxy 200, and
# metrics = no gives 404.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"
. "$PKS_SRCDIR/tests/lib/gpg.sh"

KEYRING=/usr/share/keyrings/debian-keyring.gpg
M=$PKS_SRCDIR/tests/data/mail
TOOLS=$PKS_SRCDIR/tests/tools
[ -r "$KEYRING" ] || skip_all "debian-keyring not installed"
for t in prometheus promtool curl gpg; do
	command -v "$t" >/dev/null || skip_all "$t not installed (tests/deps.sh)"
done

T=$(mktemp -d /tmp/pmx.XXXXXX)
TAP_TMP=$T
cleanup() {
	stop_pid "$T/prom.pid" 20 >/dev/null 2>&1
	pks_stop "$T/a" >/dev/null 2>&1
	pks_stop "$T/b" >/dev/null 2>&1
	gpg_cleanup
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

# The dropped-privilege user (as root) must reach the binary and help.
pks_public_copy "$T/pub" || { echo "Bail out! pks_public_copy"; exit 1; }
"$PY" "$TOOLS/keysplit.py" "$KEYRING" "$T/a.pgp" 20 3 >/dev/null
RA=$(free_port)
RB=$(free_port)
pks_setup "$T/a" "$RA" "$RB" || { echo "Bail out! pks_setup A"; exit 1; }
pks_setup "$T/b" "$RB" "$RA" || { echo "Bail out! pks_setup B"; exit 1; }
sed -i 's/^gossip_interval = .*/gossip_interval = 2\nfetch_delay = 0/' "$T/a/pksync.conf"
sed -i 's/^gossip_interval = .*/gossip_interval = 86400\nfetch_delay = 0/' "$T/b/pksync.conf"
PEER=pgp-public-keys@peer.test
echo "$PEER" >"$T/a/mailsync"
cat >>"$T/a/pksync.conf" <<CONF
[mail]
maintainer = admin@keys.test
this_site = pgp-public-keys@keys.test
peers_file = $T/a/mailsync
help_dir = $PKS_HELP_DIR
max_mail_size = 65536
CONF

pks "$T/a" import --no-mail "$T/a.pgp" >"$T/import-a.out" 2>&1
NA=$(sed -n 's/.* \([0-9][0-9]*\) new,.*/\1/p' "$T/import-a.out" | tail -n 1)
ok "A imported its keys" test -n "$NA"
pks "$T/b" import --no-mail "$KEYRING" >"$T/import-b.out" 2>&1
NALL=$(sed -n 's/.* \([0-9][0-9]*\) new,.*/\1/p' "$T/import-b.out" | tail -n 1)
ok "B imported the whole keyring" test -n "$NALL"
pks_start "$T/a" || { echo "Bail out! start A"; exit 1; }
PA=$PKS_PORT
pks_start "$T/b" || { echo "Bail out! start B"; exit 1; }
URL=http://127.0.0.1:$PA

# A private Prometheus scraping A every second.
PP=$(free_port)
cat >"$T/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: pksync
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:$PA"]
YML
spawn "$T" "$T/prom.pid" "$T/prom.log" prometheus \
	--config.file="$T/prometheus.yml" --storage.tsdb.path="$T/tsdb" \
	--web.listen-address="127.0.0.1:$PP" || { echo "Bail out! prometheus"; exit 1; }
ok "prometheus listens" wait_port "$PP" 60

# prom QUERY OP WANT: poll Prometheus until the query's first value
# compares (== or >=) with WANT; 120 s at most.
prom() {
	"$PY" - "$PP" "$@" <<'PY'
import json, sys, time, urllib.parse, urllib.request
port, q, op, want = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
url = "http://127.0.0.1:%s/api/v1/query?%s" % (
    port, urllib.parse.urlencode({"query": q}))
end, last = time.time() + 120, None
while time.time() < end:
    try:
        res = json.load(urllib.request.urlopen(url, timeout=10))["data"]["result"]
        if res:
            last = float(res[0]["value"][1])
            if last == want or (op == ">=" and last > want):
                sys.exit(0)
    except (OSError, ValueError, KeyError) as e:
        last = repr(e)
    time.sleep(0.5)
print("%s: last %s, want %s %s" % (q, last, op, want))
sys.exit(1)
PY
}

ok "Prometheus scrapes A (up == 1)" prom 'up{job="pksync"}' == 1
ok "keys added by import: what A imported ($NA)" \
	prom 'pksync_keys_added_total{source="import"}' == "$NA"
ok "a recon session with B ended ok" \
	prom "pksync_recon_sessions_total{peer=\"127.0.0.1 $RB\",result=\"ok\"}" '>=' 1
ok "keys fetched from B by recon: the ones A lacked" \
	prom "pksync_recon_keys_fetched_total{peer=\"127.0.0.1 $RB\"}" == $((NALL - NA))
ok "keys added by recon: the same" \
	prom 'pksync_keys_added_total{source="recon"}' == $((NALL - NA))
ok "the last good recon session has a time" \
	prom "pksync_recon_last_success_timestamp_seconds{peer=\"127.0.0.1 $RB\"}" '>=' 1600000000

# HTTP traffic: lookups by curl and gpg, an upload by gpg.
FPR=20691DFCC2C98C47952984EE00018C22381A7594
for i in 1 2 3 4 5; do
	curl -s -o /dev/null "$URL/pks/lookup?op=get&options=mr&search=0x$FPR"
done
is "op=get of an unknown key: 404" "$(curl -s -o /dev/null -w '%{http_code}' \
	"$URL/pks/lookup?op=get&search=0x0000000000000000000000000000000000000001")" 404
is "op=index by a word: 200" "$(curl -s -o /dev/null -w '%{http_code}' \
	"$URL/pks/lookup?op=index&search=Villemot")" 200
gpg_setup "$PA"
gpgt --passphrase '' --quick-gen-key 'Metrics Tester <metrics@example.org>' \
	ed25519 sign never >/dev/null 2>&1
NEW=$(gpgt --with-colons --list-keys metrics@example.org 2>/dev/null |
	awk -F: '/^fpr:/ {print $10; exit}')
ok "gpg --send-keys a new key" gpgt --send-keys "$NEW"
ok "gpg --recv-keys a stored key" gpgt --recv-keys "$FPR"
ok "requests op=get status 200 >= 6" \
	prom 'pksync_http_requests_total{op="get",code="200"}' '>=' 6
ok "requests op=get status 404 >= 1" \
	prom 'pksync_http_requests_total{op="get",code="404"}' '>=' 1
ok "requests op=index status 200 >= 1" \
	prom 'pksync_http_requests_total{op="index",code="200"}' '>=' 1
ok "requests op=add status 200 >= 1" \
	prom 'pksync_http_requests_total{op="add",code="200"}' '>=' 1
ok "requests op=metrics status 200 >= 1" \
	prom 'pksync_http_requests_total{op="metrics",code="200"}' '>=' 1
ok "latency histogram: op=get counted" \
	prom 'pksync_http_request_duration_seconds_count{op="get"}' '>=' 6
ok "latency histogram: the +Inf bucket is the count" \
	prom 'pksync_http_request_duration_seconds_bucket{op="get",le="+Inf"} - ignoring(le) pksync_http_request_duration_seconds_count{op="get"}' == 0
ok "latency histogram: buckets are cumulative" \
	prom 'count(pksync_http_request_duration_seconds_bucket{op="get",le="0.001"} > ignoring(le) pksync_http_request_duration_seconds_bucket{op="get",le="0.01"}) or vector(0)' == 0
ok "keys added by hkp: the gpg upload" \
	prom 'pksync_keys_added_total{source="hkp"}' == 1

# mail-filter: handled, ignored (a bounce), refused (too large) and a
# tempfail (its sync list cannot be read: a folder).
filter() { # conf, file; prints the exit code
	local conf=$1 f=$2
	SENDER=${SENDER-alice@example.org} "$PKSYNC" -c "$conf" mail-filter \
		<"$f" >/dev/null 2>>"$T/filter.log"
	echo $?
}
"$PY" -c 'import sys; sys.stdout.write("From: a@example.org\nSubject: ADD\n\n" + "x" * 70000 + "\n")' >"$T/big.eml"
mkdir -p "$T/adir"
sed "s|^peers_file = .*|peers_file = $T/adir|" "$T/a/pksync.conf" >"$T/bad.conf"
is "mail-filter ADD: exit 0" "$(filter "$T/a/pksync.conf" "$M/add-plain.eml")" 0
is "mail-filter bounce: exit 0" "$(SENDER= filter "$T/a/pksync.conf" "$M/bounce-report.eml")" 0
is "mail-filter oversize: exit 65" "$(filter "$T/a/pksync.conf" "$T/big.eml")" 65
is "mail-filter, sync list unreadable: exit 75" "$(filter "$T/bad.conf" "$M/add-plain.eml")" 75
ok "mails filtered: handled 1" prom 'pksync_mail_filtered_total{outcome="handled"}' == 1
ok "mails filtered: ignored 1" prom 'pksync_mail_filtered_total{outcome="ignored"}' == 1
ok "mails filtered: refused 1" prom 'pksync_mail_filtered_total{outcome="refused"}' == 1
ok "mails filtered: tempfail 1" prom 'pksync_mail_filtered_total{outcome="tempfail"}' == 1
ok "incrementals queued for the sync peer" \
	prom "pksync_mail_queue_depth{peer=\"$PEER\"}" '>=' 1
ok "no incremental to the sync peer failed" \
	prom "pksync_mail_queue_failed{peer=\"$PEER\"}" == 0

# Keys stored: what the stats page says (nothing is written any more).
TOTAL=$(curl -s "$URL/pks/lookup?op=stats&options=mr" | sed -n 's/.*"total":\([0-9]*\).*/\1/p')
ok "the stats page gives a key count" test -n "$TOTAL"
ok "pksync_keys is the stats page's count ($TOTAL)" prom 'pksync_keys' == "${TOTAL:-0}"
ok "resident memory is reported" prom 'process_resident_memory_bytes{job="pksync"}' '>=' 1000000
ok "the start time is reported" prom 'process_start_time_seconds{job="pksync"}' '>=' 1600000000

# The body itself: the format's content type, and promtool finds nothing.
curl -s -D "$T/m.hdr" -o "$T/m.txt" "$URL/metrics"
is "Content-Type of /metrics" "$(tr -d '\r' <"$T/m.hdr" | sed -n 's/^Content-Type: //Ip')" \
	"text/plain; version=0.0.4; charset=utf-8"
is "promtool check metrics: nothing to say" "$(promtool check metrics <"$T/m.txt" 2>&1)" ""
ok "promtool check metrics: exit 0" sh -c "promtool check metrics <'$T/m.txt'"
ok "prometheus stops" stop_pid "$T/prom.pid" 20

# Access: a bad list is a configuration error; 403 outside the list;
# behind a trusted proxy the X-Forwarded-For client decides; off: 404.
server_conf() { # replaces A's [server] metrics lines with $@
	sed -i -e '/^metrics/d' -e '/^trusted_proxies/d' "$T/a/pksync.conf"
	local l
	for l in "$@"; do
		sed -i "s|^\[server\]\$|[server]\n$l|" "$T/a/pksync.conf"
	done
}
restart_a() {
	pks_stop "$T/a" && pks_start "$T/a" && URL=http://127.0.0.1:$PKS_PORT
}
code() { curl -s -o /dev/null -w '%{http_code}' "$@" "$URL/metrics"; }
server_conf 'metrics_allow = 10.0.0.0/8 example.org'
ok "pksync check refuses a bad metrics_allow" sh -c "! '$PKSYNC' -c '$T/a/pksync.conf' check"
server_conf 'metrics_allow = 10.0.0.0/8, 192.0.2.0/24'
ok "A restarts with 127.0.0.1 outside metrics_allow" restart_a
is "client outside metrics_allow: 403" "$(code)" 403
is "other paths are served as before" \
	"$(curl -s -o /dev/null -w '%{http_code}' "$URL/pks/lookup?op=get&search=0x$FPR")" 200
server_conf 'metrics_allow = 10.0.0.0/8' 'trusted_proxies = 127.0.0.1'
ok "A restarts behind a trusted proxy" restart_a
is "proxied client inside metrics_allow: 200" "$(code -H 'X-Forwarded-For: 10.1.2.3')" 200
is "proxied client outside metrics_allow: 403" "$(code -H 'X-Forwarded-For: 192.0.2.7')" 403
is "the proxy itself, no X-Forwarded-For: 403" "$(code)" 403
server_conf 'metrics = no'
ok "A restarts with metrics = no" restart_a
is "metrics off: 404" "$(code)" 404
ok "A stops cleanly" pks_stop "$T/a"
ok "B stops cleanly" pks_stop "$T/b"
ok "no sanitizer report from import or mail-filter" \
	pks_sanitizer_scan <(cat "$T/import-a.out" "$T/import-b.out" "$T/filter.log")
tap_done
