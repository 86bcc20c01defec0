/*
 * store_listing.h: the listing facts stored with each key, and the
 * names of signature issuers read from them.
 *
 * With every key the store keeps the facts its short listing shows
 * (pgp_listing_encode of the key's pgp_key_info, which ingest builds
 * from the verified self-signatures), written in the transaction that
 * writes the key.  A listing of many keys reads these small rows and
 * parses no key packets.  A key that has none (it cannot happen after
 * migration 009, which fills them) gets its facts computed from its
 * packets when read.  When the rules of the facts change, a migration
 * has them computed again (store_listings_relist).
 */
#ifndef PKS_STORE_LISTING_H
#define PKS_STORE_LISTING_H

#include <stddef.h>
#include <stdint.h>

#include "pgp/pgp_index.h"
#include "store/store.h"
#include "store/store_query.h"
#include "util/buf.h"
#include "util/rc.h"

/* One key's listing facts; info borrows from data. */
struct store_listing {
	int64_t id;
	uint8_t *data;
	size_t len;
	struct pgp_key_info *info; /* no signatures */
};

struct store_listings {
	struct store_listing *v;
	size_t n;
};

/*
 * The listing facts of the keys ids, in order, at most limit of them;
 * rows deleted since the search are skipped, and so (logged) are keys
 * whose packets do not parse.  *out is the caller's either way
 * (store_listings_free).  Errors: the database's.
 */
enum pks_rc store_listings_load(struct store *st, const struct store_ids *ids,
    size_t limit, struct store_listings *out);
void store_listings_free(struct store_listings *l);

/*
 * The listing facts of the keys a search finds, gathered for a listing
 * of many keys without one allocation a key: a word search reads them
 * from the word table (store_wordkeys.h) or in one statement (the
 * full-text match joined with the stored facts), other searches by row
 * id in one read transaction.  Keys come in row order, at most max + 1
 * of them; n over max: the caller refuses the search (a word table
 * search then reads no rows, and b holds none); keys whose packets do
 * not parse are left out (logged).
 * Every record decodes (pgp_listing_dec_read).
 */
struct store_listing_rows {
	struct buf b; /* per key: row id (8 bytes), length (4), facts */
	size_t n;
};

enum pks_rc store_listings_search(struct store *st, const struct store_query *q,
    size_t max, struct store_listing_rows *out);

/* The next key's facts from *pos (0 for the first): 1, or 0 after the
 * last one. */
int store_listing_rows_next(const struct store_listing_rows *r, size_t *pos,
    int64_t *id, const uint8_t **data, size_t *len);
void store_listing_rows_free(struct store_listing_rows *r);

/*
 * After upgrading a database from before STORE_RELIST_SCHEMA (migration
 * 014: a user ID whose only verified self-signature is its owner's
 * revocation is listed, revoked): compute the facts of every key again
 * and, for each key whose facts changed, rewrite them with everything
 * derived from them (the word-index text, the e-mail rows, the word
 * table's copies).  Logs its progress; keys that do not parse are left
 * for pksync check.  Call inside the migration's write transaction.
 */
#define STORE_RELIST_SCHEMA 14
enum pks_rc store_listings_relist(struct store *st);

/*
 * Names of signature issuers for one listing: the primary user ID of
 * the one stored key whose primary key has this 64-bit key ID, looked
 * up once per key ID (at most 256 distinct ones a listing; later ones
 * stay unnamed) and cut to 256 bytes.  store_names_get returns NULL
 * when unknown (or on any error); the bytes are borrowed until
 * store_names_free.  st must outlive the cache.
 */
struct store_names;
struct store_names *store_names_new(struct store *st);
const uint8_t *store_names_get(
    struct store_names *nm, const uint8_t keyid[8], size_t *len);
void store_names_free(struct store_names *nm);

#endif
