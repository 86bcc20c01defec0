/*
 * hkp_lookup.c: GET /pks/lookup with op=get, hget, index and vindex.
 *
 * A search returns at most max_matches keys; more is an error, never a
 * partial list.  Keys are served as stored (canonical SKS packets).
 * Machine-readable output: op=get gives one armored block holding every
 * matching key (application/pgp-keys), op=index and vindex give
 * "info:1:N" and pgp_index_mr() lines (text/plain, LF).  Keys with v5
 * or v6 fingerprints are listed too: gpg 2.2 skips their 64-digit pub
 * lines, newer clients can use them.  Otherwise small HTML pages.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hkp/hkp_html.h"
#include "hkp/hkp_cache.h"
#include "hkp/hkp_rcache.h"
#include "hkp/hkp_int.h"
#include "pgp/pgp_armor.h"
#include "pgp/pgp_fpr.h"
#include "pgp/pgp_index.h"
#include "pgp/pgp_key.h"
#include "pgp/pgp_listing.h"
#include "store/store_tombstone.h"
#include "pgp/pgp_verify.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/xalloc.h"

static enum pks_rc
db_fail(struct hkp_ctx *ctx, struct store *st, enum pks_rc rc)
{
	if (rc == PKS_ERR_BUSY)
		return hkp_fail(ctx, rc, "database busy; try again later");
	log_warnx("hkp: lookup: %s: %s", pks_rc_str(rc), store_errmsg(st));
	return hkp_fail(ctx, rc, "database error during the search");
}

/* The row ids a search finds (and, when hash is not NULL, the first
 * key's hash and stamp if the search gives them: *have_hash);
 * PKS_ERR_NOTFOUND or _TOOMANY as errors. */
static enum pks_rc
find_ids_hash(struct hkp_ctx *ctx, const struct store_query *s,
    struct store_ids *ids, uint8_t *hash, int64_t *stamp, int *have_hash)
{
	struct store *st;
	enum pks_rc rc;

	ids->v = NULL;
	ids->n = 0;
	rc = hkp_ctx_store(ctx, &st);
	if (rc != PKS_OK)
		return rc;
	if (hash != NULL)
		rc = store_query_run_hash(
		    st, s, ctx->max_matches, ids, hash, stamp, have_hash);
	else
		rc = store_query_run(st, s, ctx->max_matches, ids);
	if (rc != PKS_OK)
		rc = db_fail(ctx, st, rc);
	else if (ids->n > ctx->max_matches)
		rc = hkp_fail(ctx, PKS_ERR_TOOMANY,
		    "Too many keys match; be more specific");
	else if (ids->n == 0)
		rc = hkp_fail(ctx, PKS_ERR_NOTFOUND, "No keys found");
	if (rc != PKS_OK)
		store_ids_free(ids);
	return rc;
}

static enum pks_rc
find_ids(
    struct hkp_ctx *ctx, const struct store_query *s, struct store_ids *ids)
{
	return find_ids_hash(ctx, s, ids, NULL, NULL, NULL);
}

static enum pks_rc
too_big(struct hkp_ctx *ctx, enum pks_rc rc)
{
	if (rc == PKS_ERR_TOOBIG)
		return hkp_fail(ctx, rc,
		    "the matching keys are too large; "
		    "be more specific");
	return hkp_fail(ctx, rc, NULL);
}

/* The search term as the user typed it (for page titles). */
static const char *
search_text(const struct hkp_ctx *ctx, size_t *len)
{
	const struct hkp_field *f = hkp_form_get(ctx->args, "search");

	*len = f != NULL ? f->len : 0;
	return f != NULL ? f->value : "";
}

static enum pks_rc
page_begin(struct hkp_ctx *ctx, const char *what, struct buf *out)
{
	const char *s;
	size_t len;
	enum pks_rc rc;

	s = search_text(ctx, &len);
	rc = hkp_html_begin(out, what);
	if (rc == PKS_OK)
		rc = buf_adds(out, "<p>Search: <code>");
	if (rc == PKS_OK)
		rc = hkp_html_escape(out, s, len);
	if (rc == PKS_OK)
		rc = buf_adds(out, "</code></p>\n");
	return rc;
}

