/*
 * store.c: the database connection: open, schema creation and
 * migration, statements, errors, transactions, settings and day counts.
 *
 * Keys and searches are in store_keys.c, search terms in store_query.c,
 * the outgoing mail queue in store_outbox.c, the consistency check in
 * store_check.c.  Every statement of the module is in the table below,
 * prepared once per connection on first use and finalized by
 * store_close().
 */
#include <config.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/store_bulk.h"
#include "store/store_int.h"
#include "store/store_issuer.h"
#include "store/store_listing.h"
#include "store/store_txn.h"
#include "store/store_words.h"
#include "store/store_wordkeys.h"
#include "util/log.h"
#include "util/xalloc.h"

/* In the searches, ?2 is always the limit (max + 1). */
static const char *const stmt_sql[STMT_COUNT] = {
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_HAS_META] = "SELECT count(*) FROM sqlite_master "
			  "WHERE type = 'table' AND name = 'meta'",
	[STMT_META_GET] = "SELECT value FROM meta WHERE name = ?1",
	[STMT_META_SET] =
	    "INSERT INTO meta(name, value) VALUES (?1, ?2) "
	    "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
	[STMT_KEY_FIND] = "SELECT id, hash, created, updated, data, checks "
			  "FROM keys WHERE fpr = ?1",
	[STMT_KEY_EXISTS] = "SELECT 1 FROM keys WHERE fpr = ?1",
	[STMT_KEY_LOAD] = "SELECT id, hash, created, updated, data, checks "
			  "FROM keys WHERE id = ?1",
	[STMT_KEY_HASH] = "SELECT hash, updated FROM keys WHERE id = ?1",
	[STMT_KEY_INSERT] =
	    "INSERT INTO keys(fpr, version, hash, recon, "
	    "algo, bits, ctime, expires, revoked, created, updated, uids, "
	    "data, checks) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	    "?10, ?11, ?12, ?13)",
	[STMT_KEY_UPDATE] =
	    "UPDATE keys SET version = ?2, hash = ?3, "
	    "recon = ?4, algo = ?5, bits = ?6, ctime = ?7, expires = ?8, "
	    "revoked = ?9, updated = ?10, uids = ?11, data = ?12, "
	    "checks = ?13 WHERE id = ?1",
	[STMT_KEY_SET_UIDS] = "UPDATE keys SET uids = ?2 WHERE id = ?1",
	[STMT_KEYIDS_DELETE] = "DELETE FROM keyids WHERE key_id = ?1",
	[STMT_KEYIDS_INSERT] = "INSERT OR IGNORE INTO keyids(key_id, fpr, "
			       "keyid64, keyid32) VALUES (?1, ?2, ?3, ?4)",
	[STMT_EMAILS_DELETE] = "DELETE FROM emails WHERE key_id = ?1",
	[STMT_EMAILS_INSERT] = "INSERT OR IGNORE INTO emails(key_id, email) "
			       "VALUES (?1, ?2)",
	[STMT_DAY_NEW] = "INSERT INTO stats_days(day, nnew) VALUES (?1, 1) "
			 "ON CONFLICT(day) DO UPDATE SET nnew = nnew + 1",
	[STMT_DAY_UPDATED] =
	    "INSERT INTO stats_days(day, nupdated) "
	    "VALUES (?1, 1) "
	    "ON CONFLICT(day) DO UPDATE SET nupdated = nupdated + 1",
	[STMT_SEARCH_FPR] = "SELECT DISTINCT key_id FROM keyids "
			    "WHERE fpr = ?1 ORDER BY key_id LIMIT ?2",
	[STMT_SEARCH_KEYID64] = "SELECT DISTINCT key_id FROM keyids "
				"WHERE keyid64 = ?1 ORDER BY key_id LIMIT ?2",
	[STMT_SEARCH_KEYID32] = "SELECT DISTINCT key_id FROM keyids "
				"WHERE keyid32 = ?1 ORDER BY key_id LIMIT ?2",
	[STMT_SEARCH_HASH] = "SELECT id FROM keys WHERE hash = ?1 "
			     "ORDER BY id LIMIT ?2",
	[STMT_SEARCH_WORDS] =
	    "SELECT rowid FROM key_words "
	    "WHERE key_words MATCH ?1 ORDER BY rowid LIMIT ?2",
	[STMT_SEARCH_EMAIL] = "SELECT DISTINCT key_id FROM emails "
			      "WHERE email = ?1 ORDER BY key_id LIMIT ?2",
	[STMT_COUNT_KEYS] = "SELECT count(*) FROM keys",
	[STMT_DAYS] = "SELECT day, nnew, nupdated FROM stats_days "
		      "ORDER BY day DESC LIMIT ?1",
	[STMT_FOREACH] = "SELECT id, hash, created, updated, data "
			 "FROM keys ORDER BY id",
	[STMT_CHECK_INTEGRITY] = "PRAGMA integrity_check(100)",
	[STMT_CHECK_FOREIGN] = "PRAGMA foreign_key_check",
	[STMT_CHECK_NO_KEYID] =
	    "SELECT id FROM keys WHERE NOT EXISTS "
	    "(SELECT 1 FROM keyids WHERE key_id = keys.id AND "
	    "keyids.fpr = keys.fpr) ORDER BY id",
	[STMT_CHECK_HASH] = "SELECT id FROM keys WHERE typeof(hash) <> "
			    "'blob' OR length(hash) <> 16 ORDER BY id",
	[STMT_CHECK_FPR] =
	    "SELECT id FROM keys WHERE typeof(fpr) <> "
	    "'blob' OR length(fpr) NOT IN (16, 20, 32) ORDER BY id",
	[STMT_CHECK_DUP_HASH] = "SELECT hex(hash), count(*) FROM keys "
				"GROUP BY hash HAVING count(*) > 1",
	[STMT_CHECK_OUTBOX] =
	    "SELECT id, kind, state FROM outbox WHERE recipient = '' OR "
	    "coalesce((SELECT length(body) FROM outbox_body b "
	    "WHERE b.id = outbox.id), 0) = 0 OR "
	    "(kind = 'incremental') != (sent IS NOT NULL) "
	    "OR (state = 'failed' AND lease_owner IS NOT NULL) OR tries < 0 "
	    "OR created <= 0 OR next_try < 0",
	[STMT_OUTBOX_INCR_ALL] = "SELECT o.id, b.body FROM outbox o "
				 "JOIN outbox_body b ON b.id = o.id "
				 "WHERE o.kind = 'incremental' ORDER BY o.id",
	[STMT_CHECK_WORDS] = "INSERT INTO key_words(key_words, rank) "
			     "VALUES ('integrity-check', 1)",
	[STMT_SEARCH_UPDATED] = "SELECT id FROM keys WHERE updated >= ?1 "
				"ORDER BY updated DESC, id LIMIT ?2",
	[STMT_OUTBOX_ADD] =
	    "INSERT INTO outbox(kind, recipient, "
	    "created, next_try, sent) VALUES (?1, ?2, ?3, ?3, ?4)",
	[STMT_OUTBOX_ADD_BODY] = "INSERT INTO outbox_body(id, body) "
				 "VALUES (?1, ?2)",
	[STMT_REPLY_LOG] = "INSERT INTO mail_replies(recipient, created) "
			   "VALUES (?1, ?2)",
	[STMT_REPLY_PRUNE] = "DELETE FROM mail_replies WHERE created < ?1",
	[STMT_REPLY_COUNT] = "SELECT count(*) FROM mail_replies "
			     "WHERE recipient = ?1 AND created >= ?2",
	[STMT_REPLY_COUNT_ALL] = "SELECT count(*) FROM mail_replies "
				 "WHERE created >= ?2",
	/* The recon prefix tree and peer status (store_ptree.c). */
	[STMT_BEGIN_READ] = "BEGIN DEFERRED",
	[STMT_PTREE_GET] = "SELECT size, leaf, samples, elems "
			   "FROM ptree_nodes WHERE prefix = ?1",
	[STMT_PTREE_PUT] = "INSERT OR REPLACE INTO ptree_nodes(prefix, size, "
			   "leaf, samples, elems) VALUES (?1, ?2, ?3, ?4, ?5)",
	[STMT_PTREE_DEL] = "DELETE FROM ptree_nodes WHERE prefix = ?1",
	[STMT_PTREE_CLEAR] = "DELETE FROM ptree_nodes",
	[STMT_PTREE_HASHES] = "SELECT hash FROM keys NOT INDEXED WHERE "
			      "recon = 1",
	[STMT_PTREE_OLD] = "SELECT hash, recon FROM keys WHERE id = ?1",
	[STMT_PTREE_USED] = "SELECT count(*) FROM keys "
			    "WHERE hash = ?1 AND recon = 1 AND id <> ?2",
	[STMT_PEER_SET] =
	    "INSERT INTO recon_peers(peer, last, result, "
	    "keys_in, keys_out, fetched, sessions) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1) ON CONFLICT(peer) DO UPDATE "
	    "SET last = excluded.last, result = excluded.result, "
	    "keys_in = excluded.keys_in, keys_out = excluded.keys_out, "
	    "fetched = excluded.fetched, sessions = sessions + 1",
	[STMT_PEER_LIST] = "SELECT peer, last, result, keys_in, keys_out, "
			   "fetched, sessions FROM recon_peers ORDER BY peer",
	/* The outgoing mail queue (store_outbox.c). */
	[STMT_OUTBOX_EXPIRE] =
	    "UPDATE outbox SET state = 'failed', "
	    "last_error = 'gave up after ' || tries || ' tries' || "
	    "coalesce(': ' || last_error, '') WHERE state = 'queued' AND "
	    "next_try <= ?2 AND lease_until <= ?2 AND created < ?1",
	[STMT_OUTBOX_DUE] = "SELECT id, kind, recipient, sent, created, tries "
			    "FROM outbox WHERE state = 'queued' AND "
			    "next_try <= ?1 AND lease_until <= ?3 "
			    "ORDER BY recipient, kind, sent, id LIMIT ?2",
	[STMT_OUTBOX_BODY] = "SELECT body FROM outbox_body WHERE id = ?1",
	[STMT_OUTBOX_LEASE] = "UPDATE outbox SET lease_owner = ?2, "
			      "lease_until = ?3 WHERE id = ?1",
	[STMT_OUTBOX_DELETE] = "DELETE FROM outbox "
			       "WHERE id = ?1 AND lease_owner = ?2",
	[STMT_OUTBOX_RETRY] =
	    "UPDATE outbox SET "
	    "next_try = ?3 + min(?4 << min(tries, 30), ?5), "
	    "tries = tries + 1, last_error = ?6, lease_owner = NULL, "
	    "lease_until = 0 WHERE id = ?1 AND lease_owner = ?2",
	[STMT_OUTBOX_FAIL] =
	    "UPDATE outbox SET state = 'failed', "
	    "tries = tries + 1, last_error = ?3, lease_owner = NULL, "
	    "lease_until = 0 WHERE id = ?1 AND lease_owner = ?2",
	[STMT_OUTBOX_PEERS] =
	    "SELECT recipient, "
	    "sum(state = 'queued'), sum(state = 'failed') FROM outbox "
	    "WHERE kind = 'incremental' GROUP BY recipient ORDER BY recipient",
	[STMT_OUTBOX_DELIVERED] =
	    "INSERT INTO outbox_delivered(recipient, last_sent) "
	    "SELECT lower(recipient), ?3 FROM outbox WHERE id = ?1 AND "
	    "lease_owner = ?2 AND kind = 'incremental' "
	    "ON CONFLICT(recipient) DO UPDATE SET last_sent = "
	    "max(last_sent, excluded.last_sent)",
	[STMT_OUTBOX_DELIVERED_LIST] =
	    "SELECT recipient, last_sent FROM outbox_delivered "
	    "ORDER BY recipient",
	[STMT_OUTBOX_TOTALS] =
	    "SELECT "
	    "sum(kind = 'incremental' AND state = 'queued'), "
	    "sum(kind = 'incremental' AND state = 'failed'), "
	    "sum(kind = 'reply' AND state = 'queued'), "
	    "sum(kind = 'reply' AND state = 'failed'), "
	    "min(CASE WHEN state = 'queued' THEN created END) FROM outbox",
	[STMT_OUTBOX_FAILED] =
	    "SELECT id, kind, recipient, created, tries, "
	    "coalesce(last_error, '') FROM outbox WHERE state = 'failed' "
	    "ORDER BY id LIMIT ?1",
	[STMT_REFUSED_ADD] =
	    "INSERT INTO refused(hash, fpr, reason, source, first, last) "
	    "VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT(hash) DO UPDATE "
	    "SET reason = excluded.reason, source = excluded.source, "
	    "last = excluded.last, count = count + 1",
	[STMT_REFUSED_HAS] = "SELECT 1 FROM refused WHERE hash = ?1",
	[STMT_REFUSED_LIST] = "SELECT hex(hash), hex(fpr), reason, source, "
			      "first, last, count FROM refused "
			      "ORDER BY last DESC LIMIT ?1",
	[STMT_REFUSED_COUNT] = "SELECT count(*) FROM refused",
	/* The served form may change with the record: updated moves on,
	 * by a second at least (store_key_hash's stamp). */
	[STMT_KEY_SET_CHECKS] = "UPDATE keys SET checks = ?2, "
				"updated = max(updated + 1, ?3) WHERE id = ?1",
	/* Keys stored with a format 1 record (PGP_CHECKS_FORMAT_MATCHED)
	 * large enough to hold a flooded user ID. */
	[STMT_ISSUER_UNVERIFIED] = "SELECT id FROM keys WHERE "
				   "substr(checks, 1, 1) = x'01' AND "
				   "length(data) > ?1 ORDER BY id LIMIT ?2",
	[STMT_WAIT_ANY] = "SELECT EXISTS (SELECT 1 FROM issuer_waits)",
	[STMT_WAIT_ADD] = "INSERT OR IGNORE INTO issuer_waits(keyid, key_id) "
			  "VALUES (?1, ?2)",
	[STMT_WAIT_CLEAR] = "DELETE FROM issuer_waits WHERE key_id = ?1",
	[STMT_WAIT_FIND] = "SELECT DISTINCT key_id FROM issuer_waits WHERE "
			   "keyid IN (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
			   "ORDER BY key_id LIMIT ?9",
	/* STORE_ISSUER_BATCH (store_issuer.h) values in one statement. */
	[STMT_ISSUER_FPRS] = "SELECT fpr FROM keyids WHERE fpr IN "
			     "(" STORE_ISSUER_PARAMS ")",
	[STMT_ISSUER_KEYIDS] = "SELECT keyid64 FROM keyids WHERE keyid64 IN "
			       "(" STORE_ISSUER_PARAMS ")",
	[STMT_REFUSED_FORGET] = "DELETE FROM refused WHERE fpr = ?1",
	[STMT_KEY_DELETE] = "DELETE FROM keys WHERE id = ?1",
	[STMT_TOMB_ADD] = "INSERT INTO tombstones(fpr, created, reason) "
			  "VALUES (?1, ?2, ?3) ON CONFLICT(fpr) DO UPDATE "
			  "SET created = excluded.created, "
			  "reason = excluded.reason",
	[STMT_TOMB_GET] = "SELECT reason FROM tombstones WHERE fpr = ?1",
	/* A key ID is the fingerprint's last 8 (v4) or first 8 (v5, v6)
	 * bytes; ?2 is 1 for a 32-bit ID (its last 4 of those). */
	[STMT_TOMB_KEYID] =
	    "SELECT reason FROM tombstones WHERE CASE WHEN ?2 THEN "
	    "substr(CASE WHEN length(fpr) = 20 THEN substr(fpr, 13, 8) "
	    "ELSE substr(fpr, 1, 8) END, 5, 4) ELSE "
	    "CASE WHEN length(fpr) = 20 THEN substr(fpr, 13, 8) "
	    "ELSE substr(fpr, 1, 8) END END = ?1 LIMIT 1",
	[STMT_TOMB_DEL] = "DELETE FROM tombstones WHERE fpr = ?1",
	[STMT_TOMB_LIST] = "SELECT hex(fpr), created, reason FROM tombstones "
			   "ORDER BY created, fpr",
	/* Persistent counters (store_counters.c). */
	[STMT_COUNTER_ADD] =
	    "INSERT INTO counters(name, label, value) VALUES (?1, ?2, ?3) "
	    "ON CONFLICT(name, label) DO UPDATE SET value = value + ?3",
	[STMT_COUNTER_LIST] = "SELECT name, label, value FROM counters "
			      "ORDER BY name, label LIMIT ?1",
	/* The number of key rows (store_counters.c: store_count_keys). */
	[STMT_KEYS_STORED_GET] = "SELECT value FROM counters "
				 "WHERE name = 'keys_stored' AND label = ''",
	[STMT_KEYS_STORED_ADD] = "UPDATE counters SET value = value + ?1 "
				 "WHERE name = 'keys_stored' AND label = ''",
	[STMT_KEYS_STORED_SEED] =
	    "INSERT OR IGNORE INTO counters(name, label, value) "
	    "SELECT 'keys_stored', '', count(*) FROM keys",
	/* The highest key row id (store_wordkeys.c: filling by ranges). */
	[STMT_KEYS_MAX_ID] = "SELECT coalesce(max(id), 0) FROM keys",
	/* Listing facts (store_listing.c). */
	[STMT_LISTING_PUT] = "INSERT OR REPLACE INTO key_listings(id, listing) "
			     "VALUES (?1, ?2)",
	[STMT_LISTING_GET] = "SELECT listing FROM key_listings WHERE id = ?1",
	[STMT_LISTING_MISSING] =
	    "SELECT id FROM keys WHERE NOT EXISTS (SELECT 1 FROM "
	    "key_listings l WHERE l.id = keys.id) ORDER BY id LIMIT ?2",
	[STMT_CHECK_LISTING] = "SELECT id FROM keys WHERE NOT EXISTS (SELECT "
			       "1 FROM key_listings l WHERE l.id = keys.id) "
			       "ORDER BY id",
	/* A word search with the listing facts of each key found
	 * (NULL: none stored), in one statement. */
	[STMT_LISTING_WORDS] =
	    "SELECT w.rowid, l.listing FROM key_words w LEFT JOIN "
	    "key_listings l ON l.id = w.rowid WHERE w.key_words MATCH ?1 "
	    "ORDER BY w.rowid LIMIT ?2",
	/* A fingerprint search with each key's SKS hash (op=get); a key
	 * is there once a fingerprint (the primary key of keyids), in
	 * the order of the index, so no temporary b-tree is needed. */
	[STMT_SEARCH_FPR_HASH] =
	    "SELECT k.id, k.hash, k.updated FROM keyids i JOIN keys k ON "
	    "k.id = i.key_id WHERE i.fpr = ?1 ORDER BY i.key_id LIMIT ?2",
	/* Another connection committed: store_changed. */
	[STMT_DATA_VERSION] = "PRAGMA data_version",
};

