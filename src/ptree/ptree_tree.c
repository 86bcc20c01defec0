/*
 * ptree_tree.c: insert, delete and lookups over a node store given as
 * struct ptree_ops (declared in ptree_node.h).
 *
 * Each operation loads the root-to-leaf path of the element, decides
 * whether it applies (nothing is written otherwise), computes the new
 * states of the path nodes, and writes them back: parents before
 * children, children before they are deleted.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "ptree/ptree_node.h"
#include "util/xalloc.h"

/* Nodes of a path kept in the path itself: a tree of a few million
 * elements is not deeper, so an insert or delete allocates nothing. */
#define PATH_LOCAL 12

/* Root .. leaf: n is 'local' until the path grows past it. */
struct path {
	struct ptree_node *n;
	size_t len, cap;
	struct ptree_node local[PATH_LOCAL];
};

static void
path_init(struct path *p)
{
	p->n = p->local;
	p->len = 0;
	p->cap = PATH_LOCAL;
}

static void
path_free(struct path *p)
{
	if (p->n != p->local)
		free(p->n);
	path_init(p);
}

static struct ptree_node *
path_push(struct path *p)
{
	struct ptree_node *m;

	if (p->len == p->cap) {
		if (p->n == p->local) {
			m = xreallocarray(NULL, p->cap * 2, sizeof(*m));
			memcpy(m, p->local, sizeof(p->local));
			p->n = m;
		} else {
			p->n = xreallocarray(p->n, p->cap * 2, sizeof(*p->n));
		}
		p->cap *= 2;
	}
	return &p->n[p->len++];
}

/* A node read from the store must be plausible before we trust it. */
static enum pks_rc
check_node(const struct ptree_node *n, const struct ptree_prefix *pfx)
{
	if (!ptree_prefix_eq(&n->pfx, pfx))
		return PKS_ERR_INTERNAL;
	if (n->leaf && (n->nelem > PTREE_LEAF_CAP || n->nelem != n->size))
		return PKS_ERR_INTERNAL;
	if (!n->leaf && n->nelem != 0)
		return PKS_ERR_INTERNAL;
	return PKS_OK;
}

enum pks_rc
ptree_get(const struct ptree_ops *ops, const struct ptree_prefix *pfx,
    struct ptree_node *out)
{
	enum pks_rc rc = ops->get(ops->ctx, pfx, out);

	if (rc == PKS_ERR_NOTFOUND && pfx->nbits == 0) {
		ptree_node_init(out, pfx);
		return PKS_OK;
	}
	if (rc != PKS_OK)
		return rc;
	return check_node(out, pfx);
}

/* Load root .. leaf for element x into p. */
static enum pks_rc
load_path(const struct ptree_ops *ops, const struct zzp *x, struct path *p)
{
	struct ptree_prefix pfx;
	struct ptree_node *n;
	enum pks_rc rc;

	ptree_prefix_root(&pfx);
	for (;;) {
		n = path_push(p);
		rc = ptree_get(ops, &pfx, n);
		if (rc == PKS_ERR_NOTFOUND)
			return PKS_ERR_INTERNAL; /* a child is missing */
		if (rc != PKS_OK || n->leaf)
			return rc;
		if (ptree_prefix_child(&pfx, &pfx,
			ptree_child_index(x, ptree_node_depth(n))) != PKS_OK)
			return PKS_ERR_INTERNAL;
	}
}

/* Write leaf n as internal plus its children, splitting children that
 * are still too big. */
static enum pks_rc
split_put(const struct ptree_ops *ops, struct ptree_node *n)
{
	struct ptree_node *kids = xcalloc(PTREE_NCHILD, sizeof(*kids));
	enum pks_rc rc;
	int c;

	rc = ptree_node_split(n, kids);
	if (rc == PKS_OK)
		rc = ops->put(ops->ctx, n);
	for (c = 0; c < PTREE_NCHILD && rc == PKS_OK; c++) {
		if (kids[c].size > PTREE_SPLIT)
			rc = split_put(ops, &kids[c]);
		else
			rc = ops->put(ops->ctx, &kids[c]);
	}
	free(kids);
	return rc;
}