/* Write a one-key stream out at once: the answer gets a length and
 * can be kept alive, and holds one key as a stream would. */
static enum pks_rc
drain(struct hkp_reply *r)
{
	char chunk[65536];
	enum pks_rc rc = PKS_OK;
	long n;

	while (rc == PKS_OK &&
	       (n = hkp_stream_read(r->stream, chunk, sizeof(chunk))) != 0)
		rc = n < 0 ? PKS_ERR_DB : buf_add(&r->body, chunk, (size_t)n);
	hkp_stream_free(r->stream);
	r->stream = NULL;
	return rc;
}

/* A get that found nothing: 410 with the operator's reason when the
 * key was removed for good (pksync delete), else the 404 as it was. */
static enum pks_rc
removed(struct hkp_ctx *ctx, const struct store_query *s)
{
	struct store *st;
	char *reason = NULL;

	if (hkp_ctx_store(ctx, &st) != PKS_OK ||
	    store_tombstone_match(st, s, &reason) != PKS_OK)
		return PKS_ERR_NOTFOUND;
	snprintf(ctx->why_buf, sizeof(ctx->why_buf),
	    "This key was removed from this server: %s", reason);
	free(reason);
	return hkp_fail(ctx, PKS_ERR_GONE, ctx->why_buf);
}

/*
 * One key whose armor is in the cache: the answer (r's body, empty
 * before) is head, the cached armor, tail, written at once without
 * reading the key's packets (the armor alone is the cached bytes
 * themselves).  Anything else (not cached, too large)
 * leaves the body empty for the streamed answer: PKS_ERR_NOTFOUND.
 */
static enum pks_rc
get_cached(struct hkp_ctx *ctx, int64_t id, uint8_t hash[16], int64_t stamp,
    int have_hash, const struct buf *head, const char *tail,
    struct hkp_reply *r)
{
	struct hkp_cache *c = hkp_ctx_cache(ctx);
	struct store *st;
	enum pks_rc rc;

	if (c == NULL)
		return PKS_ERR_NOTFOUND;
	if (!have_hash && (hkp_ctx_store(ctx, &st) != PKS_OK ||
			      store_key_hash(st, id, hash, &stamp) != PKS_OK))
		return PKS_ERR_NOTFOUND;
	if (head->len == 0 && tail == NULL) {
		/* the armor alone: sent as cached, without a copy */
		r->armor = hkp_cache_ref(
		    c, id, hash, stamp, &r->armor_data, &r->armor_len);
		return r->armor != NULL ? PKS_OK : PKS_ERR_NOTFOUND;
	}
	rc = buf_add(&r->body, head->data, head->len);
	if (rc == PKS_OK)
		rc = hkp_cache_get(c, id, hash, stamp, &r->body);
	if (rc == PKS_OK && tail != NULL)
		rc = buf_adds(&r->body, tail);
	if (rc == PKS_OK)
		return PKS_OK;
	buf_reset(&r->body);
	return PKS_ERR_NOTFOUND;
}

/*
 * op=get and hget: every key found as one armored block, streamed
 * (hkp_stream.c) so that a slow reader holds one key, not all of them;
 * the HTML form wraps the block in a page (armor needs no escaping).
 * One key (the usual answer) is written at once.
 */
enum pks_rc
hkp_lookup_get(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r)
{
	struct store_ids ids;
	struct buf head;
	const char *tail;
	uint8_t hash[16];
	int64_t stamp = 0;
	int cached = 0, have_hash = 0;
	enum pks_rc rc;

	rc = find_ids_hash(ctx, &q->search, &ids, hash, &stamp, &have_hash);
	if (rc == PKS_ERR_NOTFOUND)
		return removed(ctx, &q->search);
	if (rc != PKS_OK)
		return rc;
	buf_init(&head, HKP_MAX_REPLY);
	if (q->opts & HKP_OPT_MR) {
		r->type = "application/pgp-keys";
	} else {
		rc = page_begin(ctx, "Public keys", &head);
		if (rc == PKS_OK)
			rc = buf_adds(&head, "<pre>\n");
	}
	tail = (q->opts & HKP_OPT_MR) ? NULL : "</pre>\n" HKP_HTML_END;
	if (rc == PKS_OK && ids.n == 1)
		cached = get_cached(ctx, ids.v[0], hash, stamp, have_hash,
			     &head, tail, r) == PKS_OK;
	if (rc == PKS_OK && !cached)
		rc = hkp_stream_armor(ctx, ids.v, ids.n,
		    (const char *)head.data, head.len, tail, r);
	if (rc == PKS_OK && !cached && ids.n == 1)
		rc = drain(r);
	r->have_count = 1;
	r->count = ids.n;
	buf_free(&head);
	store_ids_free(&ids);
	return rc == PKS_OK ? PKS_OK : too_big(ctx, rc);
}