enum pks_rc
store_fail(struct store *st, int sqlrc)
{
	const char *m;

	m = st->db != NULL ? sqlite3_errmsg(st->db) : sqlite3_errstr(sqlrc);
	snprintf(st->msg, sizeof(st->msg), "%s", m);
	switch (sqlrc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return PKS_ERR_BUSY;
	case SQLITE_FULL:
		return PKS_ERR_FULL;
	case SQLITE_IOERR:
		return PKS_ERR_IO;
	case SQLITE_NOMEM:
		return PKS_ERR_NOMEM;
	default:
		return PKS_ERR_DB;
	}
}

enum pks_rc
store_fail_msg(struct store *st, enum pks_rc rc, const char *msg)
{
	snprintf(st->msg, sizeof(st->msg), "%s", msg);
	return rc;
}

const char *
store_errmsg(struct store *st)
{
	return st->msg[0] != '\0' ? st->msg : "no error";
}

enum pks_rc
store_stmt_get(struct store *st, enum store_stmt which, sqlite3_stmt **out)
{
	int rc;

	if (st->stmt[which] == NULL) {
		rc = sqlite3_prepare_v3(st->db, stmt_sql[which], -1,
		    SQLITE_PREPARE_PERSISTENT, &st->stmt[which], NULL);
		if (rc != SQLITE_OK) {
			st->stmt[which] = NULL;
			return store_fail(st, rc);
		}
	}
	*out = st->stmt[which];
	return PKS_OK;
}

