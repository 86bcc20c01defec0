/*
 * store_words.h: the word index (FTS5 table key_words) fed once per
 * transaction instead of once per key, for bulk imports.
 *
 * The trigger keys_words_insert feeds the index one row at a time, and
 * FTS5 writes its pending words to disk at every statement that touches
 * it (a savepoint): a new segment per key, merged again and again.
 * Within a transaction begun by store_begin(), store_words_defer() drops
 * that trigger; the rows inserted meanwhile are added to the index with
 * one INSERT ... SELECT before any keys row is updated or deleted (the
 * other two triggers take words out of the index, which must then hold
 * them) and before COMMIT, which recreates the trigger from the text
 * sqlite_master held when it was dropped.  A rollback brings the
 * trigger back with everything else, and other connections never see
 * the database without it: the result is the index the trigger would
 * have built.  The word table (store_wordkeys.h) of the keys inserted
 * meanwhile is filled at the same points.
 */
#ifndef PKS_STORE_WORDS_H
#define PKS_STORE_WORDS_H

#include <stdint.h>

#include "store/store.h"
#include "util/rc.h"

/*
 * In an open write transaction: feed the word index of the keys rows
 * inserted from now on at the end of the transaction.  Does nothing
 * (PKS_OK) when there is no such trigger (the index is then fed row by
 * row, as the schema says).
 */
enum pks_rc store_words_defer(struct store *st);

/* Inside src/store: keys row id was inserted (store_keys.c). */
void store_words_note(struct store *st, int64_t id);

/* Inside src/store: add the rows inserted since the last call to the
 * word index (before a keys row is updated or deleted). */
enum pks_rc store_words_catch_up(struct store *st);

/* Inside src/store: before COMMIT, catch up and recreate the trigger;
 * at rollback, forget (the rollback restored the trigger). */
enum pks_rc store_words_end(struct store *st);
void store_words_forget(struct store *st);

/* Build the word table (store_wordkeys.h) anew from the keys, in one
 * write transaction (pksync check --rebuild-words). */
enum pks_rc store_words_rebuild(struct store *st);

#endif
