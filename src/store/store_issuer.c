/*
 * store_issuer.c: are these certification issuers stored here, and do
 * their certifications verify against them (store_issuer.h)?  Issuers
 * are asked in batches of STORE_ISSUER_BATCH through one "IN (...)"
 * statement each, by fingerprint or by key ID; a short batch repeats
 * its first value.  Verdicts go into the certified key's check record.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "pgp/pgp_fpr.h"
#include "store/store_int.h"
#include "store/store_issuer.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/xalloc.h"

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

/* The stored keys one issuer names, parsed: a cache of one issuer for
 * one key merge (a flood names few stored issuers, many times). */
struct signer {
	int have;
	size_t fpr_len;
	uint8_t fpr[32];
	uint8_t keyid[8];
	struct pgp_key *k[STORE_ISSUER_KEYS];
	size_t n;
};

static void
signer_clear(struct signer *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		pgp_key_free(g->k[i]);
	memset(g, 0, sizeof(*g));
}

static int
signer_is(const struct signer *g, const struct pgp_issuer *e)
{
	if (!g->have || g->fpr_len != e->fpr_len)
		return 0;
	return e->fpr_len != 0 ? memcmp(g->fpr, e->fpr, e->fpr_len) == 0
			       : memcmp(g->keyid, e->keyid, 8) == 0;
}

/* Load into g the stored keys that e's issuer names. */
static enum pks_rc
signer_load(struct store *st, struct signer *g, const struct pgp_issuer *e)
{
	struct store_ids ids = { NULL, 0 };
	struct store_keys ks = { NULL, 0 };
	struct pks_err err;
	enum pks_rc rc;
	size_t i;

	signer_clear(g);
	g->have = 1;
	g->fpr_len = e->fpr_len;
	memcpy(g->fpr, e->fpr, e->fpr_len);
	memcpy(g->keyid, e->keyid, 8);
	rc = e->fpr_len != 0
		 ? store_search_fpr(
		       st, e->fpr, e->fpr_len, STORE_ISSUER_KEYS, &ids)
		 : store_search_keyid(st, (uint64_t)keyid_value(e->keyid), 64,
		       STORE_ISSUER_KEYS, &ids);
	if (rc == PKS_OK)
		rc = store_keys_load(st, &ids, STORE_ISSUER_KEYS, &ks);
	for (i = 0; rc == PKS_OK && i < ks.n && g->n < STORE_ISSUER_KEYS; i++)
		if (pgp_key_parse(
			ks.v[i].data, ks.v[i].len, &g->k[g->n], &err) == PKS_OK)
			g->n++;
	store_keys_free(&ks);
	store_ids_free(&ids);
	return rc;
}

/* The verdict of e by the keys of g: valid when one verifies it. */
static enum pgp_verdict
signer_judge(const struct signer *g, const struct pgp_key *key,
    const struct pgp_issuer *e)
{
	enum pgp_verdict v = PGP_ISSUER_UNJUDGED, r;
	const struct pgp_pkt *ik;
	size_t i;

	for (i = 0; i < g->n; i++) {
		if ((ik = pgp_issuer_packet(g->k[i], e)) == NULL)
			continue;
		r = pgp_cert_verify(key, e, ik);
		if (r == PGP_ISSUER_VALID)
			return r;
		if (r == PGP_ISSUER_FORGED)
			v = r;
	}
	return v;
}

/* Verify the certifications whose issuer is stored and that have no
 * verdict yet, at most 'budget'; *left gets those over it. */
static enum pks_rc
verify_known(struct store *st, const struct pgp_key *key, struct pgp_issuer *v,
    size_t n, size_t budget, struct store_mark *m)
{
	struct signer g;
	enum pks_rc rc = PKS_OK;
	size_t i;

	memset(&g, 0, sizeof(g));
	for (i = 0; i < n && rc == PKS_OK; i++) {
		if (!v[i].known || v[i].verdict != PGP_ISSUER_UNJUDGED)
			continue;
		if (m->verified == budget) {
			m->left++;
			continue;
		}
		if (!signer_is(&g, &v[i]))
			rc = signer_load(st, &g, &v[i]);
		if (rc != PKS_OK)
			break;
		v[i].verdict = signer_judge(&g, key, &v[i]);
		m->verified++;
	}
	signer_clear(&g);
	return rc;
}