void
store_stmt_done(sqlite3_stmt *stmt)
{
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
}

enum pks_rc
store_stmt_blob(struct store *st, enum store_stmt which, const void *blob,
    size_t len, sqlite3_stmt **out)
{
	enum pks_rc rc;

	if ((rc = store_stmt_get(st, which, out)) != PKS_OK)
		return rc;
	if (sqlite3_bind_blob(*out, 1, blob, (int)len, SQLITE_STATIC) ==
	    SQLITE_OK)
		return PKS_OK;
	store_stmt_done(*out);
	return store_fail(st, sqlite3_errcode(st->db));
}

int
store_fpr_len_ok(size_t len)
{
	return len == 16 || len == 20 || len == 32;
}

enum pks_rc
store_stmt_fpr(struct store *st, enum store_stmt which, const uint8_t *fpr,
    size_t len, sqlite3_stmt **out)
{
	if (!store_fpr_len_ok(len))
		return PKS_ERR_NOTFOUND;
	return store_stmt_blob(st, which, fpr, len, out);
}

enum pks_rc
store_stmt_run(struct store *st, sqlite3_stmt *stmt)
{
	int rc;

	do {
		rc = sqlite3_step(stmt);
	} while (rc == SQLITE_ROW);
	store_stmt_done(stmt);
	return rc == SQLITE_DONE ? PKS_OK : store_fail(st, rc);
}

