/*
 * store_refused.c: the table of refused SKS hashes (store_refused.h).
 */
#include <config.h>

#include <string.h>
#include <time.h>

#include "store/store_int.h"
#include "store/store_refused.h"

enum pks_rc
store_refused_add(struct store *st, const uint8_t hash[16], const uint8_t *fpr,
    size_t fprlen, const char *reason, const char *source)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	int bad = 0;

	if ((rc = store_stmt_get(st, STMT_REFUSED_ADD, &s)) != PKS_OK)
		return rc;
	bad |= sqlite3_bind_blob(s, 1, hash, 16, SQLITE_STATIC) != SQLITE_OK;
	if (fpr != NULL && fprlen > 0)
		bad |= sqlite3_bind_blob(
			   s, 2, fpr, (int)fprlen, SQLITE_STATIC) != SQLITE_OK;
	else
		bad |= sqlite3_bind_null(s, 2) != SQLITE_OK;
	bad |=
	    sqlite3_bind_text(s, 3, reason, -1, SQLITE_TRANSIENT) != SQLITE_OK;
	bad |=
	    sqlite3_bind_text(s, 4, source, -1, SQLITE_TRANSIENT) != SQLITE_OK;
	bad |= sqlite3_bind_int64(s, 5, (int64_t)time(NULL)) != SQLITE_OK;
	if (bad) {
		store_stmt_done(s);
		return store_fail(st, sqlite3_errcode(st->db));
	}
	return store_stmt_run(st, s);
}

enum pks_rc
store_refused_forget(struct store *st, const uint8_t *fpr, size_t fprlen)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	if ((rc = store_stmt_blob(st, STMT_REFUSED_FORGET, fpr, fprlen, &s)) !=
	    PKS_OK)
		return rc;
	return store_stmt_run(st, s);
}

enum pks_rc
store_refused_has(struct store *st, const uint8_t hash[16])
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	int r;

	if ((rc = store_stmt_blob(st, STMT_REFUSED_HAS, hash, 16, &s)) !=
	    PKS_OK)
		return rc;
	r = sqlite3_step(s);
	rc = r == SQLITE_ROW    ? PKS_OK
	     : r == SQLITE_DONE ? PKS_ERR_NOTFOUND
				: store_fail(st, r);
	store_stmt_done(s);
	return rc;
}

static const char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? (const char *)t : "";
}

enum pks_rc
store_refused_list(struct store *st, size_t max,
    void (*cb)(void *arg, const struct store_refused *r), void *arg,
    int64_t *total)
{
	struct store_refused r;
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	int x;
	int64_t n = 0;

	if ((rc = store_stmt_get(st, STMT_REFUSED_LIST, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, (int64_t)max) != SQLITE_OK) {
		store_stmt_done(s);
		return store_fail(st, sqlite3_errcode(st->db));
	}
	while ((x = sqlite3_step(s)) == SQLITE_ROW) {
		r.hash = col_text(s, 0);
		r.fpr = col_text(s, 1);
		r.reason = col_text(s, 2);
		r.source = col_text(s, 3);
		r.first = sqlite3_column_int64(s, 4);
		r.last = sqlite3_column_int64(s, 5);
		r.count = sqlite3_column_int64(s, 6);
		if (cb != NULL)
			cb(arg, &r);
	}
	rc = x == SQLITE_DONE ? PKS_OK : store_fail(st, x);
	store_stmt_done(s);
	if (rc == PKS_OK && total != NULL)
		rc = store_query_int(st, STMT_REFUSED_COUNT, &n);
	if (total != NULL)
		*total = n;
	return rc;
}
