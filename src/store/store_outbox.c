/*
 * store_outbox.c: the outgoing mail queue and the reply log.
 *
 * Replies are queued in a transaction of their own, together with the
 * reply log row that the per-sender rate limit counts; incrementals are
 * queued by ingest inside the merge's transaction.  queue-run claims
 * rows with a lease in one short transaction, sends without holding the
 * database lock, and ends the rows in a second transaction.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"
#include "store/store_outbox.h"
#include "store/store_txn.h"
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

/* The body of the outbox row just inserted (its own table: see 011). */
static enum pks_rc
outbox_body(struct store *st, const void *body, size_t len)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	if ((rc = store_stmt_get(st, STMT_OUTBOX_ADD_BODY, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, sqlite3_last_insert_rowid(st->db)) !=
		SQLITE_OK ||
	    sqlite3_bind_blob64(s, 2, body, len, SQLITE_STATIC) != SQLITE_OK)
		return bind_fail(st, s);
	return store_stmt_run(st, s);
}

/* One outbox row and its body, due now; sent NULL for a reply. */
static enum pks_rc
outbox_row(struct store *st, const char *kind, const char *rcpt,
    const void *body, size_t len, const char *sent, int64_t now)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	if ((rc = store_stmt_get(st, STMT_OUTBOX_ADD, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_text(s, 1, kind, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, rcpt, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, now) != SQLITE_OK ||
	    (sent != NULL &&
		sqlite3_bind_text(s, 4, sent, -1, SQLITE_STATIC) != SQLITE_OK))
		return bind_fail(st, s);
	if ((rc = store_stmt_run(st, s)) != PKS_OK)
		return rc;
	return outbox_body(st, body, len);
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

struct reply {
	const char *rcpt;
	const char *lrcpt; /* the rate limit's key, lower-case */
	const char *msg;
	size_t len;
	int64_t now;
};

/* The reply and its reply log row (one transaction). */
static enum pks_rc
reply_add(struct store *st, void *arg)
{
	const struct reply *r = arg;
	enum pks_rc rc;

	rc = outbox_row(st, "reply", r->rcpt, r->msg, r->len, NULL, r->now);
	if (rc == PKS_OK)
		rc = reply_log(st, r->lrcpt, r->now);
	return rc;
}

enum pks_rc
store_outbox_add_reply(struct store *st, const char *rcpt, const char *key,
    const char *msg, size_t len)
{
	char *lrcpt = lower_dup(key);
	struct reply r = { rcpt, lrcpt, msg, len, (int64_t)time(NULL) };
	enum pks_rc rc;

	rc = store_txn_run(st, reply_add, &r);
	free(lrcpt);
	return rc;
}

enum pks_rc
store_reply_count(struct store *st, const char *rcpt, int64_t since, int64_t *n)
{
	sqlite3_stmt *s = NULL;
	char *lrcpt = rcpt != NULL ? lower_dup(rcpt) : NULL;
	enum pks_rc rc;
	int r;

	*n = 0;
	rc = store_stmt_get(
	    st, rcpt != NULL ? STMT_REPLY_COUNT : STMT_REPLY_COUNT_ALL, &s);
	if (rc != PKS_OK)
		goto out;
	r = sqlite3_bind_int64(s, 2, since);
	if (r == SQLITE_OK && rcpt != NULL)
		r = sqlite3_bind_text(s, 1, lrcpt, -1, SQLITE_STATIC);
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

enum pks_rc
store_outbox_add_incremental(struct store *st, const char *rcpt,
    const char *sent, const uint8_t *data, size_t len)
{
	return outbox_row(
	    st, "incremental", rcpt, data, len, sent, (int64_t)time(NULL));
}

/* A text column as a new string ("" for NULL). */
static char *
col_str(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	return xstrdup(t != NULL ? (const char *)t : "");
}

/* Fill r from the current row of STMT_OUTBOX_DUE (all but the body). */
static void
due_row(sqlite3_stmt *s, struct store_outbox_row *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->reply =
	    strcmp((const char *)sqlite3_column_text(s, 1), "reply") == 0;
	r->recipient = col_str(s, 2);
	if (sqlite3_column_type(s, 3) != SQLITE_NULL)
		r->sent = col_str(s, 3);
	r->created = sqlite3_column_int64(s, 4);
	r->tries = sqlite3_column_int64(s, 5);
}

/*
 * Read the body of row r (a row without one has an empty body: pksync
 * check names it, and it is sent or failed as such).  The bodies are
 * read row by row rather than in the due query, so that its sort moves
 * small rows, not the key packets.
 */
static enum pks_rc
due_body(struct store *st, struct store_outbox_row *r)
{
	sqlite3_stmt *s = NULL;
	const void *b = NULL;
	enum pks_rc rc;
	int n = 0, x;

	if ((rc = store_stmt_get(st, STMT_OUTBOX_BODY, &s)) != PKS_OK)
		return rc;
	x = sqlite3_bind_int64(s, 1, r->id);
	if (x == SQLITE_OK && (x = sqlite3_step(s)) == SQLITE_ROW) {
		b = sqlite3_column_blob(s, 0);
		n = sqlite3_column_bytes(s, 0);
	}
	r->len = n > 0 ? (size_t)n : 0;
	r->body = xmalloc(r->len + 1);
	if (r->len > 0)
		memcpy(r->body, b, r->len);
	r->body[r->len] = 0;
	store_stmt_done(s);
	return x == SQLITE_ROW || x == SQLITE_DONE ? PKS_OK : store_fail(st, x);
}

/* Read the due rows (up to the claim's limits) into *rows. */
static enum pks_rc
read_due(struct store *st, const struct store_outbox_claim *c,
    struct store_outbox_row **rows, size_t *n)
{
	sqlite3_stmt *s = NULL;
	size_t cap = 0, i, bytes = 0;
	enum pks_rc rc;
	int r;

	if ((rc = store_stmt_get(st, STMT_OUTBOX_DUE, &s)) != PKS_OK)
		return rc;
	r = sqlite3_bind_int64(s, 1, c->due_by);
	if (r == SQLITE_OK)
		r = sqlite3_bind_int64(s, 2, (int64_t)c->max_rows);
	if (r == SQLITE_OK)
		r = sqlite3_bind_int64(s, 3, c->now);
	while (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*rows = xreallocarray(*rows, cap, sizeof(**rows));
		}
		due_row(s, &(*rows)[(*n)++]);
		r = SQLITE_OK;
	}
	store_stmt_done(s);
	if (r != SQLITE_OK && r != SQLITE_DONE)
		return store_fail(st, r);
	/* The bodies, until the round holds max_bytes. */
	for (i = 0; i < *n && bytes < c->max_bytes; i++) {
		if ((rc = due_body(st, &(*rows)[i])) != PKS_OK)
			return rc;
		bytes += (*rows)[i].len;
	}
	for (; *n > i; (*n)--) {
		free((*rows)[*n - 1].recipient);
		free((*rows)[*n - 1].sent);
	}
	return PKS_OK;
}

/* Set the lease of every claimed row. */
static enum pks_rc
lease_rows(struct store *st, const struct store_outbox_claim *c,
    const struct store_outbox_row *rows, size_t n)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((rc = store_stmt_get(st, STMT_OUTBOX_LEASE, &s)) != PKS_OK)
			return rc;
		if (sqlite3_bind_int64(s, 1, rows[i].id) != SQLITE_OK ||
		    sqlite3_bind_text(s, 2, c->owner, -1, SQLITE_STATIC) !=
			SQLITE_OK ||
		    sqlite3_bind_int64(s, 3, c->now + c->lease) != SQLITE_OK)
			return bind_fail(st, s);
		if ((rc = store_stmt_run(st, s)) != PKS_OK)
			return rc;
	}
	return PKS_OK;
}

