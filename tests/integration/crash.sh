# crash.sh: kill -9 at random moments never leaves the database
# inconsistent nor loses what was accepted.  Five phases, CRASH_KILLS
# random kill points each (default 6):
#   import        a keyring chunk being imported
#   mail-filter   an ADD mail being handled; the "MTA" then retries it,
#                 and every key of the mail must be there
#   queue-run     the outbox being sent to an SMTP sink; every (peer,
#                 key) queued before must still be queued or have reached
#                 the sink (at least once, never lost)
#   serve /pks/add  uploads one key at a time; every key that got HTTP
#                 200 must be there after the restart
#   serve recon   A fetching B's keys after a recon session
# After every kill "pksync check" must find keys, hashes, prefix tree
# and outbox in agreement (0 problems).  The last lines say how many
# kill points were tried and how many inconsistencies were found.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"

KEYRING=/usr/share/keyrings/debian-keyring.gpg
[ -r "$KEYRING" ] || skip_all "debian-keyring not installed"
PY=/usr/bin/python3
"$PY" -c 'import aiosmtpd' 2>/dev/null || skip_all "needs python3-aiosmtpd"
command -v curl >/dev/null || skip_all "needs curl"
CC="$PY $PKS_SRCDIR/tests/tools/crashcheck.py"
K=${CRASH_KILLS:-6}
SIZE=20

