# mail_queue.sh: queue-run never loses a queued message.  A maintainer
# written with a display name (as operators write it) is accepted and
# used: From: with the name, the envelope sender without it.  A queued
# incremental that cannot be composed is kept as failed with the reason
# (pksync stats lists it), never deleted; a malformed maintainer or
# this_site is named by pksync check.
. "$PKS_SRCDIR/tests/lib/tap.sh"
. "$PKS_SRCDIR/tests/lib/pksync.sh"
. "$PKS_SRCDIR/tests/lib/smtpsink.sh"

PY=/usr/bin/python3
need_sink

test_dir pmq
at_exit 'sink_stop "$T/sink"'
sink_start "$T/sink" || bail sink
PKS_MAINTAINER='Keyserver Admin <admin@example.org>' \
	pks_mail_setup "$T/a" peer@sink.test || bail pks_mail_setup

ok "check accepts a maintainer with a display name" \
	sh -c "'$PKSYNC' -c '$T/a/pksync.conf' check | grep -q 'configuration OK'"
cp "$PKS_SRCDIR/tests/data/pgp/eddsa.pgp" "$T/key.pgp"
chmod 644 "$T/key.pgp"
ok "import queues an incremental" pks "$T/a" import -q "$T/key.pgp"
is "one row queued" "$(sql "SELECT count(*) FROM outbox WHERE state = 'queued'")" 1
# A row whose body holds no key PKS can read (as a v6-only update would).
"$PY" -c 'import sqlite3,sys,time
db = sqlite3.connect(sys.argv[1])
c = db.execute("INSERT INTO outbox(kind, recipient, sent, created, next_try) VALUES (?, ?, ?, ?, ?)",
    ("incremental", "other@sink.test", "pgp-public-keys@pksync.test", int(time.time()), 0))
db.execute("INSERT INTO outbox_body(id, body) VALUES (?, ?)", (c.lastrowid, b"\x99\x00\x01x"))
db.commit()' "$SQL_DB"
ok "queue-run" pks "$T/a" queue-run
is "the sendable incremental was handed over and deleted" \
	"$(sql "SELECT count(*) FROM outbox WHERE recipient = 'peer@sink.test'")" 0
f=$(ls "$T"/sink/mail/new/*peer@sink.test 2>/dev/null | head -n 1)
ok "the peer got it" test -n "$f"
ok "From: carries the display name" grep -qx 'From: Keyserver Admin <admin@example.org>' "$f"
ok "the envelope sender is the bare address" grep -qx 'Return-Path: <admin@example.org>' "$f"
is "the row that cannot be composed is kept, as failed" \
	"$(sql "SELECT state FROM outbox WHERE recipient = 'other@sink.test'")" failed
ok "... with the reason" sh -c "[ -n \"\$($PY -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT last_error FROM outbox WHERE recipient = ?\", (\"other@sink.test\",)).fetchone()[0])' '$T/a/data/pksync.db')\" ]"
ok "pksync stats lists it with the reason" \
	sh -c "'$PKSYNC' -c '$T/a/pksync.conf' stats | grep -E 'failed #[0-9]+: incremental to other@sink.test.*no key PKS can read'"
ok "a second queue-run keeps it" pks "$T/a" queue-run
is "... still there" "$(sql "SELECT count(*) FROM outbox WHERE state = 'failed'")" 1

# Malformed addresses are named, with their line.
sed 's/^maintainer = .*/maintainer = Keyserver Admin admin@example.org/' \
	"$T/a/pksync.conf" >"$T/bad.conf"
"$PKSYNC" -c "$T/bad.conf" check >"$T/bad.out" 2>&1
is "check refuses a malformed maintainer (exit 78)" "$?" 78
ok "... naming the key and its line" \
	grep -Eq 'bad.conf:[0-9]+: maintainer must be an address' "$T/bad.out"
sed 's/^this_site = .*/this_site = pgp public keys/' "$T/a/pksync.conf" >"$T/bad2.conf"
"$PKSYNC" -c "$T/bad2.conf" check >"$T/bad2.out" 2>&1
ok "check names a malformed this_site" grep -q 'this_site must be an address' "$T/bad2.out"
tap_done
