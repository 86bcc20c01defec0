/*
 * ptree_node.h: the recon prefix tree, independent of where nodes live.
 *
 * A node is named by its prefix bitstring (bit 0 = MSB of wire byte 0 of
 * an element, i.e. of md5[0]); a child adds PTREE_BITQUANTUM bits taken
 * MSB-first.  Every node carries its size (elements below it) and six
 * sample values sv[i] = prod over its elements x of (point_i - x); an
 * empty node has all ones.  Leaves also hold their elements.  A leaf
 * whose size passes PTREE_SPLIT becomes internal with four children; an
 * internal node whose size drops to PTREE_JOIN or below becomes a leaf
 * again.  Invariants kept by ptree_insert/ptree_delete: a leaf holds at
 * most PTREE_SPLIT elements, and an internal node more than PTREE_JOIN
 * (so the children of a node that joins are always leaves).
 *
 * Three layers:
 *   1. node values: ptree_delta_*, ptree_samples_apply, ptree_node_split,
 *      ptree_child_index ... pure functions on struct ptree_node;
 *   2. ptree_insert/ptree_delete/ptree_get/ptree_elements: the tree
 *      algorithms over a node store given as struct ptree_ops (get, put,
 *      del by prefix).  The SQLite store implements the ops; ptree itself
 *      still does no I/O;
 *   3. struct ptree_mem: an in-memory node store (tests, recon
 *      snapshots), used through ptree_mem_ops().
 * The root (empty prefix) may be missing from a store: it then reads as
 * an empty leaf and is written on the first insert.
 */
#ifndef PKS_PTREE_NODE_H
#define PKS_PTREE_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "ptree/ptree_poly.h"
#include "ptree/ptree_zzp.h"
#include "util/rc.h"

#define PTREE_BITQUANTUM 2
#define PTREE_NCHILD (1 << PTREE_BITQUANTUM)
#define PTREE_SPLIT 50
#define PTREE_JOIN (PTREE_SPLIT / 2)
/* A leaf may briefly hold one more than PTREE_SPLIT while inserting. */
#define PTREE_LEAF_CAP (PTREE_SPLIT + 1)
/* Prefix bits: one per bit of the 17-byte element string. */
#define PTREE_MAXBITS (ZZP_WIRE_LEN * 8)
#define PTREE_PREFIX_BYTES ZZP_WIRE_LEN
#define PTREE_MAXDEPTH (PTREE_MAXBITS / PTREE_BITQUANTUM)

/* A bitstring; bits past nbits are zero. */
struct ptree_prefix {
	unsigned nbits;
	uint8_t b[PTREE_PREFIX_BYTES];
};

struct ptree_node {
	struct ptree_prefix pfx;
	uint32_t size; /* elements in the subtree */
	int leaf;      /* nonzero: elem[] holds them */
	struct zzp sv[PTREE_NSAMPLES];
	uint32_t nelem;                  /* leaf: == size; internal: 0 */
	struct zzp elem[PTREE_LEAF_CAP]; /* leaf elements, ascending */
};

/* Per-element sample factors, prepared once per insert or delete. */
struct ptree_delta {
	struct zzp m[PTREE_NSAMPLES]; /* Montgomery form */
};

/* ---- prefixes ---- */

void ptree_prefix_root(struct ptree_prefix *p);
/* Bit i (0 = MSB of b[0]). */
int ptree_prefix_bit(const struct ptree_prefix *p, unsigned i);
/* c = p extended by the PTREE_BITQUANTUM bits of child index idx (MSB
 * first).  PKS_ERR_TOOBIG past PTREE_MAXBITS. */
enum pks_rc ptree_prefix_child(
    struct ptree_prefix *c, const struct ptree_prefix *p, unsigned idx);
int ptree_prefix_eq(const struct ptree_prefix *a, const struct ptree_prefix *b);
/* Bytes used by the prefix: ceil(nbits / 8). */
size_t ptree_prefix_len(const struct ptree_prefix *p);
/* From nbits and ceil(nbits/8) bytes; trailing bits are cleared.
 * PKS_ERR_PARSE if nbits > PTREE_MAXBITS or len is not ceil(nbits/8). */
enum pks_rc ptree_prefix_set(
    struct ptree_prefix *p, unsigned nbits, const uint8_t *bytes, size_t len);
/* The first nbits bits of element x. */
void ptree_prefix_of(
    struct ptree_prefix *p, const struct zzp *x, unsigned nbits);

/* ---- node values ---- */

/* Child index of element x below a node at 'depth' (bits
 * [depth*q, depth*q+q) of its wire string, MSB first). */
unsigned ptree_child_index(const struct zzp *x, unsigned depth);
/* Depth of a node: prefix bits / PTREE_BITQUANTUM. */
unsigned ptree_node_depth(const struct ptree_node *n);

