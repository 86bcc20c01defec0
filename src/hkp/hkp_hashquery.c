/*
 * hkp_hashquery.c: POST /pks/hashquery (recon peers fetch keys by their
 * SKS hash).  The body decoder is pure; the handler reads the store.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "hkp/hkp_hashquery.h"
#include "hkp/hkp_int.h"
#include "util/log.h"
#include "util/xalloc.h"

static uint32_t
get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int
cmp_hash(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

void
hkp_hashes_free(struct hkp_hashes *h)
{
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

enum pks_rc
hkp_hashquery_decode(const uint8_t *body, size_t len, struct hkp_hashes *out,
    struct pks_err *err)
{
	uint32_t count, i, hlen;
	size_t off = 4, n = 0;

	out->v = NULL;
	out->n = 0;
	if (len < 4)
		return pks_fail(err, 0, "short hashquery body", PKS_ERR_PARSE);
	count = get_be32(body);
	if (count > PKS_MAX_HASHQUERY)
		return pks_fail(
		    err, 0, "too many hashes in one hashquery", PKS_ERR_TOOBIG);
	if ((size_t)count * 20 > len - 4)
		return pks_fail(err, 0, "hashquery body shorter than its count",
		    PKS_ERR_PARSE);
	out->v = xreallocarray(NULL, count ? count : 1, sizeof(*out->v));
	for (i = 0; i < count; i++, off += 20) {
		hlen = get_be32(body + off);
		if (hlen != 16) {
			hkp_hashes_free(out);
			return pks_fail(
			    err, off, "hash length is not 16", PKS_ERR_PARSE);
		}
		memcpy(out->v[i], body + off + 4, 16);
	}
	qsort(out->v, count, sizeof(*out->v), cmp_hash);
	for (i = 0; i < count; i++)
		if (n == 0 || memcmp(out->v[n - 1], out->v[i], 16) != 0)
			memmove(out->v[n++], out->v[i], 16);
	out->n = n;
	return PKS_OK;
}

/* Append the row id of the stored key with this hash, if any. */
static enum pks_rc
find_hash(struct store *st, const uint8_t hash[16], struct store_ids *all)
{
	struct store_ids ids = { NULL, 0 };
	enum pks_rc rc;

	rc = store_search_hash(st, hash, 1, &ids);
	if (rc == PKS_OK && ids.n > 0)
		all->v[all->n++] = ids.v[0];
	store_ids_free(&ids);
	return rc;
}

/*
 * The keys are found first (row ids only), then streamed one at a time
 * (hkp_stream.c): the answer's count comes first, and a slow reader
 * holds one key, not the whole answer.
 */
enum pks_rc
hkp_hashquery(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r)
{
	struct hkp_hashes hs = { NULL, 0 };
	struct pks_err err = { 0, NULL };
	struct store_ids ids = { NULL, 0 };
	struct store *st;
	size_t i;
	enum pks_rc rc;

	(void)q;
	rc = hkp_hashquery_decode(ctx->body, ctx->bodylen, &hs, &err);
	if (rc != PKS_OK)
		return hkp_fail(ctx, rc, err.why);
	rc = hkp_ctx_store(ctx, &st);
	if (rc != PKS_OK)
		goto out;
	ids.v = xreallocarray(NULL, hs.n ? hs.n : 1, sizeof(*ids.v));
	for (i = 0; i < hs.n && rc == PKS_OK; i++)
		rc = find_hash(st, hs.v[i], &ids);
	if (rc != PKS_OK) {
		rc = hkp_fail(ctx, rc, "database error while fetching keys");
		goto out;
	}
	if (ids.n < hs.n)
		log_debug("hashquery: %zu of %zu hashes found", ids.n, hs.n);
	rc = hkp_stream_hashquery(ctx, ids.v, ids.n, r);
	r->type = "pgp/keys";
	r->have_count = 1;
	r->count = ids.n;
out:
	store_ids_free(&ids);
	hkp_hashes_free(&hs);
	return rc;
}
