/*
 * pgp_merge.c: SKS's canonical form (yminsky.dedup) and merge
 * (yminsky.merge).  The rules, and where in SKS they come from, are
 * written at the top of pgp_key.c.
 *
 * Both are one operation: a "plan" groups the blocks of one key (dedup)
 * or of two keys (merge) by head packet, in SKS's packet order, and
 * picks the signatures of each group.  A plan only points at packets;
 * it is hashed before anything is changed, and applied only when the
 * SKS rules say the stored key changes.  Groups are found by sorting,
 * never by comparing every pair, so a key with thousands of signatures
 * costs n log n.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "pgp/pgp_int.h"
#include "pgp/pgp_key.h"
#include "util/xalloc.h"

/* A packet of the plan: owned by 'into' (own != NULL) or borrowed. */
struct ref {
	const struct pgp_pkt *p;
	struct pgp_pkt *own;
	unsigned src; /* 0: the key changed in place, 1: the other */
	size_t ord;   /* input position: keeps sorting stable */
};

/* A block of the plan. */
struct gblock {
	struct ref head;
	struct ref *sigs;
	size_t nsigs;
};

/* A block of the input, before grouping. */
struct bref {
	const struct pgp_block *b;
	struct pgp_block *own;
	unsigned src;
	size_t ord;
};

struct plan {
	struct ref *sigs;
	size_t nsigs;
	struct gblock *uids;
	size_t nuids;
	struct gblock *subs;
	size_t nsubs;
};

/* The inputs: key 0 may be changed in place, key 1 is read only. */
struct srcs {
	struct pgp_key *own;
	const struct pgp_key *k[2];
};

static int
ref_cmp(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int c = pgp_pkt_cmp_sks(x->p, y->p);

	if (c != 0)
		return c;
	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

static int
bref_cmp(const void *a, const void *b)
{
	const struct bref *x = a, *y = b;
	int c = pgp_pkt_cmp_sks(&x->b->head, &y->b->head);

	if (c != 0)
		return c;
	if (x->src != y->src)
		return x->src < y->src ? -1 : 1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

static void
set_ref(struct ref *r, const struct pgp_pkt *p, struct pgp_pkt *own,
    unsigned src, size_t ord)
{
	r->p = p;
	r->own = own;
	r->src = src;
	r->ord = ord;
}

/* Sort refs and drop exact duplicates (the first of equals is kept, so
 * a packet 'into' already had wins over the other key's copy). */
static size_t
sort_unique(struct ref *v, size_t n)
{
	size_t i, k;

	if (n < 2)
		return n;
	qsort(v, n, sizeof(*v), ref_cmp);
	for (i = 1, k = 1; i < n; i++)
		if (!pgp_pkt_equal(v[i].p, v[k - 1].p))
			v[k++] = v[i];
	return k;
}

/* Utils.dedup over the direct signatures of both keys. */
static void
plan_sigs(struct plan *pl, const struct srcs *s)
{
	size_t n = 0, i, ord = 0;
	unsigned k;

	for (k = 0; k < 2; k++)
		n += s->k[k] ? s->k[k]->nsigs : 0;
	pl->sigs = xreallocarray(NULL, n, sizeof(*pl->sigs));
	for (k = 0; k < 2; k++) {
		for (i = 0; s->k[k] && i < s->k[k]->nsigs; i++)
			set_ref(&pl->sigs[pl->nsigs++], &s->k[k]->sigs[i],
			    k == 0 && s->own ? &s->own->sigs[i] : NULL, k,
			    ord++);
	}
	pl->nsigs = sort_unique(pl->sigs, pl->nsigs);
}

/* The signatures of a group of blocks with one head. */
static void
group_sigs(struct gblock *g, const struct bref *v, size_t n)
{
	size_t i, j, total = 0, ord = 0;

	for (i = 0; i < n; i++)
		total += v[i].b->nsigs;
	g->sigs = xreallocarray(NULL, total, sizeof(*g->sigs));
	g->nsigs = 0;
	for (i = 0; i < n; i++)
		for (j = 0; j < v[i].b->nsigs; j++)
			set_ref(&g->sigs[g->nsigs++], &v[i].b->sigs[j],
			    v[i].own ? &v[i].own->sigs[j] : NULL, v[i].src,
			    ord++);
	/* A head seen once keeps its list as is; else a sorted set. */
	if (n > 1)
		g->nsigs = sort_unique(g->sigs, g->nsigs);
}

/* Collect the uid (which == 0) or subkey blocks of both keys. */
static size_t
collect_blocks(const struct srcs *s, int which, struct bref **out)
{
	size_t n = 0, i, ord = 0;
	const struct pgp_block *v;
	size_t nv;
	unsigned k;

	for (k = 0; k < 2; k++)
		if (s->k[k])
			n += which == 0 ? s->k[k]->nuids : s->k[k]->nsubkeys;
	*out = xreallocarray(NULL, n, sizeof(**out));
	n = 0;
	for (k = 0; k < 2; k++) {
		if (s->k[k] == NULL)
			continue;
		v = which == 0 ? s->k[k]->uids : s->k[k]->subkeys;
		nv = which == 0 ? s->k[k]->nuids : s->k[k]->nsubkeys;
		for (i = 0; i < nv; i++, n++) {
			(*out)[n].b = &v[i];
			(*out)[n].own = k == 0 && s->own
					    ? (which == 0 ? &s->own->uids[i]
							  : &s->own->subkeys[i])
					    : NULL;
			(*out)[n].src = k;
			(*out)[n].ord = ord++;
		}
	}
	return n;
}

/* dedup_sigpairs / merge_sigpairs: group blocks by head, ascending. */
static size_t
plan_blocks(const struct srcs *s, int which, struct gblock **out)
{
	struct bref *v;
	size_t n, i, j, ng = 0;
	struct gblock *g;

	n = collect_blocks(s, which, &v);
	qsort(v, n, sizeof(*v), bref_cmp);
	*out = xreallocarray(NULL, n, sizeof(**out));
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n; j++)
			if (!pgp_pkt_equal(&v[j].b->head, &v[i].b->head))
				break;
		g = &(*out)[ng++];
		set_ref(&g->head, &v[i].b->head,
		    v[i].own ? &v[i].own->head : NULL, v[i].src, v[i].ord);
		group_sigs(g, v + i, j - i);
	}
	free(v);
	return ng;
}

