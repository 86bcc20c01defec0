-- 012-issuer-waits.sql: certifications waiting for their issuer.  For
-- the user IDs of a flooded key (more third-party certifications than
-- [keys] served_certs_per_uid), each certification whose issuer key is
-- not stored here leaves a row (its issuer's 64-bit key ID, the
-- certified key), at most [keys] issuer_waits_per_key per key.  When a
-- key with that key ID is stored, the certified keys are marked again
-- (src/store/store_issuer.c): its certifications are verified and
-- preferred without storing the certified key again.  Keys stored
-- before this migration get their rows at their next change.  Keep in
-- step with schema.sql.
CREATE TABLE IF NOT EXISTS issuer_waits (
	keyid INTEGER NOT NULL,              -- issuer key ID (signed 64-bit)
	key_id INTEGER NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
	PRIMARY KEY (keyid, key_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS issuer_waits_key ON issuer_waits(key_id);