static void
log_left(const struct pgp_key *key, const struct store_mark *m)
{
	struct pgp_fpr f;
	char hex[2 * PGP_FPR_MAX + 1];

	if (m->left == 0)
		return;
	if (pgp_fpr_compute(key->key.body, key->key.len, &f, NULL) != PKS_OK)
		f.len = 0;
	pgp_hex(f.fpr, f.len, hex);
	log_info("issuers: key %s: %zu certifications by stored keys left "
		 "unverified, over [keys] issuer_verifications = %zu; served "
		 "by creation time",
	    hex, m->left, pks_key_limits()->issuer_verifications);
}

/* store_issuers_mark with the stored copy prev (NULL: none) at hand. */
static enum pks_rc
mark_with(struct store *st, const struct pgp_key *key,
    const struct pgp_key *prev, const uint8_t *prevrec, size_t prevlen,
    struct buf *chk, struct store_mark *m)
{
	const struct pks_key_limits *lim = pks_key_limits();
	struct pgp_issuer *v = NULL;
	enum pks_rc rc;
	size_t n;

	memset(m, 0, sizeof(*m));
	if (!lim->served_known)
		return PKS_OK;
	n = pgp_key_flood_issuers(
	    key, chk->data, chk->len, lim->served_certs, &v);
	if (n == 0)
		return PKS_OK;
	if (prev != NULL)
		m->reused =
		    pgp_issuers_reuse(key, v, n, prev, prevrec, prevlen);
	rc = store_issuers_known(st, v, n);
	if (rc == PKS_OK)
		rc = verify_known(st, key, v, n, lim->issuer_verifications, m);
	if (rc == PKS_OK)
		rc = pgp_checks_mark_known(chk, v, n);
	log_left(key, m);
	free(v);
	return rc;
}

/* A stored key row, parsed. */
struct row {
	struct store_key sk;
	struct pgp_key *key;
};

static enum pks_rc
row_load(struct store *st, int64_t id, struct row *r)
{
	struct pks_err err;
	enum pks_rc rc;

	memset(r, 0, sizeof(*r));
	rc = store_key_load(st, id, &r->sk);
	if (rc == PKS_OK &&
	    pgp_key_parse(r->sk.data, r->sk.len, &r->key, &err) != PKS_OK)
		r->key = NULL;
	return rc;
}

static void
row_clear(struct row *r)
{
	pgp_key_free(r->key);
	store_key_clear(&r->sk);
}

enum pks_rc
store_issuers_mark(struct store *st, const struct pgp_key *key, int64_t id,
    struct buf *chk, struct store_mark *m)
{
	struct pgp_issuer *v = NULL;
	struct row r;
	enum pks_rc rc;
	size_t n;

	memset(m, 0, sizeof(*m));
	if (!pks_key_limits()->served_known)
		return PKS_OK;
	/* Only a flooded key needs its stored copy (verdicts to reuse). */
	n = pgp_key_flood_issuers(
	    key, chk->data, chk->len, pks_key_limits()->served_certs, &v);
	free(v);
	if (n == 0)
		return PKS_OK;
	memset(&r, 0, sizeof(r));
	rc = id != 0 ? row_load(st, id, &r) : PKS_OK;
	if (rc == PKS_ERR_NOTFOUND)
		rc = PKS_OK;
	if (rc == PKS_OK)
		rc = mark_with(st, key, r.sk.checks != NULL ? r.key : NULL,
		    r.sk.checks, r.sk.checks_len, chk, m);
	row_clear(&r);
	return rc;
}

