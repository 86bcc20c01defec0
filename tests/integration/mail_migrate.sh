# mail_migrate.sh: migration 011 (the outbox body in a table of its own)
# keeps every queued message.  A database is brought back to schema
# version 10 (its outbox as sql/003-outbox.sql creates it, bodies in the
# rows) holding queued incrementals for two peers, a reply, a row whose
# lease was held by a run that died, and a failed row; "pksync init"
# migrates it; every row and every body is still there, unchanged; then
# queue-run hands every queued key and the reply to the relay.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"
. "$PKS_SRCDIR/tests/lib/smtpsink.sh"

PY=/usr/bin/python3
need_sink
need_keyring
CC="$PY $PKS_SRCDIR/tests/tools/crashcheck.py"

test_dir pmm
at_exit 'sink_stop "$T/sink"'
sink_start "$T/sink" || bail sink
pks_mail_setup "$T/a" one@sink.test two@sink.test || bail pks_mail_setup
DB=$SQL_DB
cat >>"$T/a/pksync.conf" <<EOF
max_incremental_size = 4096
messages_per_session = 3
smtp_sessions = 2
EOF
"$PY" "$PKS_SRCDIR/tests/tools/keysplit.py" "$KEYRING" "$T/keys.pgp" 100 \
	$(seq 1 99) >/dev/null
chmod 644 "$T/keys.pgp"
ok "import queues incrementals for two peers" pks "$T/a" import -q "$T/keys.pgp"
ok "... of several keys" test "$(sql "SELECT count(*) FROM keys")" -gt 3

# Back to schema version 10: the outbox table exactly as 003 creates
# it, each body in its row.  One more queued row is a reply, one is
# leased by a run that died (its lease ran out), one is failed.
"$PY" - "$DB" "$PKS_SRCDIR/sql/003-outbox.sql" <<'EOF' || bail v10
import re, sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
ddl = open(sys.argv[2]).read()
db.execute(re.search(r"CREATE TABLE outbox_new \(.*?\n\);", ddl, re.S).group(0))
db.execute("INSERT INTO outbox_new(id, kind, recipient, body, sent, created, "
           "next_try, tries, state, lease_owner, lease_until, last_error) "
           "SELECT o.id, o.kind, o.recipient, b.body, o.sent, o.created, "
           "o.next_try, o.tries, o.state, o.lease_owner, o.lease_until, "
           "o.last_error FROM outbox o JOIN outbox_body b ON b.id = o.id")
db.execute("DROP TABLE outbox_body")
db.execute("DROP TABLE outbox")
db.execute("ALTER TABLE outbox_new RENAME TO outbox")
db.execute("CREATE INDEX outbox_due ON outbox(state, next_try)")
db.execute("CREATE INDEX outbox_rcpt ON outbox(recipient, state)")
now = int(time.time())
db.execute("INSERT INTO outbox(kind, recipient, body, created, next_try) "
           "VALUES ('reply', 'person@sink.test', ?, ?, ?)",
           (b"From: admin@example.org\nTo: person@sink.test\n"
            b"Subject: Your command, GET\n\nNo keys found.\n", now, now))
db.execute("UPDATE outbox SET lease_owner = 'gone:1:1', lease_until = ? "
           "WHERE id = (SELECT min(id) FROM outbox "
           "WHERE recipient = 'two@sink.test')", (now - 10,))
db.execute("INSERT INTO outbox(kind, recipient, body, sent, created, "
           "next_try, tries, state, last_error) SELECT 'incremental', "
           "'three@sink.test', body, sent, ?, ?, 3, 'failed', '550 no' "
           "FROM outbox WHERE recipient = 'one@sink.test' LIMIT 1",
           (now, now))
db.execute("UPDATE meta SET value = '10' WHERE name = 'schema_version'")
db.commit()
# What is queued, as "recipient fingerprint" lines.
sys.path.insert(0, sys.argv[2].rsplit("/sql/", 1)[0] + "/tests/tools")
import crashcheck
with open(sys.argv[1] + ".queued", "w") as f:
    for r, b in db.execute("SELECT recipient, body FROM outbox WHERE "
                           "kind = 'incremental' AND state = 'queued'"):
        for fpr in crashcheck.fprs_of(bytes(b)):
            print(r.lower(), fpr, file=f)
EOF
sort -u "$DB.queued" >"$T/queued0"
pks_user_dir "$T/a"
is "the database is at schema version 10" \
	"$(sql "SELECT value FROM meta WHERE name = 'schema_version'")" 10
ROWS="SELECT group_concat(id || kind || recipient || coalesce(sent, '') || state || tries || coalesce(lease_owner, ''), ',') FROM (SELECT * FROM outbox ORDER BY id)"
rows0=$(sql "$ROWS")
body0=$(sql "SELECT count(*) || ' ' || group_concat(hex(body), ',') FROM (SELECT body FROM outbox ORDER BY id)")
ok "keys are queued for both peers" \
	sh -c "grep -q '^one@sink.test ' '$T/queued0' && grep -q '^two@sink.test ' '$T/queued0'"

# Before init a mail is kept (75: the MTA tries again) and touches
# nothing; each of the two warnings of the failed open is logged once.
printf 'From: alice@example.org\nSubject: INDEX alice\n\nINDEX alice\n' |
	SENDER=alice@example.org pks "$T/a" mail-filter >/dev/null 2>"$T/old.mail"
is "mail-filter against schema 10: exit 75" "$?" 75
is "... 'schema is older' logged once" \
	"$(grep -c 'database schema is older than this pksync' "$T/old.mail")" 1
is "... 'cannot open database' logged once" \
	"$(grep -c 'cannot open database' "$T/old.mail")" 1

ok "pksync init migrates it" pks "$T/a" init
SCHEMA_V=$(sed -n "s/.*'schema_version', '\([0-9]*\)'.*/\1/p" "$PKS_SRCDIR/sql/schema.sql")
is "schema version $SCHEMA_V (the newest)" \
	"$(sql "SELECT value FROM meta WHERE name = 'schema_version'")" "$SCHEMA_V"
is "every row kept, with its state, tries and lease" "$(sql "$ROWS")" "$rows0"
ok "every body kept, unchanged" test "$(sql "SELECT count(*) || ' ' || group_concat(hex(b.body), ',') FROM (SELECT b.body FROM outbox o JOIN outbox_body b ON b.id = o.id ORDER BY o.id) b")" = "$body0"
ok "pksync check finds nothing wrong" pks "$T/a" check

ok "queue-run sends the migrated queue" pks "$T/a" queue-run
$CC sent "$T/sink/mail" | sort -u >"$T/sent"
is "every queued (peer, key) reached the relay" \
	"$(comm -23 "$T/queued0" "$T/sent" | wc -l)" 0
ok "the reply reached the relay" \
	sh -c "ls '$T/sink/mail/new' | grep -q 'person@sink.test\$'"
is "only the failed row is left" \
	"$(sql "SELECT group_concat(recipient || ' ' || state) FROM outbox")" \
	"three@sink.test failed"
is "... with its body" "$(sql "SELECT count(*) FROM outbox_body")" 1
tap_done