/* The first time after now at which info's mr lines change (a key or
 * user ID expires), if before *until (0: none yet). */
static void
next_change(const struct pgp_key_info *info, time_t now, time_t *until)
{
	size_t i;

	if (info->expires > (int64_t)now &&
	    (*until == 0 || info->expires < (int64_t)*until))
		*until = (time_t)info->expires;
	for (i = 0; i < info->nuids; i++)
		if (!info->uids[i].is_uat &&
		    info->uids[i].expires > (int64_t)now &&
		    (*until == 0 || info->uids[i].expires < (int64_t)*until))
			*until = (time_t)info->uids[i].expires;
}

/* The mr lines of keys listed from their stored facts, true until
 * *until (0: for good). */
static enum pks_rc
index_mr(const struct store_listing_rows *rows, time_t now, time_t *until,
    struct hkp_reply *r)
{
	struct pgp_listing_dec d;
	const uint8_t *p;
	size_t pos = 0, len;
	int64_t id;
	enum pks_rc rc;

	*until = 0;
	pgp_listing_dec_init(&d);
	rc = buf_printf(&r->body, "info:1:%zu\n", rows->n);
	while (
	    rc == PKS_OK && store_listing_rows_next(rows, &pos, &id, &p, &len))
		if (pgp_listing_dec_read(&d, p, len) == PKS_OK) {
			rc = pgp_index_mr(&d.info, now, &r->body);
			next_change(&d.info, now, until);
		}
	pgp_listing_dec_free(&d);
	r->type = "text/plain; charset=utf-8";
	return rc;
}

/* The answer cache's key for q (an mr listing by words or address):
 * its kind and normalised text; 0 for any other search. */
static size_t
rcache_key(const struct hkp_ctx *ctx, const struct hkp_query *q, char *key,
    size_t size)
{
	size_t len;

	if (hkp_ctx_rcache(ctx) == NULL || !(q->opts & HKP_OPT_MR) ||
	    (q->search.kind != STORE_QUERY_WORDS &&
		q->search.kind != STORE_QUERY_EMAIL))
		return 0;
	len = strlen(q->search.text);
	if (len + 2 > size)
		return 0;
	key[0] = q->search.kind == STORE_QUERY_WORDS ? 'w' : 'e';
	memcpy(key + 1, q->search.text, len);
	return len + 1;
}

/* The answer cache's baseline of this thread's connection (0: none;
 * hkp_server_store keeps one connection a thread). */
static _Thread_local uint64_t rcache_since;

/*
 * The cached answer to key into r: PKS_OK, else PKS_ERR_NOTFOUND and
 * *gen the generation a fresh answer is to be kept with.  The
 * connection looks for commits before anything is read, and is served
 * only answers read after its baseline (hkp_rcache.c), so no answer
 * read from an older snapshot is served or kept.
 */
static enum pks_rc
index_cached(struct hkp_ctx *ctx, struct store *st, const char *key,
    size_t klen, uint64_t *gen, struct hkp_reply *r)
{
	struct hkp_rcache *c = hkp_ctx_rcache(ctx);
	enum store_change seen = store_changed(st);
	size_t count = 0;

	if (seen == STORE_FIRST)
		rcache_since = 0;
	*gen = hkp_rcache_look(c, seen == STORE_CHANGED, &rcache_since);
	if (hkp_rcache_get(c, rcache_since, key, klen, time(NULL), &r->body,
		&count) != PKS_OK)
		return PKS_ERR_NOTFOUND;
	r->type = "text/plain; charset=utf-8";
	r->have_count = 1;
	r->count = count;
	return PKS_OK;
}