enum pks_rc
store_stmt_ids(
    struct store *st, sqlite3_stmt *stmt, size_t max, struct store_ids *ids)
{
	size_t cap = 0;
	int rc;

	ids->v = NULL;
	ids->n = 0;
	/* LIMIT -1 is no limit. */
	rc = sqlite3_bind_int64(
	    stmt, 2, max >= (size_t)INT64_MAX - 1 ? -1 : (int64_t)max + 1);
	while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (ids->n == cap) {
			cap = cap ? 2 * cap : 16;
			ids->v = xreallocarray(ids->v, cap, sizeof(*ids->v));
		}
		ids->v[ids->n++] = sqlite3_column_int64(stmt, 0);
		rc = SQLITE_OK;
	}
	store_stmt_done(stmt);
	if (rc == SQLITE_DONE)
		return PKS_OK;
	store_ids_free(ids);
	return store_fail(st, rc);
}

void
store_ids_free(struct store_ids *ids)
{
	free(ids->v);
	ids->v = NULL;
	ids->n = 0;
}

int64_t
store_u64_to_i64(uint64_t v)
{
	/* Two's complement without relying on an out-of-range cast. */
	if (v <= (uint64_t)INT64_MAX)
		return (int64_t)v;
	return -(int64_t)(~v) - 1;
}

