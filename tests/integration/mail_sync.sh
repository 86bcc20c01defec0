# mail_sync.sh: PKS e-mail sync between three pksync instances through a
# real Postfix on 127.0.0.1 (tests/lib/postfix.sh, a private instance).
# pgp-public-keys-{a,b,c}@localhost are pipe aliases into each instance's
# "pksync mail-filter" (run by Postfix as nobody, who owns the instances'
# data); each instance's "queue-run" sends through that Postfix; mail to
# any other domain is relayed to the smtp_sink.py sink, which keeps a
# copy.  Checks: a key added over HKP at A reaches B and C after one
# queue-run; the chain stops by itself; a second copy of an incremental
# changes nothing; with A's database locked the filter exits 75, Postfix
# keeps the mail and delivers it after the lock is gone (postqueue -f);
# with the relay down queue-run keeps the mail and a later run sends it;
# a 5xx from the relay marks it failed; "peer add/remove" and stats.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"
. "$PKS_SRCDIR/tests/lib/postfix.sh"
. "$PKS_SRCDIR/tests/lib/smtpsink.sh"

pf_available || skip_all "needs root and the postfix package"
pks_check_pksync || skip_all "PKSYNC is not set"
need_sink
need_cmd curl

test_dir pkms
chmod 755 "$T"
at_exit '[ -n "${GNUPGHOME:-}" ] && gpgconf --homedir "$GNUPGHOME" --kill all'
at_exit 'sink_stop "$T/sink2"'
at_exit 'sink_stop "$T/sink"'
at_exit 'pf_stop "$T/pf"'
at_exit 'stop_pid "$T/a/serve.pid" 10'
# Postfix runs the filter as nobody, who cannot enter a build under a 0700
# folder (a fresh Debian's /root): run a public copy of the binary.
pks_public_copy "$T/pub" || bail "cannot copy pksync to $T/pub"

