# mail_session.sh: queue-run sends many messages per SMTP session, at
# most [mail] messages_per_session, and still ends each message on its
# own answer.  Keys are queued for three sync peers; the relay (the
# smtp_sink.py sink, which names the client's session in its log)
# accepts one peer, refuses one for good (550) and defers one (451).
# Fewer sessions than messages are used; every accepted message arrived
# and its rows are gone; every refused one is kept as failed and every
# deferred one is queued again for a retry, each with the relay's
# answer: no row is lost.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"
. "$PKS_SRCDIR/tests/lib/smtpsink.sh"

PY=/usr/bin/python3
need_sink
need_keyring
PER=4

test_dir pms
at_exit 'sink_stop "$T/sink"'
sink_start "$T/sink" \
	--respond 'bad@sink.test=550 5.1.1 no such user' \
	--respond 'slow@sink.test=451 4.3.0 try again later' || bail sink
pks_mail_setup "$T/a" ok@sink.test bad@sink.test slow@sink.test ||
	bail pks_mail_setup
cat >>"$T/a/pksync.conf" <<EOF
max_incremental_size = 4096
messages_per_session = $PER
EOF

# Every 50th key of the keyring: large keys, so most go one a message.
"$PY" "$PKS_SRCDIR/tests/tools/keysplit.py" "$KEYRING" "$T/keys.pgp" 50 \
	$(seq 1 49) >/dev/null
chmod 644 "$T/keys.pgp"
ok "import queues incrementals for three peers" pks "$T/a" import -q "$T/keys.pgp"
rows=$(sql "SELECT count(*) FROM outbox")
nkeys=$(sql "SELECT count(*) FROM keys")
is "one row per key and peer" "$rows" "$((3 * nkeys))"

pks "$T/a" queue-run >"$T/run.out" 2>"$T/run.err"
is "queue-run exits 75: some messages were deferred" "$?" 75
line=$(grep '^queue-run: ' "$T/run.out")
msgs=$(sed -n 's/^queue-run: \([0-9]*\) messages: \([0-9]*\) sent, \([0-9]*\) deferred, \([0-9]*\) failed.*/\1 \2 \3 \4/p' <<<"$line")
read -r m sent deferred failed <<<"$msgs"
ok "the summary line was read ($line)" test -n "$m"
is "every message was sent, deferred or failed" "$((sent + deferred + failed))" "$m"
sessions=$(grep -o 'session=[0-9]*' "$T/sink/sink.log" | sort -u | wc -l)
diag "$m messages in $sessions sessions, at most $PER a session"
ok "more than one session was needed" test "$sessions" -gt 1
ok "fewer sessions than messages" test "$sessions" -lt "$m"
is "sessions of $PER messages each" "$sessions" "$(((m + PER - 1) / PER))"

is "the accepted peer's rows are all gone" \
	"$(sql "SELECT count(*) FROM outbox WHERE recipient = 'ok@sink.test'")" 0
is "... and the sink holds one mail per message sent" \
	"$(ls "$T/sink/mail/new" | grep -c 'ok@sink.test$')" "$sent"
is "... carrying every key" \
	"$(sed -n 's/.*incremental to ok@sink.test sent (\([0-9]*\) keys).*/\1/p' "$T/run.err" |
		awk '{ n += $1 } END { print n + 0 }')" "$nkeys"
is "the refused peer's rows are all kept, as failed" \
	"$(sql "SELECT count(*) FROM outbox WHERE recipient = 'bad@sink.test' AND state = 'failed'")" "$nkeys"
is "... with the relay's answer" \
	"$(sql "SELECT count(*) FROM outbox WHERE recipient = 'bad@sink.test' AND last_error LIKE '550%'")" "$nkeys"
is "the deferred peer's rows are all queued again" \
	"$(sql "SELECT count(*) FROM outbox WHERE recipient = 'slow@sink.test' AND state = 'queued' AND tries = 1")" "$nkeys"
is "... for later, with the relay's answer" \
	"$(sql "SELECT count(*) FROM outbox WHERE recipient = 'slow@sink.test' AND next_try > strftime('%s', 'now') AND last_error LIKE '451%'")" "$nkeys"
is "no lease is left behind" \
	"$(sql "SELECT count(*) FROM outbox WHERE lease_owner IS NOT NULL")" 0
is "nothing was lost: rows kept plus keys delivered" \
	"$(($(sql "SELECT count(*) FROM outbox") + nkeys))" "$rows"
tap_done
