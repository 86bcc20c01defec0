/*
 * store_wordkeys.h: the word table key_word_listings (word -> key, with
 * a copy of the key's listing), which answers op=index by words without
 * the full-text match and one key_listings look-up per key found.
 *
 * Its words are the tokens of keys.uids as key_words' FTS5 tokenizer
 * makes them (the tokenizer itself is asked, through the fts5_api), so
 * a search of words each one token finds exactly the keys the FTS5
 * match finds; any other search (a word the tokenizer splits, as in an
 * address) is left to FTS5.  Rows are written with the key's listing
 * (store_listing_put), so deletes (ON DELETE CASCADE), merges and
 * re-marks keep them exact; inside a transaction whose word index is
 * deferred (store_words.h) the keys inserted are added at catch-up,
 * their rows sorted in the table's order first.  A bulk import
 * (store_bulk.h) writes none until its end, then fills the table from
 * key_words' own index; until then a search asks FTS5 and the check
 * skips the table.
 */
#ifndef PKS_STORE_WORDKEYS_H
#define PKS_STORE_WORDKEYS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/rc.h"

/* Inside src/store: write the rows of key row id anew from its keys
 * and key_listings rows (after store_listing_put wrote the listing).
 * Skipped for a key inserted in a deferred transaction (catch-up). */
enum pks_rc store_wordkeys_put(struct store *st, int64_t id);

/* Inside src/store: add the rows of the keys rows from id first on,
 * which have none (store_words_catch_up). */
enum pks_rc store_wordkeys_catch_up(struct store *st, int64_t first);

/* The schema version that brought the table (013-word-listings.sql). */
#define STORE_WORDKEYS_SCHEMA 13

/* Inside src/store: empty the table and fill it from every key, logging
 * progress (after migration 013, pksync check --rebuild-words). */
enum pks_rc store_wordkeys_fill(struct store *st);

/* Inside src/store, outside a transaction (it commits several, one per
 * range of words, with foreign keys not checked: pksync has them on):
 * empty the table and fill it from key_words' own index, which must
 * hold every key (all caught up), in the table's order: every page
 * written once (store_bulk_finish, which drops the index on key before
 * and builds it after; the same rows as store_wordkeys_fill).  Stopped
 * half-way, it leaves part of the rows: run it again. */
enum pks_rc store_wordkeys_fill_sorted(struct store *st);

/*
 * Inside src/store: the keys matching an FTS5 query made by
 * store_words_query, in row order, at most max + 1, each with its row
 * id and listing (NULL: none kept) given to cb.  Their number is counted
 * first (at most max + 1): over max, *n is max + 1 and cb is not called.
 * PKS_ERR_UNSUPPORTED (the caller asks FTS5) unless the query is one
 * word that is one token: several words are FTS5's, which intersects
 * their lists in memory instead of probing the table once per key of
 * the first word.
 */
enum pks_rc store_wordkeys_search(struct store *st, const uint8_t *q,
    size_t qlen, size_t max,
    enum pks_rc (*cb)(void *, int64_t, const void *, size_t), void *arg,
    size_t *n);

/* Inside src/store: report (cb) differences between the table and a
 * rebuild from the keys; *nproblems counts them. */
enum pks_rc store_wordkeys_check(struct store *st,
    void (*cb)(void *, const char *), void *arg, size_t *nproblems);

/* Free the connection's tokenizer (store_close). */
void store_wordkeys_close(struct store *st);

#endif
