-- 011-outbox-body.sql: the body of a queued message moves to a table of
-- its own.  queue-run changes a row's state several times (its lease
-- when claimed, its tries and answer when deferred, failed), and SQLite
-- rewrites a whole row, overflow pages and all, on every UPDATE: with
-- the key packets in the row, claiming 300 rows cost about half a
-- second.  The body is written once, read once when the message is
-- composed, and deleted with its row.  The table is rebuilt (SQLite
-- cannot drop the column in place on every version pksync supports);
-- every row, queued, claimed or failed, is kept.  Keep in step with
-- schema.sql.
CREATE TABLE outbox_new (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('reply', 'incremental')),
	recipient TEXT NOT NULL,
	sent TEXT,
	created INTEGER NOT NULL,
	next_try INTEGER NOT NULL,
	tries INTEGER NOT NULL DEFAULT 0,
	state TEXT NOT NULL DEFAULT 'queued'
	    CHECK (state IN ('queued', 'failed')),
	lease_owner TEXT,
	lease_until INTEGER NOT NULL DEFAULT 0,
	last_error TEXT
);
CREATE TABLE outbox_body (
	id INTEGER PRIMARY KEY REFERENCES outbox_new(id) ON DELETE CASCADE,
	body BLOB NOT NULL
);
INSERT INTO outbox_new(id, kind, recipient, sent, created, next_try, tries,
    state, lease_owner, lease_until, last_error)
    SELECT id, kind, recipient, sent, created, next_try, tries, state,
	lease_owner, lease_until, last_error
    FROM outbox;
INSERT INTO outbox_body(id, body) SELECT id, body FROM outbox;
DROP TABLE outbox;
-- Renaming also points outbox_body's reference at the new name.
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox(state, next_try);
CREATE INDEX outbox_rcpt ON outbox(recipient, state);