# Every pksync command runs as nobody, the user the pipe runs as.
as_ks() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
ks() { local i=$1; shift; as_ks "$PKSYNC" -c "$T/$i/pksync.conf" "$@"; }
sql() { # INSTANCE QUERY: one value
	as_ks "$PY" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])' \
		"$T/$1/data/pksync.db" "$2"
}
nkeys() { sql "$1" 'SELECT count(*) FROM keys'; }
nqueued() { sql "$1" "SELECT count(*) FROM outbox WHERE state='queued'"; }
wait_keys() { # INSTANCE N SECS
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(nkeys "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

# The sink: every non-local mail (copies, bounces) ends here.
sink_start "$T/sink" || bail sink
SINK=$SINK_PORT

pf_setup "$T/pf" "$SINK" || bail "postfix setup"
for i in a b c; do
	pf_alias "$T/pf" "pgp-public-keys-$i" "$PKSYNC -c $T/$i/pksync.conf mail-filter"
done
pf_start "$T/pf" || { cat "$T/pf/start.log"; bail "postfix start"; }

setup() { # INSTANCE RELAYPORT PEERS...
	local i=$1 relay=$2 p
	shift 2
	mkdir -p "$T/$i/data"
	cat >"$T/$i/pksync.conf" <<EOF
[server]
datadir = $T/$i/data
http_listen = 127.0.0.1:0
hostname = keys-$i.test
busy_timeout_ms = 500
[mail]
this_site = pgp-public-keys-$i@localhost
maintainer = admin-$i@sink.test
relay = 127.0.0.1:$relay
peers_file = $T/$i/mailsync
queue_retry = 1
help_dir = $PKS_HELP_DIR
EOF
	echo "# mail sync peers of $i" >"$T/$i/mailsync"
	for p in "$@"; do
		echo "$p   # peer" >>"$T/$i/mailsync"
	done
	chown -R nobody:nogroup "$T/$i"
	ks "$i" init >/dev/null
}
setup a "$PF_PORT" pgp-public-keys-b@localhost pgp-public-keys-c@localhost
setup b "$PF_PORT" pgp-public-keys-a@localhost pgp-public-keys-c@localhost
setup c "$PF_PORT" pgp-public-keys-a@localhost pgp-public-keys-b@localhost

# Keys made by gpg.
export GNUPGHOME=$T/gpg
mkdir -m 700 "$GNUPGHOME"
for n in 1 2 3 4; do
	gpg --batch --no-tty --passphrase '' --pinentry-mode loopback \
		--quick-gen-key "Sync Test $n <sync$n@example.org>" ed25519 sign never 2>/dev/null
	gpg --batch --armor --export "sync$n@example.org" >"$T/k$n.asc"
	gpg --batch --export "sync$n@example.org" >"$T/k$n.pgp"
done
chmod 644 "$T"/k*

# The sync list: peer add keeps comments, refuses a malformed address.
ok "peer add (a copy of A's mail goes to the sink)" ks a peer add copy@sink.test
is "peer add of a malformed address: exit 65" \
	"$(ks a peer add 'not an address@@x' >/dev/null 2>&1; echo $?)" 65
ok "the comments are kept" grep -q '^pgp-public-keys-b@localhost   # peer$' "$T/a/mailsync"
is "peer list" "$(ks a peer list | tr '\n' ' ')" \
	"pgp-public-keys-b@localhost pgp-public-keys-c@localhost copy@sink.test "

# A key added over HKP at A.
spawn "$T/a" "$T/a/serve.pid" "$T/a/serve.log" setpriv --reuid=nobody --regid=nogroup \
	--clear-groups "$PKSYNC" -c "$T/a/pksync.conf" serve
for ((i = 0; i < 100; i++)); do
	PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$T/a/serve.log" | head -n 1)
	[ -n "$PORT" ] && break
	sleep 0.1
done
ok "HKP add at A" curl -sf --data-urlencode "keytext@$T/k1.asc" "http://127.0.0.1:$PORT/pks/add"
is "A queued one incremental per peer" "$(nqueued a)" 3
is "... in the same transaction as the key" "$(nkeys a)" 1
ok "A: queue-run" ks a queue-run
is "A's queue is empty" "$(nqueued a)" 0
ok "the key reached B" wait_keys b 1 20
ok "the key reached C" wait_keys c 1 20
pf_wait_empty "$T/pf" 20
is "B forwards to C only (A is in X-KeyServer-Sent)" \
	"$(sql b "SELECT group_concat(recipient) FROM outbox")" pgp-public-keys-c@localhost
is "B's path: A, then B" "$(sql b "SELECT replace(sent, char(10), ' ') FROM outbox")" \
	"pgp-public-keys-a@localhost pgp-public-keys-b@localhost"
ok "B: queue-run" ks b queue-run
ok "C: queue-run" ks c queue-run
pf_wait_empty "$T/pf" 20
sleep 1
is "the chain stops: nothing queued anywhere" \
	"$(nqueued a) $(nqueued b) $(nqueued c)" "0 0 0"
is "... and nothing sent by a second round" "$(ks a queue-run; ks b queue-run; ks c queue-run)" ""
is "one key everywhere" "$(nkeys a) $(nkeys b) $(nkeys c)" "1 1 1"

# What A sent, as the sink got it: PKS's header set and order.
COPY=$(ls "$T/sink/mail/new/"*copy@sink.test | head -n 1)
is "incremental headers, in PKS order" \
	"$(sed -n '/^To: /,/^$/p' "$COPY" | cut -d: -f1 | tr '\n' ' ')" \
	"To From Subject X-KeyServer-Sent Precedence MIME-Version Content-type Date Message-Id  "
ok "one X-KeyServer-Sent: A" grep -qx 'X-KeyServer-Sent: pgp-public-keys-a@localhost' "$COPY"
ok "Content-type: application/pgp-keys" grep -qx 'Content-type: application/pgp-keys' "$COPY"
is "one armored block" "$(grep -c 'BEGIN PGP PUBLIC KEY BLOCK' "$COPY")" 1

# A second copy of the same incremental changes nothing.
UPD=$(sql b 'SELECT updated FROM keys')
sed '1,2d' "$COPY" | sed 's/^To: .*/To: pgp-public-keys-b@localhost/' >"$T/again.eml"
ok "a second copy, through Postfix" pf_send "$PF_PORT" admin-a@sink.test \
	pgp-public-keys-b@localhost "$T/again.eml"
pf_wait_empty "$T/pf" 20
sleep 0.5
is "... changes nothing at B" "$(nkeys b) $(sql b 'SELECT updated FROM keys') $(nqueued b)" \
	"1 $UPD 0"
ok "the filter ran as nobody" grep -q 'delivered to command' "$T/pf/maillog"

# A's database locked by another writer: the filter exits 75, Postfix
# keeps the mail, and delivers it once the lock is gone.
as_ks "$PY" - "$T/a/data/pksync.db" "$T/a/lock" <<'PY' &
import os, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").close()
while os.path.exists(sys.argv[2]):
    time.sleep(0.05)
db.execute("ROLLBACK")
PY
LOCKER=$!
for ((i = 0; i < 100; i++)); do [ -e "$T/a/lock" ] && break; sleep 0.1; done
ok "B: import a second key" ks b import -q "$T/k2.pgp"
ok "B: queue-run" ks b queue-run
ok "the key reached C" wait_keys c 2 20
for ((i = 0; i < 100; i++)); do
	grep -q 'to=<pgp-public-keys-a@localhost>.*status=deferred' "$T/pf/maillog" && break
	sleep 0.1
done
ok "A's filter exit 75: Postfix deferred the mail" \
	grep -q 'to=<pgp-public-keys-a@localhost>.*status=deferred (temporary failure' "$T/pf/maillog"
is "Postfix keeps it" "$(pf_queue_count "$T/pf")" 1
is "A does not have the key yet" "$(nkeys a)" 1
rm -f "$T/a/lock"
wait "$LOCKER"
ok "postqueue -f" pf_flush "$T/pf"
ok "after the lock: the key arrived at A" wait_keys a 2 20
pf_wait_empty "$T/pf" 20
for i in a b c; do ks "$i" queue-run >/dev/null 2>&1; done
pf_wait_empty "$T/pf" 20

# The relay down: queue-run keeps the mail, a later run sends it.
pf_stop "$T/pf"
ok "A: import a third key" ks a import -q "$T/k3.pgp"
is "relay down: queue-run exit 75" "$(ks a queue-run >/dev/null 2>&1; echo $?)" 75
is "... the mail is kept, retried later" \
	"$(sql a "SELECT count(*) FROM outbox WHERE state='queued' AND tries=1 AND last_error LIKE 'relay%'")" 3
ok "the relay is back" pf_start "$T/pf"
sleep 1.2
ok "a later queue-run sends it" ks a queue-run
is "A's queue is empty" "$(nqueued a)" 0
ok "the key reached B" wait_keys b 3 20
ok "the key reached C" wait_keys c 3 20

# A 5xx from the relay (the sink, used directly) marks the mail failed.
sink_start "$T/sink2" --respond 'reject@*=550 5.7.1 not wanted here' ||
	bail sink2
setup d "$SINK_PORT" reject@sink.test
ok "D: import" ks d import -q "$T/k4.pgp"
is "D: queue-run (5xx): exit 0" "$(ks d queue-run >/dev/null 2>&1; echo $?)" 0
is "the message is kept as failed" \
	"$(sql d "SELECT state || ' ' || last_error FROM outbox")" "failed 550 5.7.1 not wanted here"
ok "pksync stats lists it" sh -c "setpriv --reuid=nobody --regid=nogroup --clear-groups \
	'$PKSYNC' -c '$T/d/pksync.conf' stats | grep -q 'failed #1: incremental to reject@sink.test'"
ok "import --no-mail queues nothing" ks d import -q --no-mail "$T/k1.pgp"
is "... (still only the failed row)" "$(sql d 'SELECT count(*) FROM outbox')" 1

# The stats page: the queue state per peer.
ok "peer remove" ks a peer remove copy@sink.test
ok "stats page: Outgoing Mail Queue" sh -c \
	"curl -sf 'http://127.0.0.1:$PORT/pks/lookup?op=stats' | grep -q 'Outgoing Mail Queue'"
ok "stats page re-read the sync list (copy@sink.test gone)" sh -c \
	"! curl -sf 'http://127.0.0.1:$PORT/pks/lookup?op=stats&options=mr' | grep -q copy@sink.test"
ok "pksync serve stops cleanly" stop_pid "$T/a/serve.pid" 10
ok "no sanitizer report" pks_sanitizer_scan "$T/a/serve.log"
ok "no sanitizer report from the filters" pks_sanitizer_scan "$T/pf/maillog"
tap_done
