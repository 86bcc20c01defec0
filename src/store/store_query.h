/*
 * store_query.h: what a user asks for, and running it against the store.
 *
 * One search term is classified the same way for every protocol (HKP
 * lookups, mail GET and INDEX):
 *   0x + 8 or 16 hex digits      key ID (32 or 64 bits)
 *   0x + 32, 40 or 64 hex digits fingerprint (v3, v4, v5/v6)
 *   40 or 64 hex digits, spaces allowed, no 0x: fingerprint (pasted)
 *   local@domain, with or without <>: e-mail address
 *   anything else                words (letters, digits, UTF-8)
 * 0x followed by anything but hex digits (and spaces) is an error.  A
 * hex string without 0x is never taken for a key ID.  With
 * STORE_QUERY_HASH the term must be 32 hex digits (an SKS key hash), with
 * or without 0x.  Either case of hex digits is accepted.
 * store_query_parse() is pure; store_query_run() reads the database.
 */
#ifndef PKS_STORE_QUERY_H
#define PKS_STORE_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/limits.h"
#include "util/rc.h"

enum store_query_kind {
	STORE_QUERY_NONE,  /* no search (e.g. HKP op=stats) */
	STORE_QUERY_KEYID, /* keyid, bits 32 or 64 */
	STORE_QUERY_FPR,   /* bin[0..len): 16, 20 or 32 bytes */
	STORE_QUERY_HASH,  /* bin[0..16): SKS key hash */
	STORE_QUERY_EMAIL, /* text: the address, ASCII lower-cased */
	STORE_QUERY_WORDS  /* text: words lower-cased, one space apart */
};

/* Words shorter than this are dropped from a text search. */
#define STORE_QUERY_MIN_WORD 2u

struct store_query {
	enum store_query_kind kind;
	uint64_t keyid;
	int bits;
	uint8_t bin[32];
	size_t len;
	char text[PKS_MAX_QUERY + 1];
};

/* Flags of store_query_parse(). */
enum store_query_flags {
	STORE_QUERY_PARSE_HASH = 1 /* the term is an SKS key hash */
};

/*
 * Classify the search term s[0..len) (see above) into *out.  Errors,
 * with a one-line reason in err->why (err->off is 0 or the offset in the
 * term): PKS_ERR_PARSE for an empty term, bad hex, a term longer than
 * PKS_MAX_QUERY or without usable words.
 */
enum pks_rc store_query_parse(const char *s, size_t len, int flags,
    struct store_query *out, struct pks_err *err);

/*
 * Run a parsed query: at most max+1 row ids into *ids (store_ids_free),
 * so the caller can tell "more than max".  No match is PKS_OK with
 * n == 0.  PKS_ERR_INTERNAL for STORE_QUERY_NONE; database errors as
 * for the store_search_* functions.
 */
enum pks_rc store_query_run(struct store *st, const struct store_query *q,
    size_t max, struct store_ids *ids);

/*
 * store_query_run for op=get: also the SKS hash and stamp
 * (store_key_hash) of the first key found (*have_hash 1), read in the same
 * statement for a fingerprint search, so that a cached answer needs no second
 * read; other searches leave *have_hash 0.
 */
enum pks_rc store_query_run_hash(struct store *st, const struct store_query *q,
    size_t max, struct store_ids *ids, uint8_t hash[16], int64_t *stamp,
    int *have_hash);

/* What store_changed saw. */
enum store_change {
	STORE_SAME,    /* no commit since the last look */
	STORE_CHANGED, /* a commit, or an error: assume one */
	STORE_FIRST    /* the connection's first look: no baseline before */
};

/*
 * Whether the database may have changed since the last call on this
 * connection: another connection committed (PRAGMA data_version) or
 * this one wrote (sqlite3_total_changes).  The first call only sets
 * the baseline (STORE_FIRST: data_version values of two connections
 * cannot be compared, so nothing is known of what came before).
 * Errors count as a change, and the next call is a first one.  For
 * caches of answers read from the database.
 */
enum store_change store_changed(struct store *st);

/*
 * Keys stored or changed at or after 'since' (unix time), newest change
 * first; at most max+1 ids, as above.
 */
enum pks_rc store_search_updated(
    struct store *st, int64_t since, size_t max, struct store_ids *ids);

#endif
