/*
 * store_listing.c: the listing facts stored with each key (table
 * key_listings), reading them for a listing of many keys, filling them
 * for keys stored before migration 009, computing them again after a
 * change of their rules (migration 014), and issuer names.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "pgp/pgp_key.h"
#include "pgp/pgp_listing.h"
#include "store/store_int.h"
#include "store/store_listing.h"
#include "store/store_wordkeys.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Distinct issuers named per listing, and the longest name kept. */
#define NAMES_MAX 256u
#define NAME_LEN 256u

enum pks_rc
store_listing_put(struct store *st, int64_t id, const struct pgp_key_info *info)
{
	sqlite3_stmt *s = NULL;
	struct buf b;
	enum pks_rc rc;

	buf_init(&b, PKS_MAX_KEY);
	if ((rc = pgp_listing_encode(info, &b)) != PKS_OK ||
	    (rc = store_stmt_get(st, STMT_LISTING_PUT, &s)) != PKS_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK ||
	    sqlite3_bind_blob64(s, 2, b.data, b.len, SQLITE_STATIC) !=
		SQLITE_OK) {
		store_stmt_done(s);
		rc = store_fail(st, sqlite3_errcode(st->db));
		goto out;
	}
	/* The word table keeps copies of the listing. */
	if ((rc = store_stmt_run(st, s)) == PKS_OK)
		rc = store_wordkeys_put(st, id);
out:
	buf_free(&b);
	return rc;
}

/*
 * The listing facts of a stored key computed from its packets (and its
 * check record; without one the self-signatures are verified now), in
 * their stored form.  PKS_ERR_PARSE for packets that do not parse.
 */
static enum pks_rc
compute(const struct store_key *k, struct buf *out)
{
	struct pgp_key *key = NULL;
	struct pgp_key_info *info = NULL;
	struct pks_err err = { 0, NULL };
	enum pks_rc rc;

	rc = pgp_key_listing(k->data, k->len, k->checks, k->checks_len,
	    PGP_LISTING_SHORT, &key, &info, &err);
	if (rc != PKS_OK)
		log_warnx("store: key id=%lld does not parse: %s",
		    (long long)k->id, err.why ? err.why : pks_rc_str(rc));
	else
		rc = pgp_listing_encode(info, out);
	pgp_key_info_free(info);
	pgp_key_free(key);
	return rc;
}

/* The stored listing of row id into *out (a copy), PKS_ERR_NOTFOUND
 * when there is none. */
static enum pks_rc
get_stored(struct store *st, int64_t id, struct buf *out)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	int r;

	if ((rc = store_stmt_get(st, STMT_LISTING_GET, &s)) != PKS_OK)
		return rc;
	r = sqlite3_bind_int64(s, 1, id);
	if (r == SQLITE_OK)
		r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		rc = buf_add(out, sqlite3_column_blob(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0));
	else if (r == SQLITE_DONE)
		rc = PKS_ERR_NOTFOUND;
	else
		rc = store_fail(st, r);
	store_stmt_done(s);
	return rc;
}

/* The facts of row id, stored or (when missing or unreadable)
 * computed; PKS_ERR_NOTFOUND for a row that is gone, PKS_ERR_PARSE for
 * a key that does not parse. */
static enum pks_rc
load_one(struct store *st, int64_t id, struct store_listing *l)
{
	struct store_key k;
	struct buf b;
	enum pks_rc rc;

	memset(l, 0, sizeof(*l));
	buf_init(&b, PKS_MAX_KEY);
	rc = get_stored(st, id, &b);
	if (rc == PKS_OK &&
	    pgp_listing_decode(b.data, b.len, &l->info) != PKS_OK) {
		log_warnx("store: key id=%lld: unreadable listing facts, "
			  "recomputed",
		    (long long)id);
		rc = PKS_ERR_NOTFOUND;
	}
	if (rc == PKS_ERR_NOTFOUND) {
		buf_reset(&b);
		rc = store_key_load(st, id, &k);
		if (rc == PKS_OK)
			rc = compute(&k, &b);
		if (rc == PKS_OK)
			rc = pgp_listing_decode(b.data, b.len, &l->info);
		store_key_clear(&k);
	}
	if (rc != PKS_OK) {
		buf_free(&b);
		return rc;
	}
	l->id = id;
	l->data = buf_steal(&b, &l->len);
	return PKS_OK;
}

/* Run one of the statements without parameters (BEGIN, ROLLBACK). */
static enum pks_rc
run_plain(struct store *st, enum store_stmt which)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	if ((rc = store_stmt_get(st, which, &s)) != PKS_OK)
		return rc;
	return store_stmt_run(st, s);
}

static enum pks_rc
load_all(struct store *st, const struct store_ids *ids, size_t limit,
    struct store_listings *out)
{
	size_t i;
	enum pks_rc rc;

