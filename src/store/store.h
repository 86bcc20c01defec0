/*
 * store.h: the key database (SQLite).  The only module that speaks SQL.
 *
 * One struct store is one SQLite connection; it must not be shared
 * between threads (each HKP worker thread opens its own).  The database
 * runs in WAL mode with a busy timeout, so separate processes (serve,
 * import, mail-filter, queue-run) can write to the same file; a lock held
 * beyond the timeout gives PKS_ERR_BUSY, a full disk PKS_ERR_FULL.
 *
 * Keys are stored as their canonical packets (SKS framing), with their
 * SKS hash, primary fingerprint, every key ID of the key and its
 * subkeys, and their user IDs in an FTS5 table and an exact e-mail
 * column.  Index facts (algorithm, dates, flags) are recomputed from the
 * packets when needed.  Schema: sql/schema.sql plus numbered migrations.
 */
#ifndef PKS_STORE_H
#define PKS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "pgp/pgp_index.h"
#include "util/rc.h"

struct store;

enum store_flags {
	STORE_CREATE = 1,   /* create the file and schema if missing */
	STORE_READONLY = 2, /* open read-only (lookups only) */
	/* A process that lives for one message (mail-filter): commits do
	 * not wait for the disk (synchronous = NORMAL, so the write lock
	 * is not held through an fsync); store_sync() then puts all of
	 * them on disk at once.  Closing leaves the WAL as it is (instead
	 * of checkpointing, syncing and deleting it each time the last
	 * connection closes) until it is long, then checkpoints it and
	 * cuts it to nothing without waiting. */
	STORE_SHORT = 4,
	/* "pksync import": may open a database whose bulk import did not
	 * finish (store_bulk.h); any other opener is refused it. */
	STORE_BULK = 8
};

/*
 * Open (and with STORE_CREATE create or migrate) the database at path.
 * *out is owned by the caller (store_close).  busy_ms is the busy
 * timeout.  Errors: PKS_ERR_DB, PKS_ERR_IO, PKS_ERR_BUSY.
 */
enum pks_rc store_open(
    const char *path, int flags, int busy_ms, struct store **out);
void store_close(struct store *st);

/* Settings for a long bulk import on this connection: a page cache of
 * cache_bytes (at least 1 MiB) and rarer WAL checkpoints.  Memory use
 * grows accordingly. */
enum pks_rc store_tune_bulk(struct store *st, size_t cache_bytes);
/* For a connection that serves lookups: map up to mmap_bytes of the
 * database file (0: none). */
enum pks_rc store_tune_reader(struct store *st, size_t mmap_bytes);
/* For what may be lost in a power cut (a statistics counter): the next
 * commits of this connection do not wait for the disk (synchronous =
 * NORMAL; with WAL they stay consistent and become durable with the
 * next synced commit or checkpoint).  For a STORE_SHORT connection,
 * whose commits otherwise wait. */
enum pks_rc store_tune_lazy_commits(struct store *st);
/* STORE_SHORT: put every commit of this connection so far on disk (an
 * fdatasync of the WAL file, and of its folder when this connection
 * created the WAL); nothing when it committed nothing.  Errors:
 * PKS_ERR_IO. */
enum pks_rc store_sync(struct store *st);

/* Last SQLite error text of this connection (static until next call). */
const char *store_errmsg(struct store *st);

/* Transactions: begin takes the write lock at once (BEGIN IMMEDIATE),
 * waiting up to the busy timeout (then PKS_ERR_BUSY).  The recon prefix
 * tree nodes a transaction changes are kept in memory and written once
 * each, at commit (store_ptree.h).  After a failed
 * commit the transaction is still open: call store_rollback(), which
 * does nothing when no transaction is open. */
enum pks_rc store_begin(struct store *st);
enum pks_rc store_commit(struct store *st);
void store_rollback(struct store *st);

/* A stored key.  'data' is owned by the struct: store_key_clear(). */
struct store_key {
	int64_t id;
	uint8_t *data; /* canonical packets, SKS framing */
	size_t len;
	uint8_t hash[16]; /* SKS key hash */
	int64_t created;  /* unix time first stored */
	int64_t updated;  /* unix time of the last change */
	/* The self-signature check record (pgp_verify.h), owned; NULL
	 * when the key was stored before records were kept, and in the
	 * walk of store_key_foreach. */
	uint8_t *checks;
	size_t checks_len;
};
void store_key_clear(struct store_key *k);

/* What ingest writes for one key; everything is borrowed. */
struct store_key_rec {
	const uint8_t *data;
	size_t len;
	uint8_t hash[16];
	const struct pgp_key_info *info; /* fingerprints, key IDs, uids */
	int recon;             /* 1 if offered to recon peers (v2..v4) */
	const uint8_t *checks; /* check record of the key (pgp_verify.h) */
	size_t checks_len;
};

/* Find a key by its primary fingerprint.  PKS_ERR_NOTFOUND if absent.
 * On success the caller owns out->data (store_key_clear). */
enum pks_rc store_key_find(
    struct store *st, const uint8_t *fpr, size_t fprlen, struct store_key *out);

/* Whether a key with this primary fingerprint is stored, reading no
 * more than the fpr index: PKS_OK if so, PKS_ERR_NOTFOUND if not (a
 * length no fingerprint has included), another result on a database
 * error. */
enum pks_rc store_key_exists(
    struct store *st, const uint8_t *fpr, size_t fprlen);

/* Load a key by row id. */
enum pks_rc store_key_load(struct store *st, int64_t id, struct store_key *out);

/* The SKS hash of the key with row id and its stamp (the row's updated
 * time, which every change to what is served of the key moves on, even
 * one that leaves the hash: store_key_set_checks), without reading its
 * packets (to find a cached copy).  PKS_ERR_NOTFOUND if absent. */
