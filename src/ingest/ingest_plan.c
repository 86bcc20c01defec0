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
 * so a few times the text's bytes, which PKS_MAX_ARMOR bounds.
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

static void
plan_refusal(struct ingest_plan *p, enum pks_rc rc, const char *why)
{
	struct ingest_item *it = plan_push(p);

	it->rc = rc;
	it->why = why;
}

/* ingest_finish_fn: a key whose pure part is done joins the plan, its
 * row prepared when no key with its fingerprint is stored. */
static enum pks_rc
collect(void *arg, struct ingest_prep *k, int *as_new)
{
	struct plan_ctx *c = arg;
	struct ingest_item *it;
	struct store_key old;

	if (k->stage == INGEST_STAGE_OK && !k->over) {
		memset(&old, 0, sizeof(old));
		if (store_key_find(c->st, k->fpr.fpr, k->fpr.len, &old) ==
		    PKS_ERR_NOTFOUND)
			ingest_prep_new(k);
		store_key_clear(&old);
	}
	it = plan_push(c->plan);
	it->is_key = 1;
	it->k = *k;
	memset(k, 0, sizeof(*k)); /* the plan owns it now */
	*as_new = 0;
	return PKS_OK;
}

static enum pks_rc
plan_ring(struct plan_ctx *c, const uint8_t *data, size_t len)
{
	return ingest_pipe_run(data, len, 1, 1, collect, c);
}

/* Keep a decoded block for the plan's keys, which point into it. */
static void
plan_keep(struct ingest_plan *p, struct buf *bin)
{
	p->bins = xreallocarray(p->bins, p->nbins + 1, sizeof(*p->bins));
	p->bins[p->nbins++] = *bin;
	memset(bin, 0, sizeof(*bin));
}

/* Every armored block of the text; a bad block is a refusal. */
static enum pks_rc
plan_armor(struct plan_ctx *c, const char *text, size_t len)
{
	struct ingest_plan *p = c->plan;
	struct pks_err err;
	struct buf bin;
	size_t off = 0, before, nbefore;
	enum pks_rc rc = PKS_OK;

	for (;;) {
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
			plan_refusal(p, rc, err.why);
			rc = PKS_OK;
			buf_free(&bin);
			if (off <= before)
				break;
			continue;
		}
		plan_keep(p, &bin);
		nbefore = p->n;
		rc = plan_ring(
		    c, p->bins[p->nbins - 1].data, p->bins[p->nbins - 1].len);
		if (rc != PKS_OK)
			break;
		if (p->n == nbefore)
			plan_refusal(
			    p, PKS_ERR_NOTFOUND, "armor block holds no key");
	}
	buf_free(&bin);
	return rc;
}

enum pks_rc
ingest_plan_make(struct store *st, const char *text, size_t len, int binary,
    struct ingest_plan *out)
{
	struct plan_ctx c = { st, out };

	memset(out, 0, sizeof(*out));
	if (binary)
		return plan_ring(&c, (const uint8_t *)text, len);
	return plan_armor(&c, text, len);
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
