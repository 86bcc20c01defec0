-- 009-delivered.sql: when the relay last accepted an incremental for
-- each recipient (a sync peer), for the stats and the sync page; the
-- outbox row itself is deleted once sent.  Keep in step with schema.sql.
CREATE TABLE outbox_delivered (
	recipient TEXT PRIMARY KEY,          -- lower-cased address
	last_sent INTEGER NOT NULL           -- unix time
) WITHOUT ROWID;
