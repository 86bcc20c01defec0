/*
 * ingest_plan.c: the work on a text's keys that needs no write lock,
 * done before ingest_text takes it.
 *
 * An upload or a mail is decoded (armor blocks into binary keyrings),
 * split into keys, and each key parsed and checked; a key that is not
 * stored yet (a read, no lock) also has its row prepared: its stored
 * bytes, verified self-signatures, index facts and SKS hash.  What is
 * left for the transaction is the database part, key by key in input
 * order (ingest.c replays the plan).  So the write lock, which every
 * other writer (the other mail-filter processes, uploads, recon) waits
 * for, is held for the writes alone and not through the signature
 * checks.  A key stored by someone else in between is merged in the
 * transaction as usual; its prepared row is then unused.
 *
 * Memory: the decoded blocks and the parsed keys of one text at once,
 * a few times the text's bytes, so ingest_text plans only texts of at
 * most INGEST_PLAN_MAX bytes (a larger one is done in the transaction,
 * key by key, as before).
 *
 * ingest_armor_walk, the walk over a text's armored blocks, is here too:
 * the plan and the transaction's own path share it.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "ingest/ingest_int.h"
#include "pgp/pgp_armor.h"
#include "store/store.h"
#include "util/limits.h"
#include "util/xalloc.h"

struct plan_ctx {
	struct store *st;
	struct ingest_plan *plan;
};

static struct ingest_item *
plan_push(struct ingest_plan *p)
{
	struct ingest_item *it;

	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 8;
		p->v = xreallocarray(p->v, p->cap, sizeof(*p->v));
	}
	it = &p->v[p->n++];
	memset(it, 0, sizeof(*it));
	return it;
}

/* ingest_finish_fn: a key whose pure part is done joins the plan, its
 * row prepared when no key with its fingerprint is stored. */
static enum pks_rc
collect(void *arg, struct ingest_prep *k, int *as_new)
{
	struct plan_ctx *c = arg;
	struct ingest_item *it;

	/* Only a key not stored yet is verified here (a database error:
	 * left to the merge, as a stored one). */
	if (k->stage == INGEST_STAGE_OK && !k->over &&
	    store_key_exists(c->st, k->fpr.fpr, k->fpr.len) == PKS_ERR_NOTFOUND)
		ingest_prep_new(k);
	it = plan_push(c->plan);
	it->is_key = 1;
	it->k = *k;
	memset(k, 0, sizeof(*k)); /* the plan owns it now */
	*as_new = 0;
	return PKS_OK;
}

/* ingest_blocks ring: a decoded block's keys join the plan, which keeps
 * the block (its keys point into it). */
static enum pks_rc
plan_ring(void *arg, struct buf *bin, size_t *nkeys)
{
	struct plan_ctx *c = arg;
	struct ingest_plan *p = c->plan;
	size_t before = p->n;
	enum pks_rc rc;

	p->bins = xreallocarray(p->bins, p->nbins + 1, sizeof(*p->bins));
	p->bins[p->nbins++] = *bin;
	memset(bin, 0, sizeof(*bin));
	bin = &p->bins[p->nbins - 1];
	rc = ingest_pipe_run(bin->data, bin->len, 1, 1, collect, c);
	*nkeys = p->n - before;
	return rc;
}

/* ingest_blocks refused: a block that does not decode or holds no key. */
static void
plan_refused(void *arg, enum pks_rc rc, const char *why)
{
	struct plan_ctx *c = arg;
	struct ingest_item *it = plan_push(c->plan);

	it->rc = rc;
	it->why = why;
}

enum pks_rc
ingest_armor_walk(const char *text, size_t len, const struct ingest_blocks *b)
{
	struct pks_err err;
	struct buf bin;
	size_t off = 0, before, nkeys;
	enum pks_rc rc = PKS_OK;

	buf_init(&bin, PKS_MAX_ARMOR);
	for (;;) {
		buf_free(&bin); /* unless ring() took it */
		buf_init(&bin, PKS_MAX_ARMOR);
		err.off = 0;
		err.why = NULL;
		before = off;
		rc = pgp_armor_next(text, len, &off, &bin, &err);
		if (rc == PKS_ERR_NOTFOUND) {
			rc = PKS_OK;
			break;
		}
		if (rc != PKS_OK) {
			b->refused(b->arg, rc, err.why);
			rc = PKS_OK;
			if (off <= before)
				break;
			continue;
		}
		nkeys = 0;
		if ((rc = b->ring(b->arg, &bin, &nkeys)) != PKS_OK)
			break;
		if (nkeys == 0)
			b->refused(b->arg, PKS_ERR_NOTFOUND,
			    "armor block holds no key");
	}
	buf_free(&bin);
	return rc;
}

enum pks_rc
ingest_plan_make(struct store *st, const char *text, size_t len, int binary,
    struct ingest_plan *out)
{
	struct plan_ctx c = { st, out };
	struct ingest_blocks b = { plan_ring, plan_refused, &c };

	memset(out, 0, sizeof(*out));
	if (binary)
		return ingest_pipe_run(
		    (const uint8_t *)text, len, 1, 1, collect, &c);
	return ingest_armor_walk(text, len, &b);
}

void
ingest_plan_free(struct ingest_plan *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		ingest_prep_clear(&p->v[i].k);
	for (i = 0; i < p->nbins; i++)
		buf_free(&p->bins[i]);
	free(p->v);
	free(p->bins);
	memset(p, 0, sizeof(*p));
}
