/*
 * ptree_node.c: prefix-tree node values and the insert/delete algorithms
 * over an abstract node store (struct ptree_ops).
 *
 * Insert and delete read the root-to-leaf path first, check that the
 * operation applies, then compute every new node state and only then
 * write.  Split and join follow SKS prefixTree.ml, except that a child
 * produced by a split that is itself over the threshold splits at once,
 * so no stored leaf ever holds more than PTREE_SPLIT elements.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "ptree/ptree_node.h"
#include "util/xalloc.h"

/* ---- prefixes ---- */

void
ptree_prefix_root(struct ptree_prefix *p)
{
	memset(p, 0, sizeof(*p));
}

int
ptree_prefix_bit(const struct ptree_prefix *p, unsigned i)
{
	if (i >= p->nbits)
		return 0;
	return (p->b[i / 8] >> (7 - i % 8)) & 1;
}

static void
prefix_setbit(struct ptree_prefix *p, unsigned i, int v)
{
	if (v)
		p->b[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	else
		p->b[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
}

enum pks_rc
ptree_prefix_child(
    struct ptree_prefix *c, const struct ptree_prefix *p, unsigned idx)
{
	unsigned k, base = p->nbits;

	if (base + PTREE_BITQUANTUM > PTREE_MAXBITS || idx >= PTREE_NCHILD)
		return PKS_ERR_TOOBIG;
	*c = *p;
	for (k = 0; k < PTREE_BITQUANTUM; k++)
		prefix_setbit(c, base + k,
		    (int)((idx >> (PTREE_BITQUANTUM - 1 - k)) & 1));
	c->nbits = base + PTREE_BITQUANTUM;
	return PKS_OK;
}

int
ptree_prefix_eq(const struct ptree_prefix *a, const struct ptree_prefix *b)
{
	return a->nbits == b->nbits &&
	       memcmp(a->b, b->b, ptree_prefix_len(a)) == 0;
}

size_t
ptree_prefix_len(const struct ptree_prefix *p)
{
	return (p->nbits + 7) / 8;
}

enum pks_rc
ptree_prefix_set(
    struct ptree_prefix *p, unsigned nbits, const uint8_t *bytes, size_t len)
{
	if (nbits > PTREE_MAXBITS || len != (nbits + 7) / 8)
		return PKS_ERR_PARSE;
	ptree_prefix_root(p);
	if (len > 0)
		memcpy(p->b, bytes, len);
	p->nbits = nbits;
	if (nbits % 8 != 0)
		p->b[len - 1] &= (uint8_t)(0xff00u >> (nbits % 8));
	return PKS_OK;
}

void
ptree_prefix_of(struct ptree_prefix *p, const struct zzp *x, unsigned nbits)
{
	uint8_t wire[ZZP_WIRE_LEN];

	if (nbits > PTREE_MAXBITS)
		nbits = PTREE_MAXBITS;
	zzp_to_wire(x, wire);
	ptree_prefix_set(p, nbits, wire, (nbits + 7) / 8);
}

/* ---- node values ---- */

unsigned
ptree_child_index(const struct zzp *x, unsigned depth)
{
	unsigned bit = depth * PTREE_BITQUANTUM;
	unsigned byte = zzp_wire_byte(x, bit / 8);

	/* q = 2 divides 8, so the bits never straddle two bytes. */
	return (byte >> (8 - PTREE_BITQUANTUM - bit % 8)) & (PTREE_NCHILD - 1);
}

unsigned
ptree_node_depth(const struct ptree_node *n)
{
	return n->pfx.nbits / PTREE_BITQUANTUM;
}

void
ptree_node_init(struct ptree_node *n, const struct ptree_prefix *pfx)
{
	int i;

	n->pfx = *pfx;
	n->size = 0;
	n->leaf = 1;
	n->nelem = 0;
	for (i = 0; i < PTREE_NSAMPLES; i++)
		zzp_set_one(&n->sv[i]);
}

int
ptree_is_point(const struct zzp *x)
{
	struct zzp pts[PTREE_NSAMPLES];
	int i;

	ptree_points(pts);
	for (i = 0; i < PTREE_NSAMPLES; i++) {
		if (zzp_eq(x, &pts[i]))
			return 1;
	}
	return 0;
}

void
ptree_delta_insert(struct ptree_delta *d, const struct zzp *x)
{
	struct zzp pts[PTREE_NSAMPLES], t;
	int i;

	ptree_points(pts);
	for (i = 0; i < PTREE_NSAMPLES; i++) {
		zzp_sub(&t, &pts[i], x);
		zzp_to_mont(&d->m[i], &t);
	}
}

void
ptree_delta_delete(struct ptree_delta *d, const struct zzp *x)
{
	struct zzp pts[PTREE_NSAMPLES], t[PTREE_NSAMPLES], acc, inv;
	struct zzp pre[PTREE_NSAMPLES];
	int i;

	/* One inversion for all six factors (Montgomery's trick). */
	ptree_points(pts);
	zzp_set_one(&acc);
	for (i = 0; i < PTREE_NSAMPLES; i++) {
		zzp_sub(&t[i], &pts[i], x);
		pre[i] = acc;
		zzp_mul(&acc, &acc, &t[i]);
	}
	zzp_inv(&inv, &acc);
	for (i = PTREE_NSAMPLES - 1; i >= 0; i--) {
		struct zzp ti;

		zzp_mul(&ti, &inv, &pre[i]);
		zzp_mul(&inv, &inv, &t[i]);
		zzp_to_mont(&d->m[i], &ti);
	}
}

void
ptree_samples_apply(struct zzp sv[PTREE_NSAMPLES], const struct ptree_delta *d)
{
	int i;

	for (i = 0; i < PTREE_NSAMPLES; i++)
		zzp_mul_mont(&sv[i], &sv[i], &d->m[i]);
}

void
ptree_samples_of(
    struct zzp sv[PTREE_NSAMPLES], const struct zzp *elem, size_t n)
{
	struct ptree_delta d;
	size_t k;
	int i;

	for (i = 0; i < PTREE_NSAMPLES; i++)
		zzp_set_one(&sv[i]);
	for (k = 0; k < n; k++) {
		ptree_delta_insert(&d, &elem[k]);
		ptree_samples_apply(sv, &d);
	}
}

int
ptree_node_find(const struct ptree_node *n, const struct zzp *x)
{
	uint32_t i;

	if (!n->leaf)
		return -1;
	for (i = 0; i < n->nelem; i++) {
		if (zzp_eq(&n->elem[i], x))
			return (int)i;
	}
	return -1;
}

enum pks_rc
ptree_node_leaf_add(struct ptree_node *n, const struct zzp *x)
{
	uint32_t i;

	if (!n->leaf || n->nelem >= PTREE_LEAF_CAP)
		return PKS_ERR_INTERNAL;
	if (ptree_node_find(n, x) >= 0)
		return PKS_ERR_REFUSED;
	i = n->nelem;
	while (i > 0 && zzp_cmp(&n->elem[i - 1], x) > 0) {
		n->elem[i] = n->elem[i - 1];
		i--;
	}
	n->elem[i] = *x;
	n->nelem++;
	return PKS_OK;
}

enum pks_rc
ptree_node_leaf_remove(struct ptree_node *n, const struct zzp *x)
{
	int idx = ptree_node_find(n, x);

	if (idx < 0)
		return PKS_ERR_NOTFOUND;
	memmove(&n->elem[idx], &n->elem[idx + 1],
	    (n->nelem - (uint32_t)idx - 1) * sizeof(n->elem[0]));
	n->nelem--;
	return PKS_OK;
}

enum pks_rc
ptree_node_split(struct ptree_node *n, struct ptree_node kids[PTREE_NCHILD])
{
	struct ptree_delta d;
	unsigned depth = ptree_node_depth(n), i, c;

	if (!n->leaf || depth >= PTREE_MAXDEPTH)
		return PKS_ERR_INTERNAL;
	for (c = 0; c < PTREE_NCHILD; c++) {
		struct ptree_prefix p;

		if (ptree_prefix_child(&p, &n->pfx, c) != PKS_OK)
			return PKS_ERR_INTERNAL;
		ptree_node_init(&kids[c], &p);
	}
	for (i = 0; i < n->nelem; i++) {
		struct ptree_node *k =
		    &kids[ptree_child_index(&n->elem[i], depth)];

		ptree_delta_insert(&d, &n->elem[i]);
		ptree_samples_apply(k->sv, &d);
		k->elem[k->nelem++] = n->elem[i];
		k->size++;
	}
	n->leaf = 0;
	n->nelem = 0;
	return PKS_OK;
}

void
ptree_samples_pack(
    const struct zzp sv[PTREE_NSAMPLES], uint8_t out[PTREE_SAMPLES_LEN])
{
	int i;

	for (i = 0; i < PTREE_NSAMPLES; i++)
		zzp_to_wire(&sv[i], out + i * ZZP_WIRE_LEN);
}

enum pks_rc
ptree_samples_unpack(
    struct zzp sv[PTREE_NSAMPLES], const uint8_t in[PTREE_SAMPLES_LEN])
{
	int i;

	for (i = 0; i < PTREE_NSAMPLES; i++) {
		if (zzp_from_wire(&sv[i], in + i * ZZP_WIRE_LEN) != PKS_OK)
			return PKS_ERR_PARSE;
	}
	return PKS_OK;
}