/* Rewrite the waits of row id: its certifications (v) whose issuer is
 * not stored, at most [keys] issuer_waits_per_key. */
static enum pks_rc
waits_set(struct store *st, int64_t id, const struct pgp_issuer *v, size_t n)
{
	sqlite3_stmt *s = NULL;
	size_t i, added = 0, max = pks_key_limits()->issuer_waits;
	enum pks_rc rc;

	if ((rc = store_stmt_get(st, STMT_WAIT_CLEAR, &s)) != PKS_OK)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	if ((rc = store_stmt_run(st, s)) != PKS_OK)
		return rc;
	for (i = 0; i < n && added < max; i++) {
		if (v[i].known)
			continue;
		if ((rc = store_stmt_get(st, STMT_WAIT_ADD, &s)) != PKS_OK)
			return rc;
		sqlite3_bind_int64(s, 1, keyid_value(v[i].keyid));
		sqlite3_bind_int64(s, 2, id);
		if ((rc = store_stmt_run(st, s)) != PKS_OK)
			return rc;
		st->waits_none = 0;
		added++;
	}
	return PKS_OK;
}

/* The waits of a flooded key (row id) as marked in chk. */
static enum pks_rc
waits_of(struct store *st, const struct pgp_key *key, int64_t id,
    const struct buf *chk)
{
	struct pgp_issuer *v = NULL;
	enum pks_rc rc;
	size_t n;

	n = pgp_key_flood_issuers(
	    key, chk->data, chk->len, pks_key_limits()->served_certs, &v);
	if (n == 0)
		return PKS_OK;
	rc = store_issuers_known(st, v, n);
	if (rc == PKS_OK)
		rc = waits_set(st, id, v, n);
	free(v);
	return rc;
}

/* Mark row id again, now that one of its issuers is stored. */
static enum pks_rc
remark_one(struct store *st, int64_t id)
{
	struct store_mark m;
	struct row r;
	struct buf chk;
	enum pks_rc rc;

	rc = row_load(st, id, &r);
	if (rc != PKS_OK || r.key == NULL) {
		row_clear(&r);
		return rc == PKS_ERR_NOTFOUND ? PKS_OK : rc;
	}
	buf_init(&chk, PKS_MAX_KEY);
	/* The self-signature states of the stored record, unverified. */
	rc = pgp_key_verify(
	    r.key, r.key, r.sk.checks, r.sk.checks_len, &chk, NULL);
	if (rc == PKS_OK)
		rc = mark_with(st, r.key, r.sk.checks != NULL ? r.key : NULL,
		    r.sk.checks, r.sk.checks_len, &chk, &m);
	if (rc == PKS_OK)
		rc = store_key_set_checks(st, id, chk.data, chk.len);
	if (rc == PKS_OK)
		rc = waits_of(st, r.key, id, &chk);
	buf_free(&chk);
	row_clear(&r);
	return rc;
}

/* Whether issuer_waits is empty: asked once per write transaction (a
 * bulk import stores its keys at the cost of one statement), since
 * only this transaction can fill it until it ends. */
static enum pks_rc
waits_none(struct store *st, int *none)
{
	int64_t any = 1;
	enum pks_rc rc;

	/* Outside a transaction nothing is known. */
	if (sqlite3_get_autocommit(st->db))
		st->waits_none = 0;
	*none = st->waits_none;
	if (*none)
		return PKS_OK;
	if ((rc = store_query_int(st, STMT_WAIT_ANY, &any)) != PKS_OK)
		return rc;
	*none = any == 0;
	st->waits_none = *none && !sqlite3_get_autocommit(st->db);
	return PKS_OK;
}

/* Row ids of the keys waiting for one of the key IDs of 'key' (primary
 * first, then subkeys; STORE_WAIT_IDS of them). */
