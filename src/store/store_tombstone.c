/*
 * store_tombstone.c: the tombstones of keys removed for good
 * (store_tombstone.h).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"
#include "store/store_tombstone.h"
#include "util/xalloc.h"

/* Step s for one reason: PKS_OK (reason copied), or PKS_ERR_NOTFOUND.
 * Closes s. */
static enum pks_rc
one_reason(struct store *st, sqlite3_stmt *s, char **reason)
{
	const unsigned char *t;
	enum pks_rc rc;
	int r = sqlite3_step(s);

	if (r == SQLITE_ROW) {
		t = sqlite3_column_text(s, 0);
		if (reason != NULL)
			*reason = xstrdup(t != NULL ? (const char *)t : "");
		rc = PKS_OK;
	} else {
		rc = r == SQLITE_DONE ? PKS_ERR_NOTFOUND : store_fail(st, r);
	}
	store_stmt_done(s);
	return rc;
}

enum pks_rc
store_tombstone_add(
    struct store *st, const uint8_t *fpr, size_t fprlen, const char *reason)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	/* A row no lookup could ever match; store_keys refuses it too. */
	if (!store_fpr_len_ok(fprlen))
		return store_fail_msg(st, PKS_ERR_INTERNAL, "bad fingerprint");
	if ((rc = store_stmt_blob(st, STMT_TOMB_ADD, fpr, fprlen, &s)) !=
	    PKS_OK)
		return rc;
	if (sqlite3_bind_int64(s, 2, (int64_t)time(NULL)) != SQLITE_OK ||
	    sqlite3_bind_text(s, 3, reason, -1, SQLITE_TRANSIENT) !=
		SQLITE_OK) {
		store_stmt_done(s);
		return store_fail(st, sqlite3_errcode(st->db));
	}
	return store_stmt_run(st, s);
}

enum pks_rc
store_tombstone_get(
    struct store *st, const uint8_t *fpr, size_t fprlen, char **reason)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	if ((rc = store_stmt_fpr(st, STMT_TOMB_GET, fpr, fprlen, &s)) != PKS_OK)
		return rc;
	return one_reason(st, s, reason);
}

enum pks_rc
store_tombstone_match(
    struct store *st, const struct store_query *q, char **reason)
{
	sqlite3_stmt *s = NULL;
	uint8_t id[8];
	size_t n, i;
	enum pks_rc rc;

	if (q->kind == STORE_QUERY_FPR)
		return store_tombstone_get(st, q->bin, q->len, reason);
	if (q->kind != STORE_QUERY_KEYID)
		return PKS_ERR_NOTFOUND;
	n = q->bits == 32 ? 4 : 8;
	for (i = 0; i < n; i++)
		id[i] = (uint8_t)(q->keyid >> (8 * (n - 1 - i)));
	if ((rc = store_stmt_blob(st, STMT_TOMB_KEYID, id, n, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_int(s, 2, q->bits == 32) != SQLITE_OK) {
		store_stmt_done(s);
		return store_fail(st, sqlite3_errcode(st->db));
	}
	return one_reason(st, s, reason);
}

enum pks_rc
store_tombstone_remove(struct store *st, const uint8_t *fpr, size_t fprlen)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	if ((rc = store_stmt_fpr(st, STMT_TOMB_DEL, fpr, fprlen, &s)) != PKS_OK)
		return rc;
	if ((rc = store_stmt_run(st, s)) != PKS_OK)
		return rc;
	return sqlite3_changes(st->db) > 0 ? PKS_OK : PKS_ERR_NOTFOUND;
}

enum pks_rc
store_tombstone_list(struct store *st,
    void (*cb)(void *arg, const struct store_tombstone *t), void *arg)
{
	struct store_tombstone t;
	sqlite3_stmt *s = NULL;
	const unsigned char *txt;
	enum pks_rc rc;
	int r;

	if ((rc = store_stmt_get(st, STMT_TOMB_LIST, &s)) != PKS_OK)
		return rc;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		txt = sqlite3_column_text(s, 0);
		t.fpr = txt != NULL ? (const char *)txt : "";
		t.created = sqlite3_column_int64(s, 1);
		txt = sqlite3_column_text(s, 2);
		t.reason = txt != NULL ? (const char *)txt : "";
		cb(arg, &t);
	}
	rc = r == SQLITE_DONE ? PKS_OK : store_fail(st, r);
	store_stmt_done(s);
	return rc;
}