static enum pks_rc
put_all(const struct ptree_ops *ops, const struct path *p, size_t count)
{
	enum pks_rc rc = PKS_OK;
	size_t i;

	for (i = 0; i < count && rc == PKS_OK; i++)
		rc = ops->put(ops->ctx, &p->n[i]);
	return rc;
}

enum pks_rc
ptree_insert(const struct ptree_ops *ops, const struct zzp *x)
{
	struct path p;
	struct ptree_delta d;
	struct ptree_node *leaf;
	enum pks_rc rc;
	size_t i;

	if (ptree_is_point(x))
		return PKS_ERR_REFUSED;
	path_init(&p);
	rc = load_path(ops, x, &p);
	if (rc != PKS_OK)
		goto out;
	leaf = &p.n[p.len - 1];
	rc = PKS_ERR_REFUSED;
	if (ptree_node_find(leaf, x) >= 0)
		goto out;
	rc = PKS_ERR_INTERNAL;
	if (leaf->nelem >= PTREE_LEAF_CAP || p.n[0].size == UINT32_MAX ||
	    (leaf->nelem >= PTREE_SPLIT &&
		ptree_node_depth(leaf) >= PTREE_MAXDEPTH))
		goto out;
	ptree_delta_insert(&d, x);
	for (i = 0; i < p.len; i++) {
		ptree_samples_apply(p.n[i].sv, &d);
		p.n[i].size++;
	}
	ptree_node_leaf_add(leaf, x);
	rc = put_all(ops, &p, p.len - 1);
	if (rc != PKS_OK)
		goto out;
	if (leaf->size > PTREE_SPLIT)
		rc = split_put(ops, leaf);
	else
		rc = ops->put(ops->ctx, leaf);
out:
	path_free(&p);
	return rc;
}

struct zvec {
	struct zzp *v;
	size_t len, cap;
};

/* Append every element below pfx to v; PKS_ERR_INTERNAL past limit. */
static enum pks_rc
collect(const struct ptree_ops *ops, const struct ptree_prefix *pfx,
    struct zvec *v, size_t limit, unsigned depth)
{
	struct ptree_node *n = xmalloc(sizeof(*n));
	struct ptree_prefix c;
	enum pks_rc rc;
	unsigned i;

	rc = ptree_get(ops, pfx, n);
	if (rc == PKS_ERR_NOTFOUND && depth > 0)
		rc = PKS_ERR_INTERNAL;
	if (rc != PKS_OK)
		goto out;
	rc = PKS_ERR_INTERNAL;
	if (n->size > limit - v->len || depth > PTREE_MAXDEPTH)
		goto out;
	rc = PKS_OK;
	if (n->leaf) {
		if (v->len + n->nelem > v->cap) {
			v->cap = v->len + n->nelem + 64;
			v->v = xreallocarray(v->v, v->cap, sizeof(*v->v));
		}
		if (n->nelem > 0)
			memcpy(v->v + v->len, n->elem,
			    n->nelem * sizeof(n->elem[0]));
		v->len += n->nelem;
		goto out;
	}
	for (i = 0; i < PTREE_NCHILD && rc == PKS_OK; i++) {
		rc = ptree_prefix_child(&c, pfx, i);
		if (rc == PKS_OK)
			rc = collect(ops, &c, v, limit, depth + 1);
	}
out:
	free(n);
	return rc;
}

enum pks_rc
ptree_elements(const struct ptree_ops *ops, const struct ptree_prefix *pfx,
    struct zzp **out, size_t *n)
{
	struct zvec v = { NULL, 0, 0 };
	enum pks_rc rc;

	*out = NULL;
	*n = 0;
	rc = collect(ops, pfx, &v, UINT32_MAX, 0);
	if (rc != PKS_OK) {
		free(v.v);
		return rc;
	}
	if (v.len > 1)
		qsort(v.v, v.len, sizeof(*v.v), zzp_qsort_cmp);
	*out = v.v;
	*n = v.len;
	return PKS_OK;
}