/* Run one statement that may return rows, dropping them. */
static enum pks_rc
run_stmt(struct store *st, enum store_stmt which)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	if ((rc = store_stmt_get(st, which, &s)) != PKS_OK)
		return rc;
	return store_stmt_run(st, s);
}

enum pks_rc
store_begin(struct store *st)
{
	enum pks_rc rc = run_stmt(st, STMT_BEGIN);

	/* The transaction owns the tree node cache: written at commit,
	 * forgotten at rollback. */
	if (rc == PKS_OK)
		store_ptree_cache_begin(st);
	st->waits_none = 0;
	return rc;
}

enum pks_rc
store_commit(struct store *st)
{
	enum pks_rc rc = store_words_end(st);

	if (rc == PKS_OK)
		rc = store_ptree_cache_flush(st);
	return rc != PKS_OK ? rc : run_stmt(st, STMT_COMMIT);
}

void
store_rollback(struct store *st)
{
	store_ptree_cache_drop(st);
	store_words_forget(st);
	/* A failed statement may already have ended the transaction. */
	if (!sqlite3_get_autocommit(st->db))
		(void)run_stmt(st, STMT_ROLLBACK);
}

enum pks_rc
store_meta_get(struct store *st, const char *name, char **val)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	int r;

	*val = NULL;
	if ((rc = store_stmt_get(st, STMT_META_GET, &s)) != PKS_OK)
		return rc;
	r = sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (r == SQLITE_OK)
		r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		*val = xstrdup((const char *)sqlite3_column_text(s, 0));
		rc = PKS_OK;
	} else if (r == SQLITE_DONE) {
		rc = PKS_ERR_NOTFOUND;
	} else {
		rc = store_fail(st, r);
	}
	store_stmt_done(s);
	return rc;
}

