-- 008-counters.sql: persistent counters for /metrics.  What several
-- processes count into one database (serve, mail-filter, import) lives
-- here, bumped in the transaction that does the counted thing: keys
-- added and updated per source, mails filtered per outcome, recon
-- sessions and fetched keys per peer.  Keep in step with schema.sql.
CREATE TABLE counters (
	name TEXT NOT NULL,                  -- what: keys_added, mail_filtered ...
	label TEXT NOT NULL,                 -- of what: a source, outcome, peer
	value INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (name, label)
) WITHOUT ROWID;