/* Delete the node at pfx and everything below it (children first). */
static enum pks_rc
del_subtree(
    const struct ptree_ops *ops, const struct ptree_prefix *pfx, unsigned depth)
{
	struct ptree_node *n = xmalloc(sizeof(*n));
	struct ptree_prefix c;
	enum pks_rc rc;
	unsigned i;

	rc = ops->get(ops->ctx, pfx, n);
	if (rc == PKS_OK && depth > PTREE_MAXDEPTH)
		rc = PKS_ERR_INTERNAL;
	for (i = 0; rc == PKS_OK && !n->leaf && i < PTREE_NCHILD; i++) {
		rc = ptree_prefix_child(&c, pfx, i);
		if (rc == PKS_OK)
			rc = del_subtree(ops, &c, depth + 1);
	}
	if (rc == PKS_OK)
		rc = ops->del(ops->ctx, pfx);
	free(n);
	return rc;
}

/* Turn internal node j (already updated for the removal of x) into a
 * leaf holding the remaining elements of its subtree. */
static enum pks_rc
join(const struct ptree_ops *ops, struct ptree_node *j, const struct zzp *x)
{
	struct zvec v = { NULL, 0, 0 };
	struct ptree_prefix c;
	enum pks_rc rc = PKS_OK;
	size_t i, k;

	for (i = 0; i < PTREE_NCHILD && rc == PKS_OK; i++) {
		rc = ptree_prefix_child(&c, &j->pfx, i);
		if (rc == PKS_OK)
			rc = collect(ops, &c, &v, PTREE_LEAF_CAP + 1, 1);
	}
	if (rc != PKS_OK)
		goto out;
	for (i = k = 0; i < v.len; i++) {
		if (!zzp_eq(&v.v[i], x))
			v.v[k++] = v.v[i];
	}
	rc = PKS_ERR_INTERNAL;
	if (k != j->size || k > PTREE_LEAF_CAP)
		goto out;
	qsort(v.v, k, sizeof(*v.v), zzp_qsort_cmp);
	rc = PKS_OK;
	for (i = 0; i < PTREE_NCHILD && rc == PKS_OK; i++) {
		rc = ptree_prefix_child(&c, &j->pfx, i);
		if (rc == PKS_OK)
			rc = del_subtree(ops, &c, 1);
	}
	j->leaf = 1;
	j->nelem = (uint32_t)k;
	if (k > 0)
		memcpy(j->elem, v.v, k * sizeof(*v.v));
out:
	free(v.v);
	return rc;
}

enum pks_rc
ptree_delete(const struct ptree_ops *ops, const struct zzp *x)
{
	struct path p;
	struct ptree_delta d;
	enum pks_rc rc;
	size_t i;

	if (ptree_is_point(x))
		return PKS_ERR_NOTFOUND;
	path_init(&p);
	rc = load_path(ops, x, &p);
	if (rc != PKS_OK)
		goto out;
	rc = PKS_ERR_NOTFOUND;
	if (ptree_node_find(&p.n[p.len - 1], x) < 0)
		goto out;
	ptree_delta_delete(&d, x);
	for (i = 0; i < p.len; i++) {
		ptree_samples_apply(p.n[i].sv, &d);
		p.n[i].size--;
	}
	for (i = 0; i < p.len; i++) {
		if (!p.n[i].leaf && p.n[i].size <= PTREE_JOIN)
			break;
	}
	if (i < p.len) {
		rc = join(ops, &p.n[i], x);
		if (rc == PKS_OK)
			rc = put_all(ops, &p, i + 1);
	} else {
		rc = ptree_node_leaf_remove(&p.n[p.len - 1], x);
		if (rc == PKS_OK)
			rc = put_all(ops, &p, p.len);
	}
out:
	path_free(&p);
	return rc;
}
