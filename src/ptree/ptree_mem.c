/*
 * ptree_mem.c: an in-memory node store for the prefix tree.
 *
 * Nodes hang off their parents by child index, so a lookup walks the
 * prefix two bits at a time.  Used by the unit tests and by recon for a
 * session's snapshot of the tree; the tree logic itself is in
 * ptree_tree.c and reaches this store only through struct ptree_ops.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "ptree/ptree_node.h"
#include "util/xalloc.h"

struct mem_node {
	struct ptree_node n;
	struct mem_node *kid[PTREE_NCHILD];
};

struct ptree_mem {
	struct mem_node *root;
	size_t count;
};

/* Copy only the used part of the element array. */
static void
node_copy(struct ptree_node *dst, const struct ptree_node *src)
{
	size_t head = offsetof(struct ptree_node, elem);
	uint32_t ne = src->nelem <= PTREE_LEAF_CAP ? src->nelem : 0;

	memcpy(dst, src, head);
	dst->nelem = ne;
	memcpy(dst->elem, src->elem, ne * sizeof(src->elem[0]));
}

/* The slot that holds (or would hold) the node at pfx, or NULL when a
 * node on the way is missing or pfx is not a whole number of quanta. */
static struct mem_node **
find_slot(struct ptree_mem *t, const struct ptree_prefix *pfx)
{
	struct mem_node **slot = &t->root;
	unsigned bit, k, idx;

	if (pfx->nbits % PTREE_BITQUANTUM != 0 || pfx->nbits > PTREE_MAXBITS)
		return NULL;
	for (bit = 0; bit < pfx->nbits; bit += PTREE_BITQUANTUM) {
		if (*slot == NULL)
			return NULL;
		idx = 0;
		for (k = 0; k < PTREE_BITQUANTUM; k++)
			idx =
			    idx << 1 | (unsigned)ptree_prefix_bit(pfx, bit + k);
		slot = &(*slot)->kid[idx];
	}
	return slot;
}

static void
free_subtree(struct ptree_mem *t, struct mem_node *m)
{
	int i;

	if (m == NULL)
		return;
	for (i = 0; i < PTREE_NCHILD; i++)
		free_subtree(t, m->kid[i]);
	free(m);
	t->count--;
}

static enum pks_rc
mem_get(void *ctx, const struct ptree_prefix *pfx, struct ptree_node *out)
{
	struct mem_node **slot = find_slot(ctx, pfx);

	if (slot == NULL || *slot == NULL)
		return PKS_ERR_NOTFOUND;
	node_copy(out, &(*slot)->n);
	return PKS_OK;
}

static enum pks_rc
mem_put(void *ctx, const struct ptree_node *n)
{
	struct ptree_mem *t = ctx;
	struct mem_node **slot = find_slot(t, &n->pfx);

	if (slot == NULL)
		return PKS_ERR_INTERNAL; /* parent missing */
	if (*slot == NULL) {
		*slot = xcalloc(1, sizeof(**slot));
		t->count++;
	}
	node_copy(&(*slot)->n, n);
	return PKS_OK;
}

static enum pks_rc
mem_del(void *ctx, const struct ptree_prefix *pfx)
{
	struct ptree_mem *t = ctx;
	struct mem_node **slot = find_slot(t, pfx);

	if (slot == NULL || *slot == NULL)
		return PKS_ERR_NOTFOUND;
	free_subtree(t, *slot);
	*slot = NULL;
	return PKS_OK;
}

struct ptree_mem *
ptree_mem_new(void)
{
	return xcalloc(1, sizeof(struct ptree_mem));
}

void
ptree_mem_free(struct ptree_mem *t)
{
	if (t == NULL)
		return;
	free_subtree(t, t->root);
	free(t);
}

void
ptree_mem_ops(struct ptree_mem *t, struct ptree_ops *ops)
{
	ops->ctx = t;
	ops->get = mem_get;
	ops->put = mem_put;
	ops->del = mem_del;
}

size_t
ptree_mem_count(const struct ptree_mem *t)
{
	return t->count;
}