/*
 * op=index (and mr vindex): listed from the stored facts alone, read
 * with the search (at most max_matches + 1 keys' facts, never a key's
 * packets), so a search that matches too many keys is refused before
 * any key is read.
 */
static enum pks_rc
index_short(struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r)
{
	struct store_listing_rows rows;
	struct store *st;
	char key[PKS_MAX_QUERY + 2];
	size_t klen;
	uint64_t gen = 0;
	time_t now = time(NULL), until = 0;
	enum pks_rc rc;

	if ((rc = hkp_ctx_store(ctx, &st)) != PKS_OK)
		return rc;
	klen = rcache_key(ctx, q, key, sizeof(key));
	if (klen > 0 && index_cached(ctx, st, key, klen, &gen, r) == PKS_OK)
		return PKS_OK;
	rc = store_listings_search(st, &q->search, ctx->max_matches, &rows);
	if (rc != PKS_OK)
		rc = rc == PKS_ERR_TOOBIG ? rc : db_fail(ctx, st, rc);
	else if (rows.n > ctx->max_matches)
		rc = hkp_fail(ctx, PKS_ERR_TOOMANY,
		    "Too many keys match; be more specific");
	else if (rows.n == 0)
		rc = hkp_fail(ctx, PKS_ERR_NOTFOUND, "No keys found");
	else if (q->opts & HKP_OPT_MR)
		rc = index_mr(&rows, now, &until, r);
	else if ((rc = page_begin(ctx, "Search results", &r->body)) == PKS_OK) {
		rc = hkp_index_short(q, &rows, &r->body);
		if (rc == PKS_OK)
			rc = hkp_html_end(&r->body);
	}
	if (rc == PKS_OK && klen > 0)
		hkp_rcache_put(hkp_ctx_rcache(ctx), gen, key, klen, until,
		    rows.n, r->body.data, r->body.len);
	r->have_count = 1;
	r->count = rows.n;
	store_listing_rows_free(&rows);
	return rc;
}

/* op=vindex: the keys as served, with their signatures. */
static enum pks_rc
index_long(struct hkp_ctx *ctx, const struct hkp_query *q, struct store *st,
    const struct store_ids *ids, struct hkp_reply *r)
{
	struct store_keys f = { NULL, 0 };
	enum pks_rc rc;

	if ((rc = store_keys_load(st, ids, ids->n, &f)) != PKS_OK)
		rc = db_fail(ctx, st, rc);
	else if (f.n == 0)
		rc = hkp_fail(ctx, PKS_ERR_NOTFOUND, "No keys found");
	else if ((rc = page_begin(ctx, "Search results", &r->body)) == PKS_OK) {
		rc = hkp_index_long(q, st, &f, &r->body);
		if (rc == PKS_OK)
			rc = hkp_html_end(&r->body);
		r->have_count = 1;
		r->count = f.n;
	}
	store_keys_free(&f);
	return rc;
}

/*
 * op=index and op=vindex.  The HTML vindex counts the search first (at
 * most max_matches + 1 row ids), so a search that matches too many
 * keys is refused before any key is read.
 */
enum pks_rc
hkp_lookup_index(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r)
{
	struct store_ids ids = { NULL, 0 };
	struct store *st;
	enum pks_rc rc;

	if (q->op != HKP_OP_VINDEX || (q->opts & HKP_OPT_MR)) {
		rc = index_short(ctx, q, r);
		return rc == PKS_OK ? PKS_OK : too_big(ctx, rc);
	}
	rc = find_ids(ctx, &q->search, &ids);
	if (rc != PKS_OK)
		return rc;
	rc = hkp_ctx_store(ctx, &st);
	if (rc == PKS_OK)
		rc = index_long(ctx, q, st, &ids, r);
	store_ids_free(&ids);
	return rc == PKS_OK ? PKS_OK : too_big(ctx, rc);
}