static enum pks_rc
expire_rows(
    struct store *st, const struct store_outbox_claim *c, size_t *nexpired)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	*nexpired = 0;
	if (c->max_age <= 0)
		return PKS_OK;
	if ((rc = store_stmt_get(st, STMT_OUTBOX_EXPIRE, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, c->now - c->max_age) != SQLITE_OK ||
	    sqlite3_bind_int64(s, 2, c->now) != SQLITE_OK)
		return bind_fail(st, s);
	if ((rc = store_stmt_run(st, s)) == PKS_OK)
		*nexpired = (size_t)sqlite3_changes(st->db);
	return rc;
}

struct claim {
	const struct store_outbox_claim *c;
	struct store_outbox_row **rows;
	size_t *n;
	size_t *nexpired;
};

/* Expire, read the due rows and lease them (one transaction). */
static enum pks_rc
claim_rows(struct store *st, void *arg)
{
	const struct claim *k = arg;
	enum pks_rc rc;

	rc = expire_rows(st, k->c, k->nexpired);
	if (rc == PKS_OK)
		rc = read_due(st, k->c, k->rows, k->n);
	if (rc == PKS_OK)
		rc = lease_rows(st, k->c, *k->rows, *k->n);
	return rc;
}

enum pks_rc
store_outbox_claim(struct store *st, const struct store_outbox_claim *c,
    struct store_outbox_row **rows, size_t *n, size_t *nexpired)
{
	struct claim k = { c, rows, n, nexpired };
	enum pks_rc rc;