enum pks_rc
store_meta_set(struct store *st, const char *name, const char *val)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	if ((rc = store_stmt_get(st, STMT_META_SET, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, val, -1, SQLITE_STATIC) != SQLITE_OK) {
		rc = store_fail(st, sqlite3_errcode(st->db));
		store_stmt_done(s);
		return rc;
	}
	return store_stmt_run(st, s);
}

enum pks_rc
store_query_int(struct store *st, enum store_stmt which, int64_t *n)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	int r;

	if ((rc = store_stmt_get(st, which, &s)) != PKS_OK)
		return rc;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	store_stmt_done(s);
	if (r == SQLITE_DONE)
		return PKS_ERR_NOTFOUND;
	return r == SQLITE_ROW ? PKS_OK : store_fail(st, r);
}

enum pks_rc
store_stats_days(
    struct store *st, int ndays, struct store_day **days, size_t *n)
{
	sqlite3_stmt *s = NULL;
	struct store_day *d;
	size_t cap = 0;
	enum pks_rc rc;
	int r;

	*days = NULL;
	*n = 0;
	if (ndays <= 0)
		return PKS_OK;
	if ((rc = store_stmt_get(st, STMT_DAYS, &s)) != PKS_OK)
		return rc;
	r = sqlite3_bind_int(s, 1, ndays);
	while (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 32;
			*days = xreallocarray(*days, cap, sizeof(**days));
		}
		d = &(*days)[(*n)++];
		memset(d, 0, sizeof(*d));
		snprintf(d->day, sizeof(d->day), "%s",
		    (const char *)sqlite3_column_text(s, 0));
		d->nnew = sqlite3_column_int64(s, 1);
		d->nupdated = sqlite3_column_int64(s, 2);
		r = SQLITE_OK;
	}
	store_stmt_done(s);
	if (r == SQLITE_DONE)
		return PKS_OK;
	free(*days);
	*days = NULL;
	*n = 0;
	return store_fail(st, r);
}

/* Schema version of the open database; 0 when it has no schema yet. */
static enum pks_rc
schema_version(struct store *st, int *version)
{
	char *val = NULL, *end;
	int64_t has = 0;
	long v;
	enum pks_rc rc;

	*version = 0;
	if ((rc = store_query_int(st, STMT_HAS_META, &has)) != PKS_OK || !has)
		return rc;
	rc = store_meta_get(st, "schema_version", &val);
	if (rc == PKS_ERR_NOTFOUND)
		return store_fail_msg(
		    st, PKS_ERR_DB, "database has no schema_version");
	if (rc != PKS_OK)
		return rc;
	v = strtol(val, &end, 10);
	if (end == val || *end != '\0' || v < 1 || v > 1000000)
		rc = store_fail_msg(st, PKS_ERR_DB, "bad schema_version");
	else
		*version = (int)v;
	free(val);
	return rc;
}

/* Run a script of several statements (schema or migration). */
static enum pks_rc
run_script(struct store *st, const char *sql)
{
	int r;

	r = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	return r == SQLITE_OK ? PKS_OK : store_fail(st, r);
}

/* Bring a database at 'from' up to store_sql_version. */
static enum pks_rc
migrate(struct store *st, int from)
{
	const struct store_migration *m;
	char val[16];
	enum pks_rc rc;
	int v;
	size_t i;

	for (v = from + 1; v <= store_sql_version; v++) {
		m = NULL;
		for (i = 0; i < store_sql_nmigrations; i++)
			if (store_sql_migrations[i].version == v)
				m = &store_sql_migrations[i];
		if (m == NULL)
			return store_fail_msg(st, PKS_ERR_DB,
			    "no migration to this schema version");
		log_info("database: applying migration %s", m->name);
		if ((rc = run_script(st, m->sql)) != PKS_OK)
			return rc;
		snprintf(val, sizeof(val), "%d", v);
		if ((rc = store_meta_set(st, "schema_version", val)) != PKS_OK)
			return rc;
	}
	return PKS_OK;
}

/* Create or upgrade the schema (under the write lock: store_txn_run). */
static enum pks_rc
schema_create(struct store *st, void *arg)
{
	enum pks_rc rc;
	int v;

	(void)arg;
	rc = schema_version(st, &v);
	if (rc == PKS_OK && v == 0) {
		rc = run_script(st, store_sql_schema);
		if (rc == PKS_OK)
			rc = schema_version(st, &v);
		if (rc == PKS_OK && v != store_sql_version)
			rc = store_fail_msg(st, PKS_ERR_INTERNAL,
			    "schema.sql and the migrations disagree on the "
			    "schema version");
	} else if (rc == PKS_OK && v < store_sql_version) {
		rc = migrate(st, v);
		/* Before the fill: a key without facts is listed anew. */
		if (rc == PKS_OK && v < STORE_RELIST_SCHEMA)
			rc = store_listings_relist(st);
		if (rc == PKS_OK)
			rc = store_listings_fill(st);
		if (rc == PKS_OK && v < STORE_ISSUER_SCHEMA)
			rc = store_issuers_fill(st);
		if (rc == PKS_OK && v < STORE_WORDKEYS_SCHEMA)
			rc = store_wordkeys_fill(st);
	}
	return rc;
}

