-- 006-sigchecks.sql: keep with each key the result of verifying its
-- self-signatures (verified once, at ingest), and remember the SKS
-- hashes of keys refused for good, so that recon does not fetch them
-- again at every session.  Keep in step with schema.sql.

-- The check record of pgp_key_verify (src/pgp/pgp_verify.h); NULL for
-- a key stored before this migration: verified when it is read, and
-- stored with its record at its next change.
ALTER TABLE keys ADD COLUMN checks BLOB;

CREATE TABLE refused (
	hash BLOB PRIMARY KEY CHECK (length(hash) = 16),
	fpr BLOB,                            -- NULL: no fingerprint
	reason TEXT NOT NULL,
	source TEXT NOT NULL,                -- hkp, recon, mail, import
	first INTEGER NOT NULL,              -- unix time first refused
	last INTEGER NOT NULL,               -- unix time last refused
	count INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;
