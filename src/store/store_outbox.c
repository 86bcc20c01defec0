/*
 * store_outbox.c: the outgoing mail queue and the reply log.
 *
 * Replies are queued in a transaction of their own, together with the
 * reply log row that the per-sender rate limit counts; incrementals
 * are queued by ingest inside the merge's transaction (later work).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"
#include "store/store_outbox.h"
#include "util/xalloc.h"

/* Reply log rows older than this are pruned (the limit counts one hour). */
#define REPLY_LOG_KEEP (24 * 3600)

/* ASCII lower-case copy of an address (caller frees). */
static char *
lower_dup(const char *s)
{
	char *d = xstrdup(s);
	size_t i;

	for (i = 0; d[i] != '\0'; i++)
		if (d[i] >= 'A' && d[i] <= 'Z')
			d[i] = (char)(d[i] - 'A' + 'a');
	return d;
}

static enum pks_rc
bind_fail(struct store *st, sqlite3_stmt *s)
{
	enum pks_rc rc = store_fail(st, sqlite3_errcode(st->db));

	store_stmt_done(s);
	return rc;
}

static enum pks_rc
outbox_row(struct store *st, const char *rcpt, const char *msg, size_t len,
    int64_t now)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	if ((rc = store_stmt_get(st, STMT_OUTBOX_ADD, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_text(s, 1, "reply", -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, rcpt, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_blob64(s, 3, msg, len, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 4, now) != SQLITE_OK)
		return bind_fail(st, s);
	return store_stmt_run(st, s);
}

static enum pks_rc
reply_log(struct store *st, const char *lrcpt, int64_t now)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	if ((rc = store_stmt_get(st, STMT_REPLY_PRUNE, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, now - REPLY_LOG_KEEP) != SQLITE_OK)
		return bind_fail(st, s);
	if ((rc = store_stmt_run(st, s)) != PKS_OK)
		return rc;
	if ((rc = store_stmt_get(st, STMT_REPLY_LOG, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_text(s, 1, lrcpt, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, now) != SQLITE_OK)
		return bind_fail(st, s);
	return store_stmt_run(st, s);
}

enum pks_rc
store_outbox_add_reply(struct store *st, const char *rcpt, const char *msg,
    size_t len)
{
	int64_t now = (int64_t)time(NULL);
	char *lrcpt = lower_dup(rcpt);
	enum pks_rc rc;

	if ((rc = store_begin(st)) != PKS_OK)
		goto out;
	rc = outbox_row(st, rcpt, msg, len, now);
	if (rc == PKS_OK)
		rc = reply_log(st, lrcpt, now);
	if (rc == PKS_OK)
		rc = store_commit(st);
	if (rc != PKS_OK)
		store_rollback(st);
out:
	free(lrcpt);
	return rc;
}

enum pks_rc
store_reply_count(struct store *st, const char *rcpt, int64_t since,
    int64_t *n)
{
	sqlite3_stmt *s = NULL;
	char *lrcpt = lower_dup(rcpt);
	enum pks_rc rc;
	int r;

	*n = 0;
	if ((rc = store_stmt_get(st, STMT_REPLY_COUNT, &s)) != PKS_OK)
		goto out;
	r = sqlite3_bind_text(s, 1, lrcpt, -1, SQLITE_STATIC);
	if (r == SQLITE_OK)
		r = sqlite3_bind_int64(s, 2, since);
	if (r == SQLITE_OK)
		r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*n = sqlite3_column_int64(s, 0);
	store_stmt_done(s);
	rc = r == SQLITE_ROW ? PKS_OK : store_fail(st, r);
out:
	free(lrcpt);
	return rc;
}
