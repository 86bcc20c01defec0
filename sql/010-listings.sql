-- 010-listings.sql: keep with each key the facts its listing shows
-- (src/pgp/pgp_listing.h, pgp_listing_encode), derived from its
-- verified self-signatures when the key is written, so that a search
-- that matches many keys is listed without parsing one.  Keep in step
-- with schema.sql.  The rows of keys stored before this migration are
-- filled by the program right after it (store_listing.c), in the same
-- transaction.
CREATE TABLE key_listings (
	id INTEGER PRIMARY KEY REFERENCES keys(id) ON DELETE CASCADE,
	listing BLOB NOT NULL
);
