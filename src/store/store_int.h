/*
 * store_int.h: what the files of src/store share and nobody else sees.
 *
 * struct store is one SQLite connection with its statements.  Every
 * statement is prepared on first use and kept until store_close(), so a
 * hot lookup costs one bind and one step.  The SQL text lives in the
 * table in store.c, named by enum store_stmt.
 */
#ifndef PKS_STORE_INT_H
#define PKS_STORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <sqlite3.h>

#include "store/store.h"
#include "util/buf.h"

enum store_stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_HAS_META,
	STMT_META_GET,
	STMT_META_SET,
	STMT_KEY_FIND,
	STMT_KEY_EXISTS,
	STMT_KEY_LOAD,
	STMT_KEY_HASH,
	STMT_KEY_INSERT,
	STMT_KEY_UPDATE,
	STMT_KEY_SET_UIDS,
	STMT_KEYIDS_DELETE,
	STMT_KEYIDS_INSERT,
	STMT_EMAILS_DELETE,
	STMT_EMAILS_INSERT,
	STMT_DAY_NEW,
	STMT_DAY_UPDATED,
	STMT_SEARCH_FPR,
	STMT_SEARCH_KEYID64,
	STMT_SEARCH_KEYID32,
	STMT_SEARCH_HASH,
	STMT_SEARCH_WORDS,
	STMT_SEARCH_EMAIL,
	STMT_COUNT_KEYS,
	STMT_DAYS,
	STMT_FOREACH,
	STMT_CHECK_INTEGRITY,
	STMT_CHECK_FOREIGN,
	STMT_CHECK_NO_KEYID,
	STMT_CHECK_HASH,
	STMT_CHECK_FPR,
	STMT_CHECK_DUP_HASH,
	STMT_CHECK_WORDS,
	STMT_CHECK_OUTBOX,
	STMT_OUTBOX_INCR_ALL,
	STMT_SEARCH_UPDATED,
	STMT_OUTBOX_ADD,
	STMT_OUTBOX_ADD_BODY,
	STMT_REPLY_LOG,
	STMT_REPLY_PRUNE,
	STMT_REPLY_COUNT,
	STMT_REPLY_COUNT_ALL,
	STMT_BEGIN_READ,
	STMT_PTREE_GET,
	STMT_PTREE_PUT,
	STMT_PTREE_DEL,
	STMT_PTREE_CLEAR,
	STMT_PTREE_HASHES,
	STMT_PTREE_OLD,
	STMT_PTREE_USED,
	STMT_PEER_SET,
	STMT_PEER_LIST,
	STMT_OUTBOX_EXPIRE,
	STMT_OUTBOX_DUE,
	STMT_OUTBOX_BODY,
	STMT_OUTBOX_LEASE,
	STMT_OUTBOX_DELETE,
	STMT_OUTBOX_RETRY,
	STMT_OUTBOX_FAIL,
	STMT_OUTBOX_PEERS,
	STMT_OUTBOX_DELIVERED,
	STMT_OUTBOX_DELIVERED_LIST,
	STMT_OUTBOX_TOTALS,
	STMT_OUTBOX_FAILED,
	STMT_REFUSED_ADD,
	STMT_REFUSED_HAS,
	STMT_REFUSED_LIST,
	STMT_REFUSED_COUNT,
	STMT_KEY_SET_CHECKS,
	STMT_ISSUER_UNVERIFIED,
	STMT_WAIT_ANY,
	STMT_WAIT_ADD,
	STMT_WAIT_CLEAR,
	STMT_WAIT_FIND,
	STMT_ISSUER_FPRS,
	STMT_ISSUER_KEYIDS,
	STMT_REFUSED_FORGET,
	STMT_KEY_DELETE,
	STMT_TOMB_ADD,
	STMT_TOMB_GET,
	STMT_TOMB_KEYID,
	STMT_TOMB_DEL,
	STMT_TOMB_LIST,
	STMT_COUNTER_ADD,
	STMT_COUNTER_LIST,
	STMT_KEYS_STORED_GET,
	STMT_KEYS_STORED_ADD,
	STMT_KEYS_STORED_SEED,
	STMT_KEYS_MAX_ID,
	STMT_LISTING_PUT,
	STMT_LISTING_GET,
	STMT_LISTING_MISSING,
	STMT_CHECK_LISTING,
	STMT_LISTING_WORDS,
	STMT_SEARCH_FPR_HASH,
	STMT_DATA_VERSION,
	STMT_COUNT
};

struct ptree_cache;

struct store {
	sqlite3 *db;
	int readonly;
	int busy_ms;                /* the busy timeout it was opened with */
	int busy_wait_ms;           /* the one in force (store_busy_wait) */
	struct timespec busy_since; /* this wait for a lock began */
	int wal_frames; /* STORE_SHORT: WAL length at the last commit */
	int committed;  /* STORE_SHORT: a commit not yet put on disk */
	int wal_new;    /* STORE_SHORT: no WAL file before the open */
	struct ptree_cache
	    *pcache; /* tree nodes of this transaction, or NULL */
	/* store_words.c: the insert trigger of the word index dropped
	 * in this transaction; the first keys row not indexed (0: none) */
	int words_deferred;
	int64_t words_first;
	char *words_trigger; /* its text, to create it again */
	/* store_wordkeys.c: tokenizer and statements (NULL: not yet) */
	struct store_wordkeys *wordkeys;
	sqlite3_stmt *stmt[STMT_COUNT];
	char msg[256]; /* last error, for store_errmsg() */
	/* issuer_waits seen empty in this write transaction, where only
	 * this connection writes it (store_issuer.c) */
	int waits_none;
	/* what store_changed saw last: PRAGMA data_version and
	 * sqlite3_total_changes (0: not yet) */
	int64_t seen_version, seen_changes;
	/* store_bulk.c: a bulk import runs (the prefix tree is rebuilt
	 * at its end instead of fed key by key) */
	int bulk;
	/* store_bulk.c: this connection holds a lock on the database's
	 * "-bulk" file (an import's, or an open connection's) in bulk_fd */
	int bulk_locked;
	int bulk_fd;
};