static void
plan_build(struct plan *pl, struct pgp_key *own, const struct pgp_key *k0,
    const struct pgp_key *k1)
{
	struct srcs s;

	s.own = own;
	s.k[0] = k0;
	s.k[1] = k1;
	memset(pl, 0, sizeof(*pl));
	plan_sigs(pl, &s);
	pl->nuids = plan_blocks(&s, 0, &pl->uids);
	pl->nsubs = plan_blocks(&s, 1, &pl->subs);
}

static void
free_groups(struct gblock *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].sigs);
	free(v);
}

static void
plan_free(struct plan *pl)
{
	free(pl->sigs);
	free_groups(pl->uids, pl->nuids);
	free_groups(pl->subs, pl->nsubs);
}

static size_t
groups_count(const struct gblock *v, size_t n, int src1_only)
{
	size_t i, j, c = 0;

	for (i = 0; i < n; i++) {
		c += !src1_only || v[i].head.src == 1;
		for (j = 0; j < v[i].nsigs; j++)
			c += !src1_only || v[i].sigs[j].src == 1;
	}
	return c;
}

/* Packets of the plan; with src1_only, those from the second key. */
static size_t
plan_count(const struct plan *pl, int src1_only)
{
	size_t i, c = src1_only ? 0 : 1;

	for (i = 0; i < pl->nsigs; i++)
		c += !src1_only || pl->sigs[i].src == 1;
	return c + groups_count(pl->uids, pl->nuids, src1_only) +
	       groups_count(pl->subs, pl->nsubs, src1_only);
}

static void
plan_hash(const struct plan *pl, const struct pgp_pkt *key, uint8_t md5[16])
{
	size_t n = plan_count(pl, 0), k = 0, i, j;
	const struct pgp_pkt **v = xreallocarray(NULL, n, sizeof(*v));
	const struct gblock *g;

	v[k++] = key;
	for (i = 0; i < pl->nsigs; i++)
		v[k++] = pl->sigs[i].p;
	for (i = 0; i < pl->nuids + pl->nsubs; i++) {
		g = i < pl->nuids ? &pl->uids[i] : &pl->subs[i - pl->nuids];
		v[k++] = g->head.p;
		for (j = 0; j < g->nsigs; j++)
			v[k++] = g->sigs[j].p;
	}
	pgp_hash_pkts(v, k, md5);
	free(v);
}

/* Take a packet for the new key: move it out of 'into' or copy it. */
static void
take(struct pgp_pkt *to, const struct ref *r)
{
	if (r->own != NULL) {
		*to = *r->own;
		r->own->body = NULL;
	} else {
		to->tag = r->p->tag;
		to->len = r->p->len;
		to->body = xmemdup(r->p->body, r->p->len);
	}
}

static struct pgp_pkt *
take_list(const struct ref *v, size_t n)
{
	struct pgp_pkt *r;
	size_t i;

	if (n == 0)
		return NULL;
	r = xreallocarray(NULL, n, sizeof(*r));
	for (i = 0; i < n; i++)
		take(&r[i], &v[i]);
	return r;
}

static struct pgp_block *
take_blocks(const struct gblock *g, size_t n)
{
	struct pgp_block *r;
	size_t i;

	if (n == 0)
		return NULL;
	r = xreallocarray(NULL, n, sizeof(*r));
	for (i = 0; i < n; i++) {
		take(&r[i].head, &g[i].head);
		r[i].sigs = take_list(g[i].sigs, g[i].nsigs);
		r[i].nsigs = g[i].nsigs;
	}
	return r;
}

