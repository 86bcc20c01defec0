-- 002-mail.sql: the mail interface: the outgoing mail queue, the log of
-- replies sent to people (for the per-sender rate limit), and an index
-- for LAST (keys changed since a time).  Keep in step with schema.sql.

-- Mail waiting to be sent by "pksync queue-run": replies to people and
-- incrementals to sync peers.  'body' is the whole RFC 5322 message
-- (LF line ends).  state: 'queued' until the relay accepts it (the row is
-- then deleted), 'failed' when given up (kept for the admin).
CREATE TABLE outbox (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('reply', 'incremental')),
	recipient TEXT NOT NULL,
	body BLOB NOT NULL,
	created INTEGER NOT NULL,            -- unix time queued
	next_try INTEGER NOT NULL,           -- unix time of the next attempt
	tries INTEGER NOT NULL DEFAULT 0,
	state TEXT NOT NULL DEFAULT 'queued'
	    CHECK (state IN ('queued', 'failed'))
);
CREATE INDEX outbox_due ON outbox(state, next_try);

-- One row per reply queued to a person; counts replies per recipient
-- and hour.  Rows older than a day are pruned when a reply is queued.
CREATE TABLE mail_replies (
	recipient TEXT NOT NULL,             -- lower-cased address
	created INTEGER NOT NULL
);
CREATE INDEX mail_replies_rcpt ON mail_replies(recipient, created);
CREATE INDEX mail_replies_created ON mail_replies(created);

-- LAST n: keys changed since a time.
CREATE INDEX keys_updated ON keys(updated);
