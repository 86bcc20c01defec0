-- 013-word-listings.sql: the words of each key with a copy of its
-- listing, for op=index by a word without a look-up per key found.
-- Keep in step with schema.sql.  The rows of keys stored before this
-- migration are filled by the program right after it
-- (store_wordkeys.c), in the same transaction, logging its progress
-- (it empties the table first: a database set back to an older version
-- may have it already).
CREATE TABLE IF NOT EXISTS key_word_listings (
	word TEXT NOT NULL,
	key INTEGER NOT NULL REFERENCES keys(id) ON DELETE CASCADE,
	listing BLOB,
	PRIMARY KEY (word, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS key_word_listings_key ON key_word_listings(key);
