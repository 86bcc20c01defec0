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
#include "hkp/hkp_int.h"
#include "pgp/pgp_armor.h"
#include "pgp/pgp_fpr.h"
#include "pgp/pgp_index.h"
#include "pgp/pgp_key.h"
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

/* The row ids a search finds; PKS_ERR_NOTFOUND or _TOOMANY as errors. */
static enum pks_rc
find_ids(
    struct hkp_ctx *ctx, const struct store_query *s, struct store_ids *ids)
{
	struct store *st;
	enum pks_rc rc;

	ids->v = NULL;
	ids->n = 0;
	rc = hkp_ctx_store(ctx, &st);
	if (rc != PKS_OK)
		return rc;
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

/* Search and load the keys; PKS_ERR_NOTFOUND or _TOOMANY as errors. */
static enum pks_rc
find_keys(
    struct hkp_ctx *ctx, const struct store_query *s, struct store_keys *out)
{
	struct store_ids ids = { NULL, 0 };
	struct store *st;
	enum pks_rc rc;

	out->v = NULL;
	out->n = 0;
	rc = find_ids(ctx, s, &ids);
	if (rc != PKS_OK)
		return rc;
	rc = hkp_ctx_store(ctx, &st);
	if (rc == PKS_OK &&
	    (rc = store_keys_load(st, &ids, ids.n, out)) != PKS_OK)
		rc = db_fail(ctx, st, rc);
	if (rc == PKS_OK && out->n == 0)
		rc = hkp_fail(ctx, PKS_ERR_NOTFOUND, "No keys found");
	store_ids_free(&ids);
	if (rc != PKS_OK)
		store_keys_free(out);
	return rc;
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
	enum pks_rc rc;

	rc = find_ids(ctx, &q->search, &ids);
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
	if (rc == PKS_OK)
		rc = hkp_stream_armor(ctx, ids.v, ids.n,
		    (const char *)head.data, head.len,
		    (q->opts & HKP_OPT_MR) ? NULL : "</pre>\n" HKP_HTML_END, r);
	if (rc == PKS_OK && ids.n == 1)
		rc = drain(r);
	r->have_count = 1;
	r->count = ids.n;
	buf_free(&head);
	store_ids_free(&ids);
	return rc == PKS_OK ? PKS_OK : too_big(ctx, rc);
}

static enum pks_rc
index_mr(const struct store_keys *f, struct hkp_reply *r)
{
	struct pgp_key *key;
	struct pgp_key_info *info;
	struct buf lines;
	time_t now = time(NULL);
	size_t i, n = 0;
	enum pks_rc rc = PKS_OK;

	buf_init(&lines, HKP_MAX_REPLY);
	for (i = 0; i < f->n && rc == PKS_OK; i++) {
		if (hkp_key_info(&f->v[i], 0, &key, &info) != PKS_OK)
			continue;
		rc = pgp_index_mr(info, now, &lines);
		n++;
		pgp_key_info_free(info);
		pgp_key_free(key);
	}
	if (rc == PKS_OK)
		rc = buf_printf(&r->body, "info:1:%zu\n", n);
	if (rc == PKS_OK)
		rc = buf_add(&r->body, lines.data, lines.len);
	buf_free(&lines);
	r->type = "text/plain; charset=utf-8";
	r->have_count = 1;
	r->count = n;
	return rc;
}

enum pks_rc
hkp_lookup_index(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r)
{
	struct store_keys f;
	enum pks_rc rc;

	rc = find_keys(ctx, &q->search, &f);
	if (rc != PKS_OK)
		return rc;
	if (q->opts & HKP_OPT_MR) {
		rc = index_mr(&f, r);
		if (rc == PKS_OK && r->count == 0)
			rc = hkp_fail(ctx, PKS_ERR_NOTFOUND, "No keys found");
	} else {
		rc = page_begin(ctx, "Search results", &r->body);
		if (rc == PKS_OK)
			rc = hkp_index_html(q, f.v, f.n, &r->body);
		if (rc == PKS_OK)
			rc = hkp_html_end(&r->body);
		r->have_count = 1;
		r->count = f.n;
	}
	store_keys_free(&f);
	return rc == PKS_OK ? PKS_OK : too_big(ctx, rc);
}