T=$(mktemp -d /tmp/pkc.XXXXXX)
chmod 711 "$T"
TAP_TMP=$T
LOADER=
cleanup() {
	[ -n "$LOADER" ] && kill "$LOADER" 2>/dev/null
	pks_stop "$T/a" >/dev/null 2>&1
	pks_stop "$T/b" >/dev/null 2>&1
	stop_pid "$T/sink.pid" 10
	[ -n "${KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

NCHUNK=$($CC split "$KEYRING" "$T/k" $((4 * K + 5)) $SIZE)
[ "$NCHUNK" -ge $((4 * K + 5)) ] || { echo "Bail out! keyring too small"; exit 1; }
chmod -R a+rX "$T/k"
chunk() { printf '%s/k/c%02d.pgp' "$T" "$1"; }

spawn "$T" "$T/sink.pid" "$T/sink.out" "$PY" "$PKS_SRCDIR/tests/tools/smtp_sink.py" \
	--listen 127.0.0.1:0 --port-file "$T/sink.port" --log "$T/sink.log" \
	--maildir "$T/sink/mail" || { echo "Bail out! sink"; exit 1; }
for ((i = 0; i < 100; i++)); do [ -s "$T/sink.port" ] && break; sleep 0.1; done
wait_port "$(cat "$T/sink.port")" 10 || { echo "Bail out! sink port"; exit 1; }

RA=$(free_port); RB=$(free_port)
pks_setup "$T/a" "$RA" "$RB" || { echo "Bail out! pks_setup a"; exit 1; }
pks_setup "$T/b" "$RB" "$RA" || { echo "Bail out! pks_setup b"; exit 1; }
sed -i 's/^gossip_interval = .*/gossip_interval = 1/' "$T/a/pksync.conf" "$T/b/pksync.conf"
cat >>"$T/a/pksync.conf" <<EOF
fetch_delay = 0
[mail]
relay = 127.0.0.1:$(cat "$T/sink.port")
peers_file = $T/a/mailsync
this_site = pgp-public-keys@pksync.test
maintainer = Keyserver Admin <admin@pksync.test>
max_replies_per_hour = 1000
EOF
printf 'p1@sink.test\np2@sink.test\n' >"$T/a/mailsync"
pks_user_dir "$T/a"
DB=$T/a/data/pksync.db

KILLS=0 MID=0 BAD=0
# A random number of milliseconds below $1.
rand_ms() { echo $(((RANDOM * 32768 + RANDOM) % ($1 > 0 ? $1 : 1))); }
msleep() { sleep "$(awk -v m="$1" 'BEGIN { printf "%.3f", m / 1000 }')"; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# consistent WHAT: pksync check finds nothing wrong.
consistent() {
	if pks "$T/a" check >"$T/check.out" 2>&1 &&
		grep -q ' 0 problems$' "$T/check.out"; then
		return 0
	fi
	BAD=$((BAD + 1))
	diag "inconsistent after a kill during $1:"
	sed 's/^/#   /' "$T/check.out" | head -n 20
	return 1
}
# kill_run MAXMS CMD...: run CMD (a program, so $! is its pid; stdin
# from $KR_IN), kill -9 it after a random time below MAXMS (unless it
# ended first).
kill_run() {
	local max=$1 pid
	shift
	"$@" <"${KR_IN:-/dev/null}" >/dev/null 2>&1 &
	pid=$!
	msleep "$(rand_ms "$max")"
	KILLS=$((KILLS + 1))
	kill -9 "$pid" 2>/dev/null && MID=$((MID + 1))
	wait "$pid" 2>/dev/null
	return 0
}
# How long CMD takes to the end (ms, at least 50).
timed_ms() {
	local t0
	t0=$(now_ms)
	"$@" >/dev/null 2>&1
	echo $(($(now_ms) - t0 > 50 ? $(now_ms) - t0 : 50))
}

# ---- import ----
c=0
dur=$(timed_ms pks "$T/a" import -q "$(chunk $c)")
ok "import: a whole chunk, consistent" consistent import
bad0=$BAD
for ((i = 1; i <= K; i++)); do
	c=$((c + 1))
	kill_run $((dur * 3 / 2)) "$PKSYNC" -c "$T/a/pksync.conf" import -q "$(chunk $c)"
	consistent import
done
is "import: $K kills, consistent after each" "$BAD" "$bad0"

# ---- mail-filter (the MTA retries what was not taken) ----
# mk_mail CHUNK: $T/m.eml, an ADD mail with the keys of the chunk
# (their armored copies also in $T/m.eml.keys).
mk_mail() {
	local j
	: >"$T/m.eml.keys"
	for ((j = $1 * SIZE; j < ($1 + 1) * SIZE; j++)); do
		cat "$T/k/k$(printf '%04d' $j).asc" >>"$T/m.eml.keys"
	done
	{
		echo "From: Carol <carol@example.org>"
		echo "To: pgp-public-keys@pksync.test"
		echo "Subject: ADD"
		echo "Message-Id: <add-$1@example.org>"
		echo
		cat "$T/m.eml.keys"
	} >"$T/m.eml"
	chmod 644 "$T/m.eml"
}
filter() { SENDER=carol@example.org pks "$T/a" mail-filter <"$1"; }
c=$((c + 1))
mk_mail "$c"
dur=$(timed_ms filter "$T/m.eml")
bad0=$BAD lost=0
for ((i = 1; i <= K; i++)); do
	c=$((c + 1))
	mk_mail "$c"
	KR_IN=$T/m.eml kill_run $((dur * 3 / 2)) \
		env SENDER=carol@example.org "$PKSYNC" -c "$T/a/pksync.conf" mail-filter
	consistent mail-filter
	filter "$T/m.eml" >/dev/null 2>&1 || lost=$((lost + 100))
	$CC fprs "$T/m.eml.keys" | sort >"$T/want"
	$CC keys "$DB" | sort >"$T/have"
	lost=$((lost + $(comm -23 "$T/want" "$T/have" | wc -l)))
done
is "mail-filter: $K kills, consistent after each" "$BAD" "$bad0"
is "mail-filter: every key of every retried mail is stored" "$lost" 0
BAD=$((BAD + (lost > 0)))

# ---- queue-run ----
bad0=$BAD lost=0
$CC outbox "$DB" | sort -u >"$T/queued0"
ok "queue-run: the imports and mails queued incrementals" test -s "$T/queued0"
dur=0
for ((i = 1; i <= K; i++)); do
	$CC outbox "$DB" | sort -u >"$T/before"
	[ -s "$T/before" ] || pks "$T/a" import -q "$(chunk $((c + 1)))" >/dev/null
	$CC outbox "$DB" | sort -u >"$T/before"
	[ $dur -gt 0 ] || dur=1500
	kill_run "$dur" "$PKSYNC" -c "$T/a/pksync.conf" queue-run
	consistent queue-run
	$CC outbox "$DB" | sort -u >"$T/after"
	$CC sent "$T/sink/mail" | sort -u >"$T/sent"
	sort -u "$T/after" "$T/sent" >"$T/kept"
	n=$(comm -23 "$T/before" "$T/kept" | wc -l)
	[ "$n" -gt 0 ] && { diag "queue-run lost $n (peer, key) pairs"; lost=$((lost + n)); }
	$CC unlease "$DB"
done
is "queue-run: $K kills, consistent after each" "$BAD" "$bad0"
is "queue-run: every queued (peer, key) still queued or handed to the relay" "$lost" 0
BAD=$((BAD + (lost > 0)))
ok "queue-run: a last run empties the queue" pks "$T/a" queue-run
$CC sent "$T/sink/mail" | sort -u >"$T/sent"
is "queue-run: everything queued at the start reached the relay" \
	"$(comm -23 "$T/queued0" "$T/sent" | wc -l)" 0

# ---- serve under /pks/add ----
# loader FIRSTKEY LASTKEY PORT: upload one key at a time; log the
# fingerprints that got 200 to $T/added.
loader() {
	local j code
	for ((j = $1; j <= $2; j++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' -m 5 \
			--data-urlencode "keytext@$T/k/k$(printf '%04d' $j).asc" \
			"http://127.0.0.1:$3/pks/add")
		[ "$code" = 200 ] && $CC fprs "$T/k/k$(printf '%04d' $j).asc" >>"$T/added"
	done
}
bad0=$BAD lost=0
: >"$T/added"
for ((i = 1; i <= K; i++)); do
	c=$((c + 1))
	pks_start "$T/a" >/dev/null || { echo "Bail out! serve did not start"; exit 1; }
	loader $((c * SIZE)) $((c * SIZE + SIZE - 1)) "$PKS_PORT" &
	LOADER=$!
	msleep "$(rand_ms 2000)"
	KILLS=$((KILLS + 1))
	kill -9 "$(cat "$T/a/serve.pid")" 2>/dev/null && MID=$((MID + 1))
	wait "$LOADER" 2>/dev/null
	LOADER=
	rm -f "$T/a/serve.pid"
	cat "$T/a/serve.log" >>"$T/serve.all"
	consistent "serve (/pks/add)"
	$CC keys "$DB" | sort >"$T/have"
	sort -u "$T/added" >"$T/want"
	n=$(comm -23 "$T/want" "$T/have" | wc -l)
	[ "$n" -gt 0 ] && { diag "$n keys answered 200 are missing"; lost=$((lost + n)); }
done
is "serve /pks/add: $K kills, consistent after each" "$BAD" "$bad0"
is "serve /pks/add: every key answered 200 is stored ($(wc -l <"$T/added") keys)" "$lost" 0
BAD=$((BAD + (lost > 0)))

# ---- serve during a recon fetch ----
# Before each round B gets a chunk A lacks, so every round has keys to
# fetch; A and B gossip to each other every second, and A fetches right
# after a session, as either side.
pks_start "$T/b" >/dev/null || { echo "Bail out! B did not start"; exit 1; }
bad0=$BAD
for ((i = 1; i <= K; i++)); do
	c=$((c + 1))
	pks "$T/b" import -q --no-mail "$(chunk $c)" >/dev/null 2>&1
	pks_start "$T/a" >/dev/null || { echo "Bail out! serve did not start"; exit 1; }
	msleep $((500 + $(rand_ms 3500)))
	KILLS=$((KILLS + 1))
	kill -9 "$(cat "$T/a/serve.pid")" 2>/dev/null && MID=$((MID + 1))
	rm -f "$T/a/serve.pid"
	cat "$T/a/serve.log" >>"$T/serve.all"
	sleep 0.2
	consistent "serve (recon fetch)"
done
is "serve recon: $K kills, consistent after each" "$BAD" "$bad0"
diag "recon while being killed: $(grep -c 'session with .* as ' "$T/serve.all") sessions, $(grep -c 'fetched from' "$T/serve.all") fetches completed"
ok "no sanitizer report from any killed serve" pks_sanitizer_scan "$T/serve.all"
$CC keys "$T/b/data/pksync.db" | sort >"$T/bkeys"
pks_start "$T/a" >/dev/null || { echo "Bail out! serve did not start"; exit 1; }
for ((i = 0; i < 60; i++)); do
	$CC keys "$DB" | sort >"$T/have"
	[ "$(comm -23 "$T/bkeys" "$T/have" | wc -l)" = 0 ] && break
	sleep 1
done
is "after the kills A still converges with B" "$(comm -23 "$T/bkeys" "$T/have" | wc -l)" 0
ok "A stops cleanly" pks_stop "$T/a"
ok "a last check" consistent "the end"

diag "kill points tried: $KILLS ($MID while the process was running); inconsistencies found: $BAD"
is "kill points tried: $KILLS, inconsistencies found" "$BAD" 0
tap_done