	*rows = NULL;
	*n = 0;
	*nexpired = 0;
	if ((rc = store_txn_run(st, claim_rows, &k)) != PKS_OK) {
		store_outbox_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		*nexpired = 0;
	}
	return rc;
}

void
store_outbox_rows_free(struct store_outbox_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(rows[i].recipient);
		free(rows[i].sent);
		free(rows[i].body);
	}
	free(rows);
}

/* Note when the relay accepted an incremental to its recipient
 * (before the row is deleted). */
static enum pks_rc
note_delivered(struct store *st, const char *owner, int64_t id, int64_t now)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	int r;

	if ((rc = store_stmt_get(st, STMT_OUTBOX_DELIVERED, &s)) != PKS_OK)
		return rc;
	r = sqlite3_bind_int64(s, 1, id);
	if (r == SQLITE_OK)
		r = sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
	if (r == SQLITE_OK)
		r = sqlite3_bind_int64(s, 3, now);
	if (r != SQLITE_OK)
		return bind_fail(st, s);
	return store_stmt_run(st, s);
}

/* End one claimed row. */
static enum pks_rc
finish_one(struct store *st, const char *owner,
    const struct store_outbox_done *d, const struct store_outbox_backoff *b)
{
	static const enum store_stmt which[] = { [STORE_OUTBOX_SENT] =
						     STMT_OUTBOX_DELETE,
		[STORE_OUTBOX_RETRY] = STMT_OUTBOX_RETRY,
		[STORE_OUTBOX_FAILED] = STMT_OUTBOX_FAIL };
	const char *why = d->why != NULL ? d->why : "";
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	int r;

	if (d->end == STORE_OUTBOX_SENT &&
	    (rc = note_delivered(st, owner, d->id, b->now)) != PKS_OK)
		return rc;
	if ((rc = store_stmt_get(st, which[d->end], &s)) != PKS_OK)
		return rc;
	r = sqlite3_bind_int64(s, 1, d->id);
	if (r == SQLITE_OK)
		r = sqlite3_bind_text(s, 2, owner, -1, SQLITE_STATIC);
	if (r == SQLITE_OK && d->end == STORE_OUTBOX_FAILED)
		r = sqlite3_bind_text(s, 3, why, -1, SQLITE_STATIC);
	if (r == SQLITE_OK && d->end == STORE_OUTBOX_RETRY) {
		r = sqlite3_bind_int64(s, 3, b->now);
		if (r == SQLITE_OK)
			r = sqlite3_bind_int64(s, 4, b->base);
		if (r == SQLITE_OK)
			r = sqlite3_bind_int64(s, 5, b->max);
		if (r == SQLITE_OK)
			r = sqlite3_bind_text(s, 6, why, -1, SQLITE_STATIC);
	}
	if (r != SQLITE_OK)
		return bind_fail(st, s);
	return store_stmt_run(st, s);
}

struct finish {
	const char *owner;
	const struct store_outbox_done *d;
	size_t n;
	const struct store_outbox_backoff *b;
};

/* End every claimed row (one transaction). */
static enum pks_rc
finish_all(struct store *st, void *arg)
{
	const struct finish *f = arg;
	enum pks_rc rc = PKS_OK;
	size_t i;

	for (i = 0; i < f->n && rc == PKS_OK; i++)
		rc = finish_one(st, f->owner, &f->d[i], f->b);
	return rc;
}

enum pks_rc
store_outbox_finish(struct store *st, const char *owner,
    const struct store_outbox_done *d, size_t n,
    const struct store_outbox_backoff *b)
{
	struct finish f = { owner, d, n, b };

	if (n == 0)
		return PKS_OK;
	return store_txn_run(st, finish_all, &f);
}

enum pks_rc
store_outbox_incr_foreach(struct store *st,
    int (*cb)(void *, int64_t, const uint8_t *, size_t), void *arg)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	int r, n;

	if ((rc = store_stmt_get(st, STMT_OUTBOX_INCR_ALL, &s)) != PKS_OK)
		return rc;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		n = sqlite3_column_bytes(s, 1);
		if (cb(arg, sqlite3_column_int64(s, 0),
			(const uint8_t *)sqlite3_column_blob(s, 1),
			n > 0 ? (size_t)n : 0) != 0) {
			r = SQLITE_DONE;
			break;
		}
	}
	store_stmt_done(s);
	return r == SQLITE_DONE ? PKS_OK : store_fail(st, r);
}

