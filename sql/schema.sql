-- schema.sql: the whole current pksync database schema.
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
	data BLOB NOT NULL,
	-- self-signature check record (src/pgp/pgp_verify.h); NULL: the
	-- key predates migration 006 and is verified when read
	checks BLOB
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

-- The mail interface (migration 002-mail.sql).
-- Mail waiting to be sent by "pksync queue-run" (as changed by
-- migrations 003-outbox.sql and 011-outbox-body.sql).
--  kind 'reply': the body (outbox_body) is a whole RFC 5322 message to a
--    person (LF line ends), 'sent' is NULL.
--  kind 'incremental': the body holds the packets to send to one sync
--    peer (one or more keys, SKS framing: what the merge added, or the
--    whole key when it was new); 'sent' is the X-KeyServer-Sent path,
--    one value a line, oldest first, our this_site last.  The message
--    is composed when it is sent.
-- state: 'queued' until the relay accepts it (the row is then deleted);
-- 'failed' when the relay refused it for good (5xx) or it stayed queued
-- longer than [mail] queue_max_age (kept for the admin, see stats).
-- A queue-run claims due rows by setting lease_owner and lease_until;
-- a row whose lease ran out (a killed run) is due again.
CREATE TABLE outbox (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('reply', 'incremental')),
	recipient TEXT NOT NULL,
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
-- queue-run: due rows; stats: counts per recipient and state.
CREATE INDEX outbox_due ON outbox(state, next_try);
CREATE INDEX outbox_rcpt ON outbox(recipient, state);
-- The body of each outbox row, apart so that the row's state changes
-- (lease, tries, failure) rewrite a few bytes, not the key packets.
CREATE TABLE outbox_body (
	id INTEGER PRIMARY KEY REFERENCES outbox(id) ON DELETE CASCADE,
	body BLOB NOT NULL
);

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

-- SKS recon (migration 004-ptree.sql).
-- One row per prefix tree node.  prefix: one byte holding the bit
-- count, then ceil(bits/8) bytes of the bitstring (the root is the
-- single byte 00).  size: elements below the node; samples: its 6
-- sample values, 17 bytes each (recon wire form); elems: a leaf's
-- elements, 17 bytes each, ascending (NULL for internal nodes).
CREATE TABLE ptree_nodes (
	prefix BLOB PRIMARY KEY,
	size INTEGER NOT NULL,
	leaf INTEGER NOT NULL,
	samples BLOB NOT NULL,
	elems BLOB
) WITHOUT ROWID;

-- The last recon session with each peer ("host port" as in the
-- membership file): when, how it ended, how many hashes each way.
CREATE TABLE recon_peers (
	peer TEXT PRIMARY KEY,
	last INTEGER NOT NULL,               -- unix time
	result TEXT NOT NULL,                -- "ok" or "failed: reason"
	keys_in INTEGER NOT NULL,            -- hashes we lacked
	keys_out INTEGER NOT NULL,           -- hashes the peer lacked
	fetched INTEGER NOT NULL,            -- keys fetched and merged
	sessions INTEGER NOT NULL,           -- sessions so far
	role TEXT NOT NULL DEFAULT '',       -- "initiator" or "responder"
	-- the last session that ended "ok" (0: none yet), with its counts
	ok_last INTEGER NOT NULL DEFAULT 0,
	ok_role TEXT NOT NULL DEFAULT '',
	ok_keys_in INTEGER NOT NULL DEFAULT 0,
	ok_keys_out INTEGER NOT NULL DEFAULT 0,
	ok_fetched INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- Keys refused for good, by the SKS hash they came with (migration
-- 006-sigchecks.sql): recon does not fetch these hashes again, and
-- "pksync stats" lists them.
CREATE TABLE refused (
	hash BLOB PRIMARY KEY CHECK (length(hash) = 16),
	fpr BLOB,                            -- NULL: no fingerprint
	reason TEXT NOT NULL,
	source TEXT NOT NULL,                -- hkp, recon, mail, import
	first INTEGER NOT NULL,              -- unix time first refused
	last INTEGER NOT NULL,               -- unix time last refused
	count INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;

-- Keys removed for good by the operator (migration 007-tombstones.sql):
-- uploads, incrementals, recon fetches and imports of these
-- fingerprints are refused, and op=get answers 410 with the reason.
CREATE TABLE tombstones (
	fpr BLOB PRIMARY KEY,                -- the removed key's fingerprint
	created INTEGER NOT NULL,            -- unix time of the removal
	reason TEXT NOT NULL
) WITHOUT ROWID;

-- Persistent counters for /metrics (migration 008-counters.sql): what
-- several processes count into one database, bumped in the transaction
-- that does the counted thing (src/store/store_counters.h names them).
CREATE TABLE counters (
	name TEXT NOT NULL,                  -- what: keys_added, mail_filtered ...
	label TEXT NOT NULL,                 -- of what: a source, outcome, peer
	value INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (name, label)
) WITHOUT ROWID;

-- When the relay last accepted an incremental for each recipient
-- (migration 009-delivered.sql).
CREATE TABLE outbox_delivered (
	recipient TEXT PRIMARY KEY,          -- lower-cased address
	last_sent INTEGER NOT NULL           -- unix time
) WITHOUT ROWID;

-- What each key's listing shows (migration 010-listings.sql): the facts
-- of src/pgp/pgp_listing.h in their stored form, derived from verified
-- self-signatures and written with the key (id = keys.id), so that
-- op=index, op=index&options=mr and mail INDEX parse no key.
CREATE TABLE key_listings (
	id INTEGER PRIMARY KEY REFERENCES keys(id) ON DELETE CASCADE,
	listing BLOB NOT NULL
);

-- Certifications of flooded user IDs waiting for their issuer key to
-- be stored (migration 012-issuer-waits.sql): issuer key ID (signed
-- 64-bit) -> certified key, at most [keys] issuer_waits_per_key rows
-- per key; looked up when a key is stored.
CREATE TABLE issuer_waits (
	keyid INTEGER NOT NULL,              -- issuer key ID (signed 64-bit)
	key_id INTEGER NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
	PRIMARY KEY (keyid, key_id)
) WITHOUT ROWID;
CREATE INDEX issuer_waits_key ON issuer_waits(key_id);

-- The words of each key with a copy of its listing (migration
-- 013-word-listings.sql), so that op=index by one word reads one range
-- of one table: word is a token of keys.uids exactly as key_words'
-- tokenizer makes it (lower case, no diacritics), one row per distinct
-- word and key; listing is key_listings.listing of the key, or NULL
-- when the key's words times its listing's size are over [keys]
-- word_listing_bytes (read from key_listings then).  Written with the
-- listing by src/store/store_wordkeys.c, not by triggers.
CREATE TABLE key_word_listings (
	word TEXT NOT NULL,
	key INTEGER NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
	listing BLOB,
	PRIMARY KEY (word, key)
) WITHOUT ROWID;
CREATE INDEX key_word_listings_key ON key_word_listings(key);

INSERT INTO meta(name, value) VALUES ('schema_version', '14');