/* An empty leaf with the given prefix (all samples one). */
void ptree_node_init(struct ptree_node *n, const struct ptree_prefix *pfx);
/* Nonzero when x equals a sample point (such x is refused: SKS does). */
int ptree_is_point(const struct zzp *x);
/* Factors for adding (point_i - x) or removing (its inverse).  x must
 * not be a sample point. */
void ptree_delta_insert(struct ptree_delta *d, const struct zzp *x);
void ptree_delta_delete(struct ptree_delta *d, const struct zzp *x);
/* sv[i] *= d->m[i] for all i. */
void ptree_samples_apply(
    struct zzp sv[PTREE_NSAMPLES], const struct ptree_delta *d);
/* sv = sample values of the set elem[0..n) computed from scratch. */
void ptree_samples_of(
    struct zzp sv[PTREE_NSAMPLES], const struct zzp *elem, size_t n);
/* Index of x in a leaf's elements, or -1. */
int ptree_node_find(const struct ptree_node *n, const struct zzp *x);
/* Add x to a leaf's sorted elements (size and samples untouched).
 * PKS_ERR_REFUSED if present, PKS_ERR_INTERNAL if not a leaf or full. */
enum pks_rc ptree_node_leaf_add(struct ptree_node *n, const struct zzp *x);
/* Remove x from a leaf's elements; PKS_ERR_NOTFOUND if absent. */
enum pks_rc ptree_node_leaf_remove(struct ptree_node *n, const struct zzp *x);
/*
 * Make a leaf internal: kids[0..3] become leaves with the leaf's
 * elements distributed by ptree_child_index and their samples computed.
 * The node keeps its size and samples and drops its elements.
 * PKS_ERR_INTERNAL if n is not a leaf or is at PTREE_MAXDEPTH.
 */
enum pks_rc ptree_node_split(
    struct ptree_node *n, struct ptree_node kids[PTREE_NCHILD]);

/* Serialize samples as 6 x 17 wire bytes, and back (PKS_ERR_PARSE on a
 * value >= p).  For stores. */
#define PTREE_SAMPLES_LEN (PTREE_NSAMPLES * ZZP_WIRE_LEN)
void ptree_samples_pack(
    const struct zzp sv[PTREE_NSAMPLES], uint8_t out[PTREE_SAMPLES_LEN]);
enum pks_rc ptree_samples_unpack(
    struct zzp sv[PTREE_NSAMPLES], const uint8_t in[PTREE_SAMPLES_LEN]);

/* ---- tree algorithms over a node store ---- */

struct ptree_ops {
	void *ctx;
	/* Fill *out with the node at pfx; PKS_ERR_NOTFOUND if absent. */
	enum pks_rc (*get)(
	    void *ctx, const struct ptree_prefix *pfx, struct ptree_node *out);
	/* Create or replace the node at n->pfx. */
	enum pks_rc (*put)(void *ctx, const struct ptree_node *n);
	/* Remove the node at pfx (its children are removed first). */
	enum pks_rc (*del)(void *ctx, const struct ptree_prefix *pfx);
};

/*
 * Add element x: update size and samples along the root-to-leaf path,
 * store x in the leaf, split leaves that pass PTREE_SPLIT.  Nothing is
 * written unless the whole operation can proceed.  Errors:
 * PKS_ERR_REFUSED if x is already present or is a sample point;
 * PKS_ERR_INTERNAL if the store is inconsistent; store errors as is
 * (a store error midway may leave partial writes: run it in a
 * transaction).
 */
enum pks_rc ptree_insert(const struct ptree_ops *ops, const struct zzp *x);
/* Remove element x (inverse of insert; joins at PTREE_JOIN).
 * PKS_ERR_NOTFOUND if x is not in the tree. */
enum pks_rc ptree_delete(const struct ptree_ops *ops, const struct zzp *x);
/* The node at pfx; the root reads as an empty leaf when missing.
 * PKS_ERR_NOTFOUND for any other missing prefix. */
enum pks_rc ptree_get(const struct ptree_ops *ops,
    const struct ptree_prefix *pfx, struct ptree_node *out);
/* All elements below the node at pfx, ascending, in a new array the
 * caller frees (NULL when there are none). */
enum pks_rc ptree_elements(const struct ptree_ops *ops,
    const struct ptree_prefix *pfx, struct zzp **out, size_t *n);

/* ---- in-memory store ---- */

struct ptree_mem;

/* A new empty in-memory tree; free with ptree_mem_free (NULL is a
 * no-op).  Aborts on out-of-memory (xmalloc). */
struct ptree_mem *ptree_mem_new(void);
void ptree_mem_free(struct ptree_mem *t);
/* Ops bound to t, valid while t lives. */
void ptree_mem_ops(struct ptree_mem *t, struct ptree_ops *ops);
/* Number of stored nodes (the root counts once written). */
size_t ptree_mem_count(const struct ptree_mem *t);

#endif