static enum pks_rc
waiting(struct store *st, const struct pgp_key *key, int64_t *ids, size_t max,
    size_t *n)
{
	struct pgp_fpr f;
	sqlite3_stmt *s = NULL;
	int64_t kid[STORE_WAIT_IDS];
	size_t k = 0, i;
	enum pks_rc rc;
	int r;

	*n = 0;
	if (pgp_fpr_compute(key->key.body, key->key.len, &f, NULL) == PKS_OK)
		kid[k++] = keyid_value(f.keyid);
	for (i = 0; i < key->nsubkeys && k < STORE_WAIT_IDS; i++)
		if (pgp_fpr_compute(key->subkeys[i].head.body,
			key->subkeys[i].head.len, &f, NULL) == PKS_OK)
			kid[k++] = keyid_value(f.keyid);
	if (k == 0 || (rc = store_stmt_get(st, STMT_WAIT_FIND, &s)) != PKS_OK)
		return k == 0 ? PKS_OK : rc;
	for (i = 0; i < STORE_WAIT_IDS; i++)
		sqlite3_bind_int64(s, (int)i + 1, kid[i < k ? i : 0]);
	sqlite3_bind_int64(s, STORE_WAIT_IDS + 1, (int64_t)max);
	while ((r = sqlite3_step(s)) == SQLITE_ROW && *n < max)
		ids[(*n)++] = sqlite3_column_int64(s, 0);
	store_stmt_done(s);
	return r == SQLITE_DONE || r == SQLITE_ROW ? PKS_OK : store_fail(st, r);
}

/* Mark again the keys waiting for the new key 'key' (row id). */
static enum pks_rc
remark_waiting(struct store *st, const struct pgp_key *key, int64_t id)
{
	size_t max = pks_key_limits()->issuer_remarks, n, i, done = 0;
	enum pks_rc rc;
	int64_t *ids;
	int none = 0;

	if (max == 0 || (rc = waits_none(st, &none)) != PKS_OK || none)
		return max == 0 || none ? PKS_OK : rc;
	ids = xreallocarray(NULL, max, sizeof(*ids));
	rc = waiting(st, key, ids, max, &n);
	for (i = 0; i < n && rc == PKS_OK; i++) {
		if (ids[i] == id)
			continue;
		rc = remark_one(st, ids[i]);
		done++;
	}
	if (rc == PKS_OK && done > 0)
		log_info("issuers: a new certifier: %zu flooded keys marked "
			 "again%s",
		    done,
		    n == max ? " (at [keys] issuer_remarks_per_key)" : "");
	free(ids);
	return rc;
}

enum pks_rc
store_issuers_written(struct store *st, const struct pgp_key *key, int64_t id,
    int is_new, const struct buf *chk)
{
	enum pks_rc rc;

	if (!pks_key_limits()->served_known)
		return PKS_OK;
	rc = waits_of(st, key, id, chk);
	if (rc == PKS_OK && is_new)
		rc = remark_waiting(st, key, id);
	return rc;
}

enum pks_rc
store_issuers_fill(struct store *st)
{
	const struct pks_key_limits *lim = pks_key_limits();
	struct store_ids ids = { NULL, 0 };
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	size_t i;

	if (!lim->served_known || lim->served_certs == 0)
		return PKS_OK;
	if ((rc = store_stmt_get(st, STMT_ISSUER_UNVERIFIED, &s)) != PKS_OK)
		return rc;
	/* A user ID over the bound takes more octets than this. */
	sqlite3_bind_int64(s, 1, (int64_t)(lim->served_certs * 16));
	/* Ids first: the rows are written while they are read. */
	if ((rc = store_stmt_ids(st, s, (size_t)INT64_MAX, &ids)) != PKS_OK)
		return rc;
	if (ids.n > 0)
		log_info("database: verifying the marked certifications of up "
			 "to %zu keys",
		    ids.n);
	for (i = 0; i < ids.n && rc == PKS_OK; i++) {
		rc = remark_one(st, ids.v[i]);
		if ((i + 1) % 1000 == 0)
			log_info("database: %zu of %zu keys", i + 1, ids.n);
	}
	store_ids_free(&ids);
	return rc;
}
