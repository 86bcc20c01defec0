/*
 * store_counters.c: the counters table (sql/008-counters.sql): one
 * UPSERT per bump, a walk for /metrics, and the number of keys kept as
 * a counter so that /metrics and the stats page do not scan the keys.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_counters.h"
#include "store/store_int.h"
#include "store/store_txn.h"
#include "util/xalloc.h"

enum pks_rc
store_counter_add(
    struct store *st, const char *name, const char *label, int64_t n)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	if ((rc = store_stmt_get(st, STMT_COUNTER_ADD, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, label, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, n) != SQLITE_OK) {
		rc = store_fail(st, sqlite3_errcode(st->db));
		store_stmt_done(s);
		return rc;
	}
	return store_stmt_run(st, s);
}

struct bump {
	const char *name;
	const char *label;
};

static enum pks_rc
bump_one(struct store *st, void *arg)
{
	const struct bump *b = arg;

	return store_counter_add(st, b->name, b->label, 1);
}

enum pks_rc
store_counter_bump(
    struct store *st, const char *name, const char *label, int wait_ms)
{
	struct bump b = { name, label };
	enum pks_rc rc;

	store_busy_wait(st, wait_ms);
	rc = store_txn_run(st, bump_one, &b);
	store_busy_wait(st, st->busy_ms);
	return rc;
}

static void
counter_from_row(sqlite3_stmt *s, struct store_counter *c)
{
	const unsigned char *t;

	memset(c, 0, sizeof(*c));
	t = sqlite3_column_text(s, 0);
	snprintf(c->name, sizeof(c->name), "%s", t ? (const char *)t : "");
	t = sqlite3_column_text(s, 1);
	snprintf(c->label, sizeof(c->label), "%s", t ? (const char *)t : "");
	c->value = sqlite3_column_int64(s, 2);
}

enum pks_rc
store_counter_list(
    struct store *st, size_t max, struct store_counter **out, size_t *n)
{
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	enum pks_rc rc;
	int r;

	*out = NULL;
	*n = 0;
	if ((rc = store_stmt_get(st, STMT_COUNTER_LIST, &s)) != PKS_OK)
		return rc;
	r = sqlite3_bind_int64(s, 1, (int64_t)max);
	while (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 32;
			*out = xreallocarray(*out, cap, sizeof(**out));
		}
		counter_from_row(s, &(*out)[(*n)++]);
		r = SQLITE_OK;
	}
	store_stmt_done(s);
	if (r == SQLITE_DONE)
		return PKS_OK;
	free(*out);
	*out = NULL;
	*n = 0;
	return store_fail(st, r);
}

enum pks_rc
store_keys_stored_add(struct store *st, int64_t n)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	if ((rc = store_stmt_get(st, STMT_KEYS_STORED_ADD, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, n) != SQLITE_OK) {
		rc = store_fail(st, sqlite3_errcode(st->db));
		store_stmt_done(s);
		return rc;
	}
	return store_stmt_run(st, s);
}

/* Create the counter row from one scan (in a write transaction of its
 * own, so no key can be added or deleted between the scan and the row). */
static enum pks_rc
keys_stored_seed(struct store *st, void *arg)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	(void)arg;
	if ((rc = store_stmt_get(st, STMT_KEYS_STORED_SEED, &s)) != PKS_OK)
		return rc;
	return store_stmt_run(st, s);
}

/*
 * The counter, seeded from a scan the first time (a database made before
 * the counter existed).  Where it cannot be seeded (read-only, inside
 * the caller's transaction, the write lock busy) the scan's own answer
 * is returned: exact, only slower, until a writer seeds it.
 */
enum pks_rc
store_count_keys(struct store *st, int64_t *n)
{
	enum pks_rc rc = store_query_int(st, STMT_KEYS_STORED_GET, n);

	if (rc != PKS_ERR_NOTFOUND)
		return rc;
	if (st->readonly || !sqlite3_get_autocommit(st->db) ||
	    store_txn_run(st, keys_stored_seed, NULL) != PKS_OK)
		return store_query_int(st, STMT_COUNT_KEYS, n);
	return store_query_int(st, STMT_KEYS_STORED_GET, n);
}
