/*
 * store_issuer.c: are these certification issuers stored here
 * (store_issuer.h)?  Issuers are asked in batches of STORE_ISSUER_BATCH
 * through one "IN (...)" statement each, by fingerprint or by key ID;
 * a short batch repeats its first value.
 */
#include <config.h>

#include <string.h>

#include "store/store_int.h"
#include "store/store_issuer.h"

/* One batch: indexes into the issuer array, all of one kind. */
struct batch {
	struct pgp_issuer *v;
	size_t at[STORE_ISSUER_BATCH];
	size_t n;
	int by_fpr;
};

static int64_t
keyid_value(const uint8_t id[8])
{
	uint64_t u = 0;
	int i;

	for (i = 0; i < 8; i++)
		u = u << 8 | id[i];
	return store_u64_to_i64(u);
}

static int
bind_one(sqlite3_stmt *s, int param, const struct batch *b, size_t i)
{
	const struct pgp_issuer *e = &b->v[b->at[i]];

	if (b->by_fpr)
		return sqlite3_bind_blob(
		    s, param, e->fpr, (int)e->fpr_len, SQLITE_TRANSIENT);
	return sqlite3_bind_int64(s, param, keyid_value(e->keyid));
}

/* Mark the issuers of the batch that the current row names. */
static void
mark_row(sqlite3_stmt *s, struct batch *b)
{
	struct pgp_issuer *e;
	const void *blob;
	size_t i, len;
	int64_t id;

	blob = b->by_fpr ? sqlite3_column_blob(s, 0) : NULL;
	len = (size_t)sqlite3_column_bytes(s, 0);
	id = b->by_fpr ? 0 : sqlite3_column_int64(s, 0);
	for (i = 0; i < b->n; i++) {
		e = &b->v[b->at[i]];
		if (b->by_fpr ? (blob != NULL && len == e->fpr_len &&
				    memcmp(blob, e->fpr, len) == 0)
			      : keyid_value(e->keyid) == id)
			e->known = 1;
	}
}

static enum pks_rc
run_batch(struct store *st, struct batch *b)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	int i, sqlrc = SQLITE_OK;

	rc = store_stmt_get(
	    st, b->by_fpr ? STMT_ISSUER_FPRS : STMT_ISSUER_KEYIDS, &s);
	if (rc != PKS_OK)
		return rc;
	for (i = 0; i < STORE_ISSUER_BATCH && sqlrc == SQLITE_OK; i++)
		sqlrc = bind_one(s, i + 1, b, (size_t)i < b->n ? (size_t)i : 0);
	while (sqlrc == SQLITE_OK && (sqlrc = sqlite3_step(s)) == SQLITE_ROW) {
		mark_row(s, b);
		sqlrc = SQLITE_OK;
	}
	store_stmt_done(s);
	b->n = 0;
	if (sqlrc != SQLITE_DONE)
		return store_fail(st, sqlrc);
	return PKS_OK;
}

/* Ask for every issuer of one kind (by fingerprint or by key ID). */
static enum pks_rc
ask_kind(struct store *st, struct pgp_issuer *v, size_t n, int by_fpr)
{
	struct batch b;
	enum pks_rc rc = PKS_OK;
	size_t i;

	b.v = v;
	b.n = 0;
	b.by_fpr = by_fpr;
	for (i = 0; i < n && rc == PKS_OK; i++) {
		if ((v[i].fpr_len != 0) != by_fpr)
			continue;
		b.at[b.n++] = i;
		if (b.n == STORE_ISSUER_BATCH)
			rc = run_batch(st, &b);
	}
	if (rc == PKS_OK && b.n > 0)
		rc = run_batch(st, &b);
	return rc;
}

enum pks_rc
store_issuers_known(struct store *st, struct pgp_issuer *v, size_t n)
{
	enum pks_rc rc = ask_kind(st, v, n, 1);

	if (rc == PKS_OK)
		rc = ask_kind(st, v, n, 0);
	return rc;
}