enum pks_rc store_key_hash(
    struct store *st, int64_t id, uint8_t hash[16], int64_t *stamp);

/* Insert a new key (and bump today's "new" count).  Call inside a
 * transaction. */
enum pks_rc store_key_insert(
    struct store *st, const struct store_key_rec *rec, int64_t *id);

/* Replace a key's packets and indexes (and bump today's "updated").
 * The primary fingerprint stays; created is kept, updated set to now.
 * PKS_ERR_NOTFOUND if there is no row id.  Call inside a transaction. */
enum pks_rc store_key_update(
    struct store *st, int64_t id, const struct store_key_rec *rec);

/* Store the check record of a key stored before records were kept
 * (its packets, hash and indexes stay).  Call inside a transaction. */
enum pks_rc store_key_set_checks(
    struct store *st, int64_t id, const uint8_t *checks, size_t len);

/* Remove a key row and its index rows (key IDs, e-mail, words).  The
 * prefix tree is the caller's (store_ptree_key_change first).
 * PKS_ERR_NOTFOUND if there is no such row.  Call inside a transaction. */
enum pks_rc store_key_delete(struct store *st, int64_t id);

/* Keys loaded for a list of row ids; owned: store_keys_free(). */
struct store_keys {
	struct store_key *v;
	size_t n;
};

/*
 * Load the keys of ids in order, at most limit of them; rows deleted
 * since the search are skipped.  On an error what was loaded so far is
 * still in *out (free it either way).
 */
struct store_ids;
enum pks_rc store_keys_load(struct store *st, const struct store_ids *ids,
    size_t limit, struct store_keys *out);
void store_keys_free(struct store_keys *k);

/* Row ids that matched a search; caller frees with store_ids_free. */
struct store_ids {
	int64_t *v;
	size_t n;
};
void store_ids_free(struct store_ids *ids);

/*
 * Searches.  Each returns at most max+1 ids, so a caller can tell "more
 * than max" (PKS_ERR_TOOMANY is the caller's to report); no match is
 * PKS_OK with n == 0.
 *  - fpr: primary or subkey fingerprint (16, 20 or 32 bytes)
 *  - keyid: 64-bit or 32-bit ID of the key or any subkey (bits 64 or 32)
 *  - hash: SKS key hash (16 bytes)
 *  - words: every word must occur in some user ID (FTS5, case-folded)
 *  - email: exact e-mail address in a user ID, case-insensitive
 * Ids come in ascending row-id order, each once.  fpr and keyid give
 * PKS_ERR_PARSE for a bad length or bit count.
 *
 * Words are split at white space; each word is quoted as one FTS5
 * string, so FTS5 syntax in the input (AND, OR, NOT, NEAR, *, ^, :,
 * quotes, parentheses) is plain text.  FTS5's unicode61 tokenizer folds
 * case and diacritics; a word it splits (alice@example.org) matches as a
 * phrase.  The words may be spread over several user IDs of one key.
 * Words of one character, and words without a letter or digit, are left
 * out (no words left: no match); more than PKS_MAX_WORDS words or a
 * text over PKS_MAX_QUERY bytes is PKS_ERR_TOOBIG.
 *
 * A user ID's e-mail address is the text in its last "<...>", or the
 * whole user ID when that is a bare address; the searched address is
 * read the same way ("<Alice@Example.org>" works) and compared
 * lower-cased (ASCII).
 */
enum pks_rc store_search_fpr(struct store *st, const uint8_t *fpr, size_t len,
    size_t max, struct store_ids *ids);
enum pks_rc store_search_keyid(struct store *st, uint64_t keyid, int bits,
    size_t max, struct store_ids *ids);
enum pks_rc store_search_hash(struct store *st, const uint8_t hash[16],
    size_t max, struct store_ids *ids);
enum pks_rc store_search_words(
    struct store *st, const char *text, size_t max, struct store_ids *ids);
enum pks_rc store_search_email(
    struct store *st, const char *addr, size_t max, struct store_ids *ids);

/* Number of keys: read from a counter kept in the transactions that add
 * and delete keys, so the cost does not grow with the number of keys
 * (/metrics and the stats page read it); exact, not an estimate. */
enum pks_rc store_count_keys(struct store *st, int64_t *n);

/* Per-day counts of new and updated keys, newest first, at most ndays
 * rows; a day without changes has no row.  *days is owned by the
 * caller (free()). */
struct store_day {
	char day[11]; /* YYYY-MM-DD (UTC) */
	int64_t nnew;
	int64_t nupdated;
};
enum pks_rc store_stats_days(
    struct store *st, int ndays, struct store_day **days, size_t *n);

/* Call cb for every key in row-id order; a nonzero return stops the
 * walk and is passed back as PKS_ERR_INTERNAL unless it is a pks_rc.
 * k and k->data are borrowed and valid during the call only; cb may use
 * other store functions on st, but not store_key_foreach. */
typedef int (*store_key_cb)(void *arg, const struct store_key *k);
enum pks_rc store_key_foreach(struct store *st, store_key_cb cb, void *arg);

/* Small persistent settings (schema version, filters, ...).  *val is
 * owned by the caller. */
enum pks_rc store_meta_get(struct store *st, const char *name, char **val);
enum pks_rc store_meta_set(struct store *st, const char *name, const char *val);

/* Run SQLite's integrity check and our own consistency checks; problems
 * are reported through cb, one line each.  *nproblems gets the count. */
enum pks_rc store_check(struct store *st, void (*cb)(void *, const char *),
    void *arg, size_t *nproblems);

#endif