	for (i = 0; i < ids->n && out->n < limit; i++) {
		rc = load_one(st, ids->v[i], &out->v[out->n]);
		if (rc == PKS_ERR_NOTFOUND || rc == PKS_ERR_PARSE ||
		    rc == PKS_ERR_UNSUPPORTED)
			continue;
		if (rc != PKS_OK)
			return rc;
		out->n++;
	}
	return PKS_OK;
}

enum pks_rc
store_listings_load(struct store *st, const struct store_ids *ids, size_t limit,
    struct store_listings *out)
{
	int own = sqlite3_get_autocommit(st->db);
	enum pks_rc rc = PKS_OK;

	out->n = 0;
	out->v = xcalloc(ids->n > 0 ? ids->n : 1, sizeof(*out->v));
	/* One read transaction for all the rows: one snapshot, and one
	 * lock instead of one per statement. */
	if (own)
		rc = run_plain(st, STMT_BEGIN_READ);
	if (rc == PKS_OK)
		rc = load_all(st, ids, limit, out);
	if (own && sqlite3_get_autocommit(st->db) == 0)
		(void)run_plain(st, STMT_ROLLBACK);
	return rc;
}

void
store_listings_free(struct store_listings *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		pgp_key_info_free(l->v[i].info);
		free(l->v[i].data);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Append one key's facts (row id, length, record) to out. */
static enum pks_rc
rows_add(struct store_listing_rows *out, int64_t id, const void *p, size_t len)
{
	uint32_t n32 = (uint32_t)len;
	enum pks_rc rc;

	if (len > UINT32_MAX)
		return PKS_ERR_TOOBIG;
	rc = buf_add(&out->b, &id, sizeof(id));
	if (rc == PKS_OK)
		rc = buf_add(&out->b, &n32, sizeof(n32));
	if (rc == PKS_OK)
		rc = buf_add(&out->b, p, len);
	if (rc == PKS_OK)
		out->n++;
	return rc;
}

/* Row id's facts as stored (p, len; p NULL: none stored), or computed
 * when missing or unreadable, into out.  A key that is gone or does
 * not parse is left out. */
static enum pks_rc
rows_put(struct store *st, struct pgp_listing_dec *d, int64_t id, const void *p,
    size_t len, struct store_listing_rows *out)
{
	struct store_listing l;
	enum pks_rc rc;

	if (p != NULL && pgp_listing_dec_read(d, p, len) == PKS_OK)
		return rows_add(out, id, p, len);
	if (p != NULL)
		log_warnx("store: key id=%lld: unreadable listing facts, "
			  "recomputed",
		    (long long)id);
	rc = load_one(st, id, &l);
	if (rc == PKS_OK)
		rc = rows_add(out, id, l.data, l.len);
	else if (rc == PKS_ERR_NOTFOUND || rc == PKS_ERR_PARSE ||
		 rc == PKS_ERR_UNSUPPORTED)
		rc = PKS_OK;
	pgp_key_info_free(l.info);
	free(l.data);
	return rc;
}

/* What a word table search gives each key found to. */
struct words_put {
	struct store *st;
	struct pgp_listing_dec *d;
	struct store_listing_rows *out;
};

static enum pks_rc
words_put(void *arg, int64_t id, const void *p, size_t len)
{
	struct words_put *wp = arg;

	return rows_put(wp->st, wp->d, id, p, len, wp->out);
}

/* A word search and its facts: from the word table, or, for words it
 * cannot answer, from the full-text match in one statement. */
static enum pks_rc
search_words(struct store *st, const char *text, size_t max,
    struct pgp_listing_dec *d, struct store_listing_rows *out)
{
	struct words_put wp = { st, d, out };
	sqlite3_stmt *s = NULL;
	struct buf q;
	size_t nwords = 0, n;
	enum pks_rc rc;
	int r;

	buf_init(&q, 3 * PKS_MAX_QUERY + 16);
	rc = store_words_query(text, strlen(text), &q, &nwords);
	if (rc != PKS_OK || nwords == 0)
		goto out;
	rc = store_wordkeys_search(st, q.data, q.len, max, words_put, &wp, &n);
	if (rc == PKS_OK && n > max)
		out->n = max + 1; /* refused: no rows read */
	if (rc != PKS_ERR_UNSUPPORTED ||
	    (rc = store_stmt_get(st, STMT_LISTING_WORDS, &s)) != PKS_OK)
		goto out;
	r = sqlite3_bind_text(
	    s, 1, (const char *)q.data, (int)q.len, SQLITE_STATIC);
	if (r == SQLITE_OK)
		r = sqlite3_bind_int64(s, 2, (int64_t)max + 1);
	while (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		rc = rows_put(st, d, sqlite3_column_int64(s, 0),
		    sqlite3_column_blob(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1), out);
		r = rc == PKS_OK ? SQLITE_OK : SQLITE_DONE;
	}
	if (rc == PKS_OK && r != SQLITE_DONE)
		rc = store_fail(st, r);
	store_stmt_done(s);
out:
	buf_free(&q);
	return rc;
}

/* Any other search: its row ids, then each key's facts. */
static enum pks_rc
search_ids(struct store *st, const struct store_query *q, size_t max,
    struct pgp_listing_dec *d, struct store_listing_rows *out)
{
	struct store_ids ids = { NULL, 0 };
	struct buf b;
	size_t i;
	enum pks_rc rc;

	buf_init(&b, PKS_MAX_KEY);
	rc = store_query_run(st, q, max, &ids);
	for (i = 0; i < ids.n && rc == PKS_OK; i++) {
		buf_reset(&b);
		rc = get_stored(st, ids.v[i], &b);
		if (rc == PKS_OK)
			rc = rows_put(st, d, ids.v[i], b.data, b.len, out);
		else if (rc == PKS_ERR_NOTFOUND)
			rc = rows_put(st, d, ids.v[i], NULL, 0, out);
	}
	buf_free(&b);
	store_ids_free(&ids);
	return rc;
}

enum pks_rc
store_listings_search(struct store *st, const struct store_query *q, size_t max,
    struct store_listing_rows *out)
{
	int own = sqlite3_get_autocommit(st->db);
	struct pgp_listing_dec d;
	enum pks_rc rc = PKS_OK;

	buf_init(&out->b, PKS_MAX_KEY);
	out->n = 0;
	if (max >= (size_t)INT64_MAX - 1)
		max = (size_t)INT64_MAX - 2;
	pgp_listing_dec_init(&d);
	/* One snapshot for all the rows (and one lock). */
	if (own)
		rc = run_plain(st, STMT_BEGIN_READ);
	if (rc == PKS_OK && q->kind == STORE_QUERY_WORDS)
		rc = search_words(st, q->text, max, &d, out);
	else if (rc == PKS_OK)
		rc = search_ids(st, q, max, &d, out);
	if (own && sqlite3_get_autocommit(st->db) == 0)
		(void)run_plain(st, STMT_ROLLBACK);
	pgp_listing_dec_free(&d);
	return rc;
}

int
store_listing_rows_next(const struct store_listing_rows *r, size_t *pos,
    int64_t *id, const uint8_t **data, size_t *len)
{
	uint32_t n32;

	if (*pos + sizeof(*id) + sizeof(n32) > r->b.len)
		return 0;
	memcpy(id, r->b.data + *pos, sizeof(*id));
	memcpy(&n32, r->b.data + *pos + sizeof(*id), sizeof(n32));
	*pos += sizeof(*id) + sizeof(n32);
	*data = r->b.data + *pos;
	*len = n32;
	*pos += n32;
	return 1;
}

void
store_listing_rows_free(struct store_listing_rows *r)
{
	buf_free(&r->b);
	r->n = 0;
}

/* Listing facts for one key that has none. */
static enum pks_rc
fill_one(struct store *st, int64_t id)
{
	struct store_key k;
	struct buf b;
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	buf_init(&b, PKS_MAX_KEY);
	if ((rc = store_key_load(st, id, &k)) != PKS_OK)
		goto out;
	if ((rc = compute(&k, &b)) != PKS_OK) {
		/* Not listable: left for pksync check to report. */
		rc = PKS_OK;
		goto out;
	}
	if ((rc = store_stmt_get(st, STMT_LISTING_PUT, &s)) != PKS_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK ||
	    sqlite3_bind_blob64(s, 2, b.data, b.len, SQLITE_STATIC) !=
		SQLITE_OK) {
		store_stmt_done(s);
		rc = store_fail(st, sqlite3_errcode(st->db));
		goto out;
	}
	rc = store_stmt_run(st, s);
out:
	store_key_clear(&k);
	buf_free(&b);
	return rc;
}

enum pks_rc
store_listings_fill(struct store *st)
{
	struct store_ids ids = { NULL, 0 };
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	size_t i;

	if ((rc = store_stmt_get(st, STMT_LISTING_MISSING, &s)) != PKS_OK)
		return rc;
	/* Ids first: the table is written while they are read. */
	if ((rc = store_stmt_ids(st, s, (size_t)INT64_MAX, &ids)) != PKS_OK)
		return rc;
	if (ids.n > 0)
		log_info("database: listing facts for %zu keys", ids.n);
	for (i = 0; i < ids.n && rc == PKS_OK; i++)
		rc = fill_one(st, ids.v[i]);
	store_ids_free(&ids);
	return rc;
}

/* Keys between two progress lines of store_listings_relist. */
#define RELIST_STEP 50000

/* Key row id's facts computed again; when they differ from the stored
 * ones, written with what derives from them (*changed counts it). */
static enum pks_rc
relist_one(struct store *st, int64_t id, size_t *changed)
{
	struct pks_err err = { 0, NULL };
	struct pgp_key_info *info = NULL;
	struct pgp_key *key = NULL;
	struct store_key k;
	struct buf now, old;
	enum pks_rc rc;

	buf_init(&now, PKS_MAX_KEY);
	buf_init(&old, PKS_MAX_KEY);
	rc = store_key_load(st, id, &k);
	if (rc != PKS_OK)
		goto out;
	/* Not listable: left as it is, for pksync check to report. */
	if (pgp_key_listing(k.data, k.len, k.checks, k.checks_len,
		PGP_LISTING_SHORT, &key, &info, &err) != PKS_OK ||
	    pgp_listing_encode(info, &now) != PKS_OK)
		goto out;
	rc = get_stored(st, id, &old);
	if (rc == PKS_OK && old.len == now.len &&
	    memcmp(old.data, now.data, now.len) == 0)
		goto out;
	if (rc != PKS_OK && rc != PKS_ERR_NOTFOUND)
		goto out;
	(*changed)++;
	rc = store_key_relisted(st, id, info);
	if (rc == PKS_OK)
		rc = store_listing_put(st, id, info);
out:
	pgp_key_info_free(info);
	pgp_key_free(key);
	store_key_clear(&k);
	buf_free(&now);
	buf_free(&old);
	return rc == PKS_ERR_NOTFOUND ? PKS_OK : rc;
}

enum pks_rc
store_listings_relist(struct store *st)
{
	int64_t top, id;
	size_t changed = 0;
	enum pks_rc rc;

	if ((rc = store_query_int(st, STMT_KEYS_MAX_ID, &top)) != PKS_OK)
		return rc;
	if (top > 0)
		log_info("database: listing facts of every key computed "
			 "again (keys up to id %lld)",
		    (long long)top);
	for (id = 1; id <= top && rc == PKS_OK; id++) {
		rc = relist_one(st, id, &changed);
		if (id % RELIST_STEP == 0 && id < top)
			log_info("database: listing facts: keys up to id %lld "
				 "of %lld, %zu changed",
			    (long long)id, (long long)top, changed);
	}
	if (rc == PKS_OK && top > 0)
		log_info("database: listing facts: %zu keys changed", changed);
	return rc;
}

struct store_names {
	struct store *st;
	struct {
		uint8_t keyid[8];
		uint8_t *name; /* NULL: unknown */
		size_t len;
	} v[NAMES_MAX];
	size_t n;
};

struct store_names *
store_names_new(struct store *st)
{
	struct store_names *nm = xcalloc(1, sizeof(*nm));

	nm->st = st;
	return nm;
}

void
store_names_free(struct store_names *nm)
{
	size_t i;

	if (nm == NULL)
		return;
	for (i = 0; i < nm->n; i++)
		free(nm->v[i].name);
	free(nm);
}

/* The primary user ID of the one key whose primary key has keyid. */
static uint8_t *
lookup_name(struct store *st, const uint8_t keyid[8], size_t *len)
{
	struct store_ids ids = { NULL, 0 };
	struct store_listing l;
	uint64_t id = 0;
	uint8_t *name = NULL;
	size_t i;

	memset(&l, 0, sizeof(l));
	for (i = 0; i < 8; i++)
		id = id << 8 | keyid[i];
	if (store_search_keyid(st, id, 64, 1, &ids) != PKS_OK || ids.n != 1 ||
	    load_one(st, ids.v[0], &l) != PKS_OK)
		goto out;
	if (l.info->nuids == 0 || l.info->uids[0].is_uat ||
	    l.info->uids[0].len == 0 ||
	    memcmp(l.info->fpr.keyid, keyid, 8) != 0)
		goto out;
	*len = l.info->uids[0].len < NAME_LEN ? l.info->uids[0].len : NAME_LEN;
	name = xmalloc(*len);
	memcpy(name, l.info->uids[0].text, *len);
out:
	pgp_key_info_free(l.info);
	free(l.data);
	store_ids_free(&ids);
	return name;
}

const uint8_t *
store_names_get(struct store_names *nm, const uint8_t keyid[8], size_t *len)
{
	size_t i;

	for (i = 0; i < nm->n; i++)
		if (memcmp(nm->v[i].keyid, keyid, 8) == 0)
			break;
	if (i == nm->n) {
		if (nm->n == NAMES_MAX)
			return NULL;
		memcpy(nm->v[i].keyid, keyid, 8);
		nm->v[i].len = 0;
		nm->v[i].name = lookup_name(nm->st, keyid, &nm->v[i].len);
		nm->n++;
	}
	*len = nm->v[i].len;
	return nm->v[i].name;
}
