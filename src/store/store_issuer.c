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

/* Take the verdicts the stored copy (row id) holds. */
static enum pks_rc
reuse_stored(struct store *st, const struct pgp_key *key, int64_t id,
    struct pgp_issuer *v, size_t n, struct store_mark *m)
{
	struct store_key sk;
	struct pgp_key *prev = NULL;
	struct pks_err err;
	enum pks_rc rc;

	if (id == 0)
		return PKS_OK;
	memset(&sk, 0, sizeof(sk));
	rc = store_key_load(st, id, &sk);
	if (rc == PKS_ERR_NOTFOUND)
		return PKS_OK;
	if (rc == PKS_OK && sk.checks != NULL &&
	    pgp_key_parse(sk.data, sk.len, &prev, &err) == PKS_OK)
		m->reused += pgp_issuers_reuse(
		    key, v, n, prev, sk.checks, sk.checks_len);
	pgp_key_free(prev);
	store_key_clear(&sk);
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

enum pks_rc
store_issuers_mark(struct store *st, const struct pgp_key *key, int64_t id,
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
	rc = reuse_stored(st, key, id, v, n, m);
	if (rc == PKS_OK)
		rc = store_issuers_known(st, v, n);
	if (rc == PKS_OK)
		rc = verify_known(st, key, v, n, lim->issuer_verifications, m);
	if (rc == PKS_OK)
		rc = pgp_checks_mark_known(chk, v, n);
	log_left(key, m);
	free(v);
	return rc;
}