/* Check (and with 'create', make) the schema this binary expects. */
static enum pks_rc
schema_ready(struct store *st, int create)
{
	enum pks_rc rc;
	int v;

	if ((rc = schema_version(st, &v)) != PKS_OK)
		return rc;
	/* Take the write lock only when there is something to do. */
	if (create && v < store_sql_version) {
		if ((rc = store_txn_run(st, schema_create, NULL)) != PKS_OK)
			return rc;
		if ((rc = schema_version(st, &v)) != PKS_OK)
			return rc;
	}
	if (v == 0)
		return store_fail_msg(st, PKS_ERR_DB,
		    "no pksync schema in this database (run pksync init)");
	if (v > store_sql_version)
		return store_fail_msg(st, PKS_ERR_DB,
		    "database schema is newer than this pksync");
	if (v < store_sql_version)
		return store_fail_msg(st, PKS_ERR_DB,
		    "database schema is older than this pksync "
		    "(run pksync init to upgrade it)");
	return PKS_OK;
}

/* WAL pages after which a STORE_SHORT connection checkpoints the WAL
 * and cuts it to nothing as it closes (store_close). */
#define SHORT_WAL_PAGES 256

/* STORE_SHORT, in place of wal_autocheckpoint: note the WAL's length
 * after each commit; store_close checkpoints. */
static int
short_wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store *st = arg;

	(void)db;
	(void)name;
	st->wal_frames = frames;
	st->committed = 1;
	return SQLITE_OK;
}

/* The WAL file's name; NULL for a database not in a file. */
static const char *
store_wal_name(struct store *st)
{
	const char *db = sqlite3_db_filename(st->db, "main");

	return db != NULL && db[0] != '\0' ? sqlite3_filename_wal(db) : NULL;
}

/* Connection settings: WAL, NORMAL sync (safe with WAL), foreign keys;
 * STORE_SHORT: see store.h. */
static enum pks_rc
configure(struct store *st, int flags)
{
	enum pks_rc rc;

	if ((flags & STORE_SHORT) && !st->readonly) {
		/* Before the WAL is opened: does this connection create it? */
		st->wal_new = store_wal_name(st) != NULL &&
			      access(store_wal_name(st), F_OK) != 0;
		if (sqlite3_db_config(st->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
			1, NULL) != SQLITE_OK)
			return store_fail_msg(
			    st, PKS_ERR_DB, "cannot turn checkpoints off");
		sqlite3_wal_hook(st->db, short_wal_hook, st);
	}
	if (!st->readonly &&
	    (rc = run_script(st, "PRAGMA journal_mode = WAL")) != PKS_OK)
		return rc;
	return run_script(st,
	    "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
	    "PRAGMA cache_size = -16384");
}

/* fdatasync (fsync for a folder) the file at path. */
static enum pks_rc
sync_path(struct store *st, const char *path, int folder)
{
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | (folder ? O_DIRECTORY : 0));
	if (fd < 0)
		return store_fail_msg(st, PKS_ERR_IO, "cannot open the WAL");
	r = folder ? fsync(fd) : fdatasync(fd);
	close(fd);
	return r == 0 ? PKS_OK
		      : store_fail_msg(st, PKS_ERR_IO, "cannot sync the WAL");
}

enum pks_rc
store_sync(struct store *st)
{
	const char *wal;
	char *dir, *slash;
	enum pks_rc rc;

	if (st == NULL || !st->committed || store_wal_name(st) == NULL)
		return PKS_OK;
	/* With synchronous = NORMAL the commits are whole in the WAL file
	 * (written, not synced); syncing the file from another descriptor
	 * puts them on disk.  A WAL this connection created needs its
	 * folder entry on disk too. */
	wal = store_wal_name(st);
	if ((rc = sync_path(st, wal, 0)) != PKS_OK)
		return rc;
	if (st->wal_new) {
		dir = xstrdup(wal);
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else if (slash != NULL)
			*slash = '\0';
		rc = sync_path(st, slash != NULL ? dir : ".", 1);
		free(dir);
		if (rc != PKS_OK)
			return rc;
		st->wal_new = 0;
	}
	st->committed = 0;
	return PKS_OK;
}

