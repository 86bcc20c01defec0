-- 003-outbox.sql: the outgoing queue carries incrementals as data (the
-- packets to send and the X-KeyServer-Sent path), and queue-run claims
-- rows with a lease so that two runs never send the same message.  The
-- table is rebuilt because SQLite cannot change a column's meaning or
-- constraints in place; queued replies are kept.  Keep in step with
-- schema.sql.

-- Mail waiting to be sent by "pksync queue-run".
--  kind 'reply': 'body' is a whole RFC 5322 message to a person (LF
--    line ends), 'sent' is NULL.
--  kind 'incremental': 'body' holds the packets to send to one sync
--    peer (one or more keys, SKS framing: what the merge added, or the
--    whole key when it was new); 'sent' is the X-KeyServer-Sent path,
--    one value a line, oldest first, our this_site last.  The message
--    is composed when it is sent.
-- state: 'queued' until the relay accepts it (the row is then deleted);
-- 'failed' when the relay refused it for good (5xx) or it stayed queued
-- longer than [mail] queue_max_age (kept for the admin, see stats).
-- A queue-run claims due rows by setting lease_owner and lease_until;
-- a row whose lease ran out (a killed run) is due again.
CREATE TABLE outbox_new (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('reply', 'incremental')),
	recipient TEXT NOT NULL,
	body BLOB NOT NULL,
	sent TEXT,
	created INTEGER NOT NULL,            -- unix time queued
	next_try INTEGER NOT NULL,           -- unix time of the next attempt
	tries INTEGER NOT NULL DEFAULT 0,
	state TEXT NOT NULL DEFAULT 'queued'
	    CHECK (state IN ('queued', 'failed')),
	lease_owner TEXT,                    -- "host:pid:start" of the run
	lease_until INTEGER NOT NULL DEFAULT 0,
	last_error TEXT                      -- the relay's last answer
);
INSERT INTO outbox_new(id, kind, recipient, body, created, next_try, tries,
    state)
    SELECT id, kind, recipient, body, created, next_try, tries, state
    FROM outbox WHERE kind = 'reply';
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
-- queue-run: due rows; stats: counts per recipient and state.
CREATE INDEX outbox_due ON outbox(state, next_try);
CREATE INDEX outbox_rcpt ON outbox(recipient, state);