/* Replace the contents of key by the plan (the primary key stays). */
static void
plan_apply(const struct plan *pl, struct pgp_key *key)
{
	struct pgp_key old = *key;

	key->sigs = take_list(pl->sigs, pl->nsigs);
	key->nsigs = pl->nsigs;
	key->uids = take_blocks(pl->uids, pl->nuids);
	key->nuids = pl->nuids;
	key->subkeys = take_blocks(pl->subs, pl->nsubs);
	key->nsubkeys = pl->nsubs;
	/* Free what was not moved: duplicates the plan dropped. */
	old.key.body = NULL;
	old.key.len = 0;
	pgp_key_free_parts(&old);
}

void
pgp_key_canonicalize(struct pgp_key *key)
{
	struct plan pl;

	plan_build(&pl, key, key, NULL);
	plan_apply(&pl, key);
	plan_free(&pl);
}

/* Copy of the packets only the second key brought, with their heads. */
static struct pgp_block *
delta_blocks(const struct gblock *g, size_t n, size_t *nout)
{
	struct pgp_block *r = xreallocarray(NULL, n, sizeof(*r));
	size_t i, j, k;
	struct ref tmp;

	*nout = 0;
	for (i = 0; i < n; i++) {
		for (j = 0, k = 0; j < g[i].nsigs; j++)
			k += g[i].sigs[j].src == 1;
		if (g[i].head.src != 1 && k == 0)
			continue;
		tmp = g[i].head;
		tmp.own = NULL;
		take(&r[*nout].head, &tmp);
		r[*nout].sigs = xreallocarray(NULL, k, sizeof(struct pgp_pkt));
		r[*nout].nsigs = 0;
		for (j = 0; j < g[i].nsigs; j++)
			if (g[i].sigs[j].src == 1)
				take(&r[*nout].sigs[r[*nout].nsigs++],
				    &g[i].sigs[j]);
		(*nout)++;
	}
	return r;
}

static struct pgp_key *
plan_delta(const struct plan *pl, const struct pgp_pkt *key)
{
	struct pgp_key *d = xcalloc(1, sizeof(*d));
	size_t i;

	d->key.tag = key->tag;
	d->key.len = key->len;
	d->key.body = xmemdup(key->body, key->len);
	d->sigs = xreallocarray(NULL, pl->nsigs, sizeof(*d->sigs));
	for (i = 0; i < pl->nsigs; i++)
		if (pl->sigs[i].src == 1)
			take(&d->sigs[d->nsigs++], &pl->sigs[i]);
	d->uids = delta_blocks(pl->uids, pl->nuids, &d->nuids);
	d->subkeys = delta_blocks(pl->subs, pl->nsubs, &d->nsubkeys);
	return d;
}

/*
 * Whether the packets of a plan hash like 'into'.  Equal hashes need
 * equal packet counts, and a plan made only of packets of 'into', as
 * many as 'into' has, is the same multiset: no MD5 is needed for the
 * common cases (an identical copy, a merge that adds something).
 */
static int
same_hash(const struct plan *pl, int only_into, const struct pgp_key *into)
{
	uint8_t h1[16], h2[16];

	if (plan_count(pl, 0) != pgp_key_npackets(into))
		return 0;
	if (only_into)
		return 1;
	pgp_key_hash(into, h1);
	plan_hash(pl, &into->key, h2);
	return memcmp(h1, h2, 16) == 0;
}

/*
 * SKS's two "nothing changes" tests (keydb.ml key_to_merge_updates and
 * sort_remove): the canonical incoming key has the stored hash, or the
 * merged key has it.
 */
static int
merge_is_noop(const struct plan *merged, size_t added,
    const struct pgp_key *into, const struct pgp_key *in)
{
	struct plan pl;
	int same;

	if (same_hash(merged, added == 0, into))
		return 1;
	plan_build(&pl, NULL, NULL, in);
	same = same_hash(&pl, 0, into);
	plan_free(&pl);
	return same;
}

enum pks_rc
pgp_key_merge(struct pgp_key *into, const struct pgp_key *in, size_t *added,
    struct pgp_key **delta)
{
	struct plan pl;
	size_t n;

	*added = 0;
	if (delta != NULL)
		*delta = NULL;
	if (!pgp_pkt_equal(&into->key, &in->key))
		return PKS_ERR_REFUSED;
	plan_build(&pl, into, into, in);
	n = plan_count(&pl, 1);
	if (merge_is_noop(&pl, n, into, in)) {
		plan_free(&pl);
		return PKS_OK;
	}
	if (delta != NULL && n > 0)
		*delta = plan_delta(&pl, &into->key);
	plan_apply(&pl, into);
	plan_free(&pl);
	*added = n;
	return PKS_OK;
}