enum pks_rc
store_tune_bulk(struct store *st, size_t cache_bytes)
{
	char sql[128];

	/* A bulk import touches index pages all over the file: keep them
	 * in memory, and checkpoint the WAL less often.  Statement
	 * journals (a key insert fires the FTS trigger) stay in memory:
	 * on disk they cost two writes per page, 6 a key. */
	snprintf(sql, sizeof(sql),
	    "PRAGMA cache_size = -%zu; PRAGMA wal_autocheckpoint = 20000; "
	    "PRAGMA temp_store = MEMORY",
	    cache_bytes / 1024 > 1024 ? cache_bytes / 1024 : (size_t)1024);
	return run_script(st, sql);
}

enum pks_rc
store_tune_lazy_commits(struct store *st)
{
	return run_script(st, "PRAGMA synchronous = NORMAL");
}

enum pks_rc
store_tune_reader(struct store *st, size_t mmap_bytes)
{
	char sql[64];

	/* Lookups read pages all over the file: map them (one copy in the
	 * page cache for every connection) instead of reading each. */
	snprintf(sql, sizeof(sql), "PRAGMA mmap_size = %zu", mmap_bytes);
	return run_script(st, sql);
}

/* Poll a busy lock this often (microseconds) for its first
 * BUSY_FAST_MS, then every BUSY_SLOW_US. */
#define BUSY_FAST_US 500
#define BUSY_FAST_MS 100
#define BUSY_SLOW_US 2000

/*
 * Waiting for a lock another connection holds.  SQLite's own handler
 * (sqlite3_busy_timeout) sleeps 1, 2, 5, 10, 15, 20, 25 ... 100 ms in
 * turn: a writer that finds the lock taken for 3 ms sleeps 8 ms, and
 * mail-filters the MTA runs side by side, whose write transactions
 * take a few milliseconds each, spent more time asleep than working.
 * This one looks again every BUSY_FAST_US at first, every BUSY_SLOW_US
 * after BUSY_FAST_MS, and gives up after busy_wait_ms in all.
 */
static int
busy_handler(void *arg, int count)
{
	struct store *st = arg;
	struct timespec now, nap;
	int64_t waited_us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (count == 0)
		st->busy_since = now;
	waited_us = (int64_t)(now.tv_sec - st->busy_since.tv_sec) * 1000000 +
		    (now.tv_nsec - st->busy_since.tv_nsec) / 1000;
	if (waited_us >= (int64_t)st->busy_wait_ms * 1000)
		return 0;
	nap.tv_sec = 0;
	nap.tv_nsec =
	    (waited_us < BUSY_FAST_MS * 1000 ? BUSY_FAST_US : BUSY_SLOW_US) *
	    1000L;
	nanosleep(&nap, NULL);
	return 1;
}

void
store_busy_wait(struct store *st, int ms)
{
	st->busy_wait_ms = ms > 0 ? ms : 0;
}

enum pks_rc
store_open(const char *path, int flags, int busy_ms, struct store **out)
{
	struct store *st;
	enum pks_rc rc;
	int oflags, r;

	*out = NULL;
	st = xcalloc(1, sizeof(*st));
	st->readonly = (flags & STORE_READONLY) != 0;
	if (st->readonly)
		oflags = SQLITE_OPEN_READONLY;
	else if (flags & STORE_CREATE)
		oflags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	else
		oflags = SQLITE_OPEN_READWRITE;
	/* The connection is never shared between threads. */
	oflags |= SQLITE_OPEN_NOMUTEX;
	r = sqlite3_open_v2(path, &st->db, oflags, NULL);
	if (r != SQLITE_OK) {
		rc = store_fail(st, r);
		goto out;
	}
	sqlite3_extended_result_codes(st->db, 1);
	st->busy_ms = busy_ms > 0 ? busy_ms : 0;
	sqlite3_busy_handler(st->db, busy_handler, st);
	store_busy_wait(st, st->busy_ms);
	if ((rc = configure(st, flags)) != PKS_OK)
		goto out;
	rc = schema_ready(st, !st->readonly && (flags & STORE_CREATE));
	if (rc == PKS_OK && !(flags & STORE_BULK))
		rc = store_bulk_refuse(st, flags);
out:
	if (rc != PKS_OK) {
		log_warnx("database %s: %s", path, store_errmsg(st));
		store_close(st);
		return rc;
	}
	*out = st;
	return PKS_OK;
}

void
store_close(struct store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	store_wordkeys_close(st);
	store_words_forget(st);
	store_bulk_release(st);
	/* A STORE_SHORT connection leaves the WAL to the next one; once it
	 * is long, checkpoint it and cut it to nothing.  Otherwise the next
	 * process that opens the database alone rebuilds the WAL index
	 * from the whole WAL, and an index rebuilt so counts every frame
	 * as not yet copied: the WAL is never reused and grows without
	 * bound (12 MB after a thousand mails), each process reading all
	 * of it.  No waiting: while other connections read or write, this
	 * copies what it can (as a PASSIVE checkpoint) and a later close
	 * cuts the WAL. */
	if (st->wal_frames >= SHORT_WAL_PAGES) {
		store_busy_wait(st, 0);
		(void)sqlite3_wal_checkpoint_v2(
		    st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	}
	sqlite3_close(st->db);
	free(st);
}
