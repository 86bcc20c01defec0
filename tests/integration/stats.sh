# stats.sh: every view of the server's state shows one snapshot.  A
# server with a mail sync peer that was delivered to, one whose mail the
# relay refused (a real SMTP sink), mail queued for both, and a recon
# peer (a second pksync) that reconciled with it; then, while nothing
# changes: op=stats&options=mr and "pksync stats --json" are the same
# text, the SKS-layout tables of op=stats hold the same names and
# numbers (tests/tools/stats_agree.py), "pksync stats" prints the same
# counts, and the sync page shows every peer with its state in words,
# draws at most 12 a side, and is valid HTML5.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"
. "$PKS_SRCDIR/tests/lib/syncpeers.sh"

for t in curl tidy; do
	command -v "$t" >/dev/null || skip_all "$t not installed"
done
T=$(mktemp -d /tmp/pks-stats.XXXXXX)
TAP_TMP=$T
cleanup() {
	pks_stop "$T/a" >/dev/null 2>&1
	pks_stop "$T/b" >/dev/null 2>&1
	sp_stop
	rm -rf "$T"
}
trap cleanup EXIT

sp_setup "$T/a" "$T/b" || { echo "Bail out! sp_setup failed"; exit 1; }
# import reads its files as [server] user, who may not enter the source
# folder (a fresh Debian's /root is 0700): give it copies.
install -m 644 "$PKS_SRCDIR/tests/data/pgp/rsa-small.pgp" \
	"$PKS_SRCDIR/tests/data/pgp/eddsa.pgp" "$T/"
ok "mail states: delivered, refused, queued" sp_mail_states "$T/a" \
	"$T/rsa-small.pgp" "$T/eddsa.pgp"
pks_start "$T/a" || { echo "Bail out! pksync serve did not start"; exit 1; }
url="http://127.0.0.1:$PKS_PORT"
ok "a recon session with B is recorded" sp_recon_session "$T/a" "$T/b"

curl -s "$url/pks/lookup?op=stats" >"$T/stats.html"
curl -s -D "$T/mr.hdr" "$url/pks/lookup?op=stats&options=mr" >"$T/mr.json"
pks "$T/a" stats --json >"$T/cli.json"
pks "$T/a" stats >"$T/cli.txt"
is "mr JSON is application/json" \
	"$(tr -d '\r' <"$T/mr.hdr" | sed -n 's/^Content-Type: //Ip')" "application/json"
while IFS= read -r line; do
	case $line in
	"PASS "*) ok "${line#PASS }" true ;;
	"FAIL "*) ok "${line#FAIL }" false ;;
	esac
done < <("$PY" "$PKS_SRCDIR/tests/tools/stats_agree.py" "$T/stats.html" "$T/mr.json" "$T/cli.json")

json() { "$PY" -c "import json,sys; j=json.load(open('$T/mr.json')); print($1)"; }
is "mailPeers: delivered@ has one queued, none failed, a delivery" \
	"$(json "[(p['queued'],p['failed'],p['lastDelivered']>0) for p in j['mailPeers'] if p['address']=='delivered@peer.test']")" \
	"[(1, 0, True)]"
is "mailPeers: rejected@ has one queued, one failed, no delivery" \
	"$(json "[(p['queued'],p['failed'],p['lastDelivered']) for p in j['mailPeers'] if p['address']=='rejected@peer.test']")" \
	"[(1, 1, 0)]"
is "mailQueueTotals: the refused incremental with the relay's answer" \
	"$(json "[(f['recipient'],f['why']) for f in j['mailQueueTotals']['failed']]")" \
	"[('rejected@peer.test', '550 5.7.1 not wanted here')]"
is "reconPeers: B, ok, as responder, HKP on its recon port + 1" \
	"$(json "[(p['host'],p['reconPort'],p['hkpUrl'],p['result'],p['role']) for p in j['reconPeers']]")" \
	"[('127.0.0.1', $SP_RB, 'http://127.0.0.1:$((SP_RB + 1))', 'ok', 'responder')]"
is "pksync stats: the same key count" \
	"$(sed -n 's/^keys: //p' "$T/cli.txt")" "$(json "j['keys']")"
ok "pksync stats: rejected@ with 1 queued, 1 failed" \
	grep -Eq '^rejected@peer.test +1 +1 +never' "$T/cli.txt"
ok "pksync stats: the recon peer, ok" \
	grep -Eq "^127.0.0.1 $SP_RB .* ok\$" "$T/cli.txt"

# The sync page.
hdr() { curl -s -o /dev/null -D - "$1" | tr -d '\r' | sed -n "s/^$2: //Ip"; }
is "/pks/sync is text/html" "$(hdr "$url/pks/sync" Content-Type)" "text/html; charset=utf-8"
is "/pks/sync is not cached" "$(hdr "$url/pks/sync" Cache-Control)" "no-cache"
curl -s "$url/pks/sync" >"$T/sync.html"
is "tidy: the sync page is clean" "$(tidy -e -q "$T/sync.html" 2>&1)" ""
ok "the sync page draws an SVG" grep -q '<svg xmlns="http://www.w3.org/2000/svg"' "$T/sync.html"
ok "... delivered@ as queued (waiting)" grep -q '<td>delivered@peer.test</td><td>waiting</td><td>1</td><td>0</td>' "$T/sync.html"
ok "... rejected@ as failing" grep -q '<td>rejected@peer.test</td><td>failing</td><td>1</td><td>1</td><td>never</td>' "$T/sync.html"
ok "... the recon peer as ok" grep -q "<td>127.0.0.1 $SP_RB</td><td>ok</td>" "$T/sync.html"
ok "... no script" sh -c "! grep -qi '<script' '$T/sync.html'"
ok "the front page links the sync page" sh -c "curl -s '$url/' | grep -q 'href=\"/pks/sync\"'"
ok "the stats page links the sync page" grep -q 'href="/pks/sync"' "$T/stats.html"
ok "the sync page links the key trace" grep -q 'action="/pks/trace"' "$T/sync.html"
# The picture is bounded: 12 peers a side, "and N more" for the rest;
# the table lists them all.
for i in $(seq 1 14); do pks "$T/a" recon-peer add "peer$i.example" 11370; done
curl -s "$url/pks/sync" >"$T/sync2.html"
is "15 recon peers: 12 drawn" "$(grep -c '<circle cx="490"' "$T/sync2.html")" 12
ok "... and 3 more" grep -q '>and 3 more</text>' "$T/sync2.html"
is "... all 15 in the table" "$(sed -n '/id="recon-peers"/,/<\/table>/p' "$T/sync2.html" | grep -c '^<tr><td>')" 15
is "tidy: still clean" "$(tidy -e -q "$T/sync2.html" 2>&1)" ""
ok "pksync serve stops cleanly, no sanitizer report" pks_stop "$T/a"
tap_done