enum pks_rc
store_outbox_peers(struct store *st, struct store_outbox_peer **out, size_t *n)
{
	sqlite3_stmt *s = NULL;
	struct store_outbox_peer *p;
	size_t cap = 0;
	enum pks_rc rc;
	int r;

	*out = NULL;
	*n = 0;
	if ((rc = store_stmt_get(st, STMT_OUTBOX_PEERS, &s)) != PKS_OK)
		return rc;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			*out = xreallocarray(*out, cap, sizeof(**out));
		}
		p = &(*out)[(*n)++];
		p->recipient = col_str(s, 0);
		p->queued = sqlite3_column_int64(s, 1);
		p->failed = sqlite3_column_int64(s, 2);
	}
	store_stmt_done(s);
	if (r == SQLITE_DONE)
		return PKS_OK;
	store_outbox_peers_free(*out, *n);
	*out = NULL;
	*n = 0;
	return store_fail(st, r);
}

void
store_outbox_peers_free(struct store_outbox_peer *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(p[i].recipient);
	free(p);
}

enum pks_rc
store_outbox_totals(struct store *st, struct store_outbox_totals *t)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	int r;

	memset(t, 0, sizeof(*t));
	if ((rc = store_stmt_get(st, STMT_OUTBOX_TOTALS, &s)) != PKS_OK)
		return rc;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		t->incr_queued = sqlite3_column_int64(s, 0);
		t->incr_failed = sqlite3_column_int64(s, 1);
		t->reply_queued = sqlite3_column_int64(s, 2);
		t->reply_failed = sqlite3_column_int64(s, 3);
		t->oldest_queued = sqlite3_column_int64(s, 4);
	}
	store_stmt_done(s);
	return r == SQLITE_ROW ? PKS_OK : store_fail(st, r);
}

enum pks_rc
store_outbox_failed_list(
    struct store *st, size_t max, struct store_outbox_failed **out, size_t *n)
{
	sqlite3_stmt *s = NULL;
	struct store_outbox_failed *f;
	size_t cap = 0;
	enum pks_rc rc;
	int r;

	*out = NULL;
	*n = 0;
	if ((rc = store_stmt_get(st, STMT_OUTBOX_FAILED, &s)) != PKS_OK)
		return rc;
	r = sqlite3_bind_int64(
	    s, 1, max > (size_t)INT64_MAX ? INT64_MAX : (int64_t)max);
	while (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			*out = xreallocarray(*out, cap, sizeof(**out));
		}
		f = &(*out)[(*n)++];
		f->id = sqlite3_column_int64(s, 0);
		f->reply = strcmp((const char *)sqlite3_column_text(s, 1),
			       "reply") == 0;
		f->recipient = col_str(s, 2);
		f->created = sqlite3_column_int64(s, 3);
		f->tries = sqlite3_column_int64(s, 4);
		f->why = col_str(s, 5);
		r = SQLITE_OK;
	}
	store_stmt_done(s);
	if (r == SQLITE_DONE)
		return PKS_OK;
	store_outbox_failed_free(*out, *n);
	*out = NULL;
	*n = 0;
	return store_fail(st, r);
}

void
store_outbox_failed_free(struct store_outbox_failed *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(f[i].recipient);
		free(f[i].why);
	}
	free(f);
}

enum pks_rc
store_outbox_delivered_list(
    struct store *st, struct store_outbox_delivered **out, size_t *n)
{
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	enum pks_rc rc;
	int r;

	*out = NULL;
	*n = 0;
	if ((rc = store_stmt_get(st, STMT_OUTBOX_DELIVERED_LIST, &s)) != PKS_OK)
		return rc;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			*out = xreallocarray(*out, cap, sizeof(**out));
		}
		(*out)[*n].recipient = col_str(s, 0);
		(*out)[(*n)++].last_sent = sqlite3_column_int64(s, 1);
	}
	store_stmt_done(s);
	if (r == SQLITE_DONE)
		return PKS_OK;
	store_outbox_delivered_free(*out, *n);
	*out = NULL;
	*n = 0;
	return store_fail(st, r);
}

void
store_outbox_delivered_free(struct store_outbox_delivered *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(d[i].recipient);
	free(d);
}