/* The tree node cache of a write transaction (store_ptree.c): begun by
 * store_begin; written by store_commit (before COMMIT) or forgotten by
 * store_rollback; both end caching.  Keep tree nodes read and written
 * in the transaction in memory and write each changed node once: a
 * batch of inserts touches the upper nodes thousands of times. */
void store_ptree_cache_begin(struct store *st);
enum pks_rc store_ptree_cache_flush(struct store *st);
void store_ptree_cache_drop(struct store *st);

/* Store the listing facts of key row id (store_listing.c); inside the
 * transaction that writes the key. */
enum pks_rc store_listing_put(
    struct store *st, int64_t id, const struct pgp_key_info *info);

/* Key row id's word-index text and e-mail rows from 'info', its facts
 * computed again (store_listings_relist; store_keys.c).  Call inside a
 * transaction. */
enum pks_rc store_key_relisted(
    struct store *st, int64_t id, const struct pgp_key_info *info);

/* User text as an FTS5 query in which every word must match (each word
 * one quoted string), appended to q; *nwords counts them.  PKS_ERR_TOOBIG
 * over PKS_MAX_WORDS words (store_keys.c). */
enum pks_rc store_words_query(
    const char *text, size_t len, struct buf *q, size_t *nwords);
/* Give every key without listing facts its own (after a migration). */
enum pks_rc store_listings_fill(struct store *st);

/* The SQL files, compiled in by store_sqlgen.sh (store_sql.c). */
struct store_migration {
	int version; /* the schema version it produces */
	const char *name;
	const char *sql;
};
extern const char *const store_sql_schema;
extern const int store_sql_version;
extern const size_t store_sql_nmigrations;
extern const struct store_migration store_sql_migrations[];

/*
 * The statement 'which', prepared on first use.  *out stays owned by st;
 * reset it with store_stmt_done() after use.  Errors: store_fail().
 */
enum pks_rc store_stmt_get(
    struct store *st, enum store_stmt which, sqlite3_stmt **out);

/* Reset a statement and clear its bindings, ready for the next use. */
void store_stmt_done(sqlite3_stmt *stmt);

/*
 * store_stmt_get() of 'which' with the len bytes at blob bound as ?1
 * (not copied: they must stay until the statement is done).  On an
 * error the statement is reset (store_fail()).
 */
enum pks_rc store_stmt_blob(struct store *st, enum store_stmt which,
    const void *blob, size_t len, sqlite3_stmt **out);

/* Whether len is the length of a fingerprint: 16 (v3), 20 (v4) or 32
 * (v5, v6). */
int store_fpr_len_ok(size_t len);

/*
 * store_stmt_blob() with a fingerprint bound as ?1; PKS_ERR_NOTFOUND,
 * with nothing bound, for a length no fingerprint has.
 */
enum pks_rc store_stmt_fpr(struct store *st, enum store_stmt which,
    const uint8_t *fpr, size_t len, sqlite3_stmt **out);

/*
 * Map an SQLite result code to a pks_rc and remember the connection's
 * error text (store_errmsg).  BUSY/LOCKED -> PKS_ERR_BUSY, FULL ->
 * PKS_ERR_FULL, IOERR -> PKS_ERR_IO, NOMEM -> PKS_ERR_NOMEM, anything
 * else -> PKS_ERR_DB.
 */
enum pks_rc store_fail(struct store *st, int sqlrc);

/* Wait up to ms (0: not at all) for a lock another connection holds,
 * from now on (store_open sets busy_ms). */
void store_busy_wait(struct store *st, int ms);

/* Remember an error text of our own; returns rc. */
enum pks_rc store_fail_msg(struct store *st, enum pks_rc rc, const char *msg);

/* Step a statement that returns no rows, then reset it. */
enum pks_rc store_stmt_run(struct store *st, sqlite3_stmt *stmt);

/* The number of key rows is kept as the counter ("keys_stored", ""),
 * so reading it costs the same at any size (store_counters.c).  Add n
 * to it in the transaction that inserts (+1) or deletes (-1) a key
 * row; nothing while the row is not there yet (store_count_keys()
 * seeds it from a scan the first time it is read). */
enum pks_rc store_keys_stored_add(struct store *st, int64_t n);

/* The integer in the first column of the first row of a statement
 * without parameters: PKS_OK, PKS_ERR_NOTFOUND when there is no row,
 * or the store's error. */
enum pks_rc store_query_int(
    struct store *st, enum store_stmt which, int64_t *n);

/* Step a statement that returns key ids in its first column, collecting
 * at most max+1 of them into ids, then reset it.  Binds ?2 = max+1. */
enum pks_rc store_stmt_ids(
    struct store *st, sqlite3_stmt *stmt, size_t max, struct store_ids *ids);

/* A key ID as SQLite stores it: the unsigned value in a signed int64. */
int64_t store_u64_to_i64(uint64_t v);

#endif
