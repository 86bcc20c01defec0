-- 007-tombstones.sql: keys removed for good by the operator ("pksync
-- delete"), kept by fingerprint with the time and the reason, so that
-- no upload, incremental, recon fetch or import brings them back.
-- Keep in step with schema.sql.
CREATE TABLE tombstones (
	fpr BLOB PRIMARY KEY,                -- the removed key's fingerprint
	created INTEGER NOT NULL,            -- unix time of the removal
	reason TEXT NOT NULL
) WITHOUT ROWID;
