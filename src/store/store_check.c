/*
 * store_check.c: the database consistency check behind `pksync check`.
 *
 * SQLite's own integrity check, the foreign keys, and what the schema
 * promises but cannot enforce by itself: every key has the key ID row of
 * its primary key, a 16-byte hash and a fingerprint of a valid length,
 * no two keys share a hash, the word index and the word table match the
 * keys, and every
 * outbox row is well formed (a recipient, a body, an X-KeyServer-Sent
 * path exactly on incrementals, no lease on a failed row).  Each
 * problem is one line for the caller.  Recomputing hashes from the
 * packets needs the pgp module and is the caller's job.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "store/store_int.h"
#include "store/store_wordkeys.h"

struct report {
	void (*cb)(void *, const char *);
	void *arg;
	size_t n;
};

static void
problem(struct report *r, const char *line)
{
	r->n++;
	if (r->cb != NULL)
		r->cb(r->arg, line);
}

/* Text of column i, or "" for NULL. */
static const char *
col_text(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t != NULL ? (const char *)t : "";
}

/*
 * Run one check query and turn each row into a problem line:
 * 'what' names the check, the row's columns follow.  With 'ok_row' a
 * single row whose first column equals it means "no problem" (the
 * integrity_check pragma answers "ok").
 */
static enum pks_rc
check_query(struct store *st, struct report *rep, enum store_stmt which,
    const char *what, const char *ok_row)
{
	sqlite3_stmt *s = NULL;
	char line[512];
	enum pks_rc rc;
	int r, i, ncol;
	size_t off;

	if ((rc = store_stmt_get(st, which, &s)) != PKS_OK)
		return rc;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		ncol = sqlite3_column_count(s);
		if (ok_row != NULL && ncol > 0 &&
		    strcmp(col_text(s, 0), ok_row) == 0)
			continue;
		off = (size_t)snprintf(line, sizeof(line), "%s:", what);
		for (i = 0; i < ncol && off < sizeof(line); i++)
			off += (size_t)snprintf(line + off, sizeof(line) - off,
			    " %s", col_text(s, i));
		problem(rep, line);
	}
	store_stmt_done(s);
	return r == SQLITE_DONE ? PKS_OK : store_fail(st, r);
}

/* FTS5's own check compares the word index with the keys' uids text.
 * It is written as an INSERT, so a read-only connection skips it. */
static enum pks_rc
check_words(struct store *st, struct report *rep)
{
	sqlite3_stmt *s = NULL;
	char line[300];
	enum pks_rc rc;
	int r;

	if (st->readonly)
		return PKS_OK;
	if ((rc = store_stmt_get(st, STMT_CHECK_WORDS, &s)) != PKS_OK)
		return rc;
	r = sqlite3_step(s);
	store_stmt_done(s);
	if (r == SQLITE_DONE)
		return PKS_OK;
	if ((r & 0xff) != SQLITE_CORRUPT)
		return store_fail(st, r);
	snprintf(line, sizeof(line), "word index differs from the keys: %s",
	    sqlite3_errmsg(st->db));
	problem(rep, line);
	return PKS_OK;
}

static void
problem_cb(void *arg, const char *line)
{
	problem(arg, line);
}

/* The word table against a rebuild from the keys (counted by
 * problem). */
static enum pks_rc
check_wordkeys(struct store *st, struct report *rep)
{
	size_t n = 0;

	return store_wordkeys_check(st, problem_cb, rep, &n);
}

enum pks_rc
store_check(struct store *st, void (*cb)(void *, const char *), void *arg,
    size_t *nproblems)
{
	struct report rep = { cb, arg, 0 };
	enum pks_rc rc;

	rc = check_query(
	    st, &rep, STMT_CHECK_INTEGRITY, "sqlite integrity", "ok");
	if (rc == PKS_OK)
		rc = check_query(st, &rep, STMT_CHECK_FOREIGN,
		    "row without its key (table, rowid, parent, fk)", NULL);
	if (rc == PKS_OK)
		rc = check_query(st, &rep, STMT_CHECK_NO_KEYID,
		    "key row without its primary key ID row", NULL);
	if (rc == PKS_OK)
		rc = check_query(st, &rep, STMT_CHECK_HASH,
		    "key row whose hash is not 16 bytes", NULL);
	if (rc == PKS_OK)
		rc = check_query(st, &rep, STMT_CHECK_FPR,
		    "key row with a bad fingerprint", NULL);
	if (rc == PKS_OK)
		rc = check_query(st, &rep, STMT_CHECK_DUP_HASH,
		    "keys sharing one hash (hash, count)", NULL);
	if (rc == PKS_OK)
		rc = check_query(st, &rep, STMT_CHECK_OUTBOX,
		    "malformed outbox row (id, kind, state)", NULL);
	if (rc == PKS_OK)
		rc = check_query(st, &rep, STMT_CHECK_LISTING,
		    "key row without listing facts", NULL);
	if (rc == PKS_OK)
		rc = check_words(st, &rep);
	if (rc == PKS_OK)
		rc = check_wordkeys(st, &rep);
	if (nproblems != NULL)
		*nproblems = rep.n;
	return rc;
}
