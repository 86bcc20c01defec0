-- schema-v1.sql: the pksync schema at version 1, as sql/schema.sql was
-- then.  test_store.c builds a version-1 database from it and checks that
-- the migrations in sql/ turn it into what sql/schema.sql creates.
--
-- A new database is created from this file alone.  An older database is
-- upgraded by the migrations sql/NNN-name.sql, where file NNN turns
-- schema version NNN-1 into NNN; the version below must then be the
-- highest NNN.  Both are compiled into the pksync binary.
--
-- Only src/store/ speaks SQL.  Every lookup is an index seek; the
-- comments name the index it uses.

-- Small persistent settings: schema_version, filters, ...
CREATE TABLE meta (
	name TEXT PRIMARY KEY,
	value TEXT NOT NULL
) WITHOUT ROWID;

-- One row per key, identified by the fingerprint of its primary key
-- packet (SKS merges keys whose primary key packets are identical).
-- 'data' is the key's canonical packets in SKS framing, and 'hash' the
-- SKS key hash of exactly these packets.  algo..revoked are the index
-- facts of the primary key, 'uids' every user ID of the key, one per
-- line, as the content of the word index.  'data' comes last so that
-- reading the other columns does not walk its overflow pages.
CREATE TABLE keys (
	id INTEGER PRIMARY KEY,
	fpr BLOB NOT NULL UNIQUE,            -- op=get by fingerprint
	version INTEGER NOT NULL,
	hash BLOB NOT NULL CHECK (length(hash) = 16),
	recon INTEGER NOT NULL DEFAULT 0,    -- 1: offered to recon peers
	algo INTEGER NOT NULL,
	bits INTEGER NOT NULL,
	ctime INTEGER NOT NULL,
	expires INTEGER NOT NULL,            -- 0: never
	revoked INTEGER NOT NULL,
	created INTEGER NOT NULL,            -- unix time first stored
	updated INTEGER NOT NULL,            -- unix time of the last change
	uids TEXT NOT NULL,
	data BLOB NOT NULL
);
-- Not unique: two keys with one MD5 must not block each other.
CREATE INDEX keys_hash ON keys(hash);

-- Every fingerprint and key ID of a key and its subkeys.  The primary
-- key has a row too.  keyid32 is the low half of keyid64 (both signed
-- 64-bit integers holding the unsigned value).
CREATE TABLE keyids (
	key_id INTEGER NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
	fpr BLOB NOT NULL,
	keyid64 INTEGER NOT NULL,
	keyid32 INTEGER NOT NULL,
	PRIMARY KEY (key_id, fpr)
) WITHOUT ROWID;
CREATE INDEX keyids_fpr ON keyids(fpr);
CREATE INDEX keyids_keyid64 ON keyids(keyid64);
CREATE INDEX keyids_keyid32 ON keyids(keyid32);

-- The e-mail address of each user ID that has one, lower-cased (ASCII).
CREATE TABLE emails (
	key_id INTEGER NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
	email TEXT NOT NULL,
	PRIMARY KEY (key_id, email)
) WITHOUT ROWID;
CREATE INDEX emails_email ON emails(email);

-- Word search over keys.uids: one FTS row per key (rowid = keys.id), so
-- "every word" may be spread over several user IDs of a key.  The
-- triggers keep it in step with keys; 'delete' must get the old text.
CREATE VIRTUAL TABLE key_words USING fts5(
	uids,
	content = 'keys',
	content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER keys_words_insert AFTER INSERT ON keys BEGIN
	INSERT INTO key_words(rowid, uids) VALUES (new.id, new.uids);
END;
CREATE TRIGGER keys_words_delete AFTER DELETE ON keys BEGIN
	INSERT INTO key_words(key_words, rowid, uids)
	    VALUES ('delete', old.id, old.uids);
END;
CREATE TRIGGER keys_words_update AFTER UPDATE OF uids ON keys
    WHEN old.uids IS NOT new.uids BEGIN
	INSERT INTO key_words(key_words, rowid, uids)
	    VALUES ('delete', old.id, old.uids);
	INSERT INTO key_words(rowid, uids) VALUES (new.id, new.uids);
END;

-- Keys stored for the first time and keys changed, per UTC day.
CREATE TABLE stats_days (
	day TEXT PRIMARY KEY,                -- YYYY-MM-DD
	nnew INTEGER NOT NULL DEFAULT 0,
	nupdated INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

INSERT INTO meta(name, value) VALUES ('schema_version', '1');
