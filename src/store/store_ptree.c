/*
 * store_ptree.c: the recon prefix tree's nodes in SQLite (table
 * ptree_nodes), its upkeep when keys change, its rebuild and check, and
 * the recon peer status rows.  The tree algorithms are ptree's; this
 * file only stores nodes: a node row holds size, leaf flag, the six
 * sample values and a leaf's elements, all in recon wire form.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_counters.h"
#include "store/store_int.h"
#include "store/store_ptree.h"
#include "store/store_txn.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Row key of a prefix: the bit count, then the prefix bytes. */
#define PFX_KEY_MAX (1 + PTREE_PREFIX_BYTES)

static size_t
pfx_key(const struct ptree_prefix *p, uint8_t key[PFX_KEY_MAX])
{
	size_t n = ptree_prefix_len(p);

	key[0] = (uint8_t)p->nbits;
	memcpy(key + 1, p->b, n);
	return 1 + n;
}

/* Fill a node from its row (columns size, leaf, samples, elems). */
static enum pks_rc
node_from_row(struct store *st, sqlite3_stmt *s, struct ptree_node *out)
{
	const uint8_t *sv, *el;
	int64_t size;
	size_t svn, eln, i;

	size = sqlite3_column_int64(s, 0);
	out->leaf = sqlite3_column_int(s, 1) != 0;
	sv = sqlite3_column_blob(s, 2);
	svn = (size_t)sqlite3_column_bytes(s, 2);
	el = sqlite3_column_blob(s, 3);
	eln = (size_t)sqlite3_column_bytes(s, 3);
	if (size < 0 || size > UINT32_MAX || svn != PTREE_SAMPLES_LEN ||
	    eln % ZZP_WIRE_LEN != 0 || eln / ZZP_WIRE_LEN > PTREE_LEAF_CAP ||
	    (!out->leaf && eln != 0) ||
	    (out->leaf && eln / ZZP_WIRE_LEN != (size_t)size))
		return store_fail_msg(
		    st, PKS_ERR_INTERNAL, "damaged prefix tree node");
	out->size = (uint32_t)size;
	if (ptree_samples_unpack(out->sv, sv) != PKS_OK)
		return store_fail_msg(
		    st, PKS_ERR_INTERNAL, "damaged prefix tree samples");
	out->nelem = (uint32_t)(eln / ZZP_WIRE_LEN);
	for (i = 0; i < out->nelem; i++)
		if (zzp_from_wire(&out->elem[i], el + i * ZZP_WIRE_LEN) !=
		    PKS_OK)
			return store_fail_msg(st, PKS_ERR_INTERNAL,
			    "damaged prefix tree element");
	return PKS_OK;
}

static enum pks_rc
sql_get(
    struct store *st, const struct ptree_prefix *pfx, struct ptree_node *out)
{
	uint8_t key[PFX_KEY_MAX];
	sqlite3_stmt *s;
	enum pks_rc rc;
	size_t kn;
	int r;

	if ((rc = store_stmt_get(st, STMT_PTREE_GET, &s)) != PKS_OK)
		return rc;
	kn = pfx_key(pfx, key);
	sqlite3_bind_blob(s, 1, key, (int)kn, SQLITE_STATIC);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		out->pfx = *pfx;
		rc = node_from_row(st, s, out);
	} else if (r == SQLITE_DONE) {
		rc = PKS_ERR_NOTFOUND;
	} else {
		rc = store_fail(st, r);
	}
	store_stmt_done(s);
	return rc;
}

static enum pks_rc
sql_put(struct store *st, const struct ptree_node *n)
{
	uint8_t key[PFX_KEY_MAX], sv[PTREE_SAMPLES_LEN];
	uint8_t el[PTREE_LEAF_CAP * ZZP_WIRE_LEN];
	sqlite3_stmt *s;
	enum pks_rc rc;
	size_t kn, i, ne;

	if ((rc = store_stmt_get(st, STMT_PTREE_PUT, &s)) != PKS_OK)
		return rc;
	ne = n->leaf ? n->nelem : 0;
	if (ne > PTREE_LEAF_CAP)
		return store_fail_msg(st, PKS_ERR_INTERNAL, "leaf too large");
	kn = pfx_key(&n->pfx, key);
	ptree_samples_pack(n->sv, sv);
	for (i = 0; i < ne; i++)
		zzp_to_wire(&n->elem[i], el + i * ZZP_WIRE_LEN);
	sqlite3_bind_blob(s, 1, key, (int)kn, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, n->size);
	sqlite3_bind_int(s, 3, n->leaf ? 1 : 0);
	sqlite3_bind_blob(s, 4, sv, sizeof(sv), SQLITE_STATIC);
	if (n->leaf)
		sqlite3_bind_blob(
		    s, 5, el, (int)(ne * ZZP_WIRE_LEN), SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 5);
	return store_stmt_run(st, s);
}

static enum pks_rc
sql_del(struct store *st, const struct ptree_prefix *pfx)
{
	uint8_t key[PFX_KEY_MAX];
	sqlite3_stmt *s;
	enum pks_rc rc;
	size_t kn;

	if ((rc = store_stmt_get(st, STMT_PTREE_DEL, &s)) != PKS_OK)
		return rc;
	kn = pfx_key(pfx, key);
	sqlite3_bind_blob(s, 1, key, (int)kn, SQLITE_STATIC);
	return store_stmt_run(st, s);
}

/*
 * The transaction's node cache: an open-addressing table keyed by the
 * prefix.  An entry is a node (present), or a known absence; 'dirty'
 * entries differ from the database and are written at commit.
 */
enum pc_state { PC_PRESENT, PC_ABSENT };

struct pc_ent {
	struct ptree_node node; /* node.pfx is the key */
	enum pc_state state;
	int dirty;
};

struct ptree_cache {
	struct pc_ent **slot;
	size_t cap; /* a power of two */
	size_t n;
};

#define PC_MIN_CAP 1024

static size_t
pc_hash(const struct ptree_prefix *p)
{
	uint8_t key[PFX_KEY_MAX];
	size_t kn = pfx_key(p, key), i;
	uint64_t h = 1469598103934665603ull;

	for (i = 0; i < kn; i++)
		h = (h ^ key[i]) * 1099511628211ull;
	return (size_t)h;
}

/* The slot of pfx: its entry, or the empty slot where it would go. */
static struct pc_ent **
pc_slot(struct ptree_cache *c, const struct ptree_prefix *pfx)
{
	size_t i = pc_hash(pfx) & (c->cap - 1);

	while (
	    c->slot[i] != NULL && !ptree_prefix_eq(&c->slot[i]->node.pfx, pfx))
		i = (i + 1) & (c->cap - 1);
	return &c->slot[i];
}

static void
pc_grow(struct ptree_cache *c)
{
	struct pc_ent **old = c->slot;
	size_t oldcap = c->cap, i;

	c->cap = oldcap ? oldcap * 2 : PC_MIN_CAP;
	c->slot = xcalloc(c->cap, sizeof(*c->slot));
	for (i = 0; i < oldcap; i++)
		if (old[i] != NULL)
			*pc_slot(c, &old[i]->node.pfx) = old[i];
	free(old);
}

/* The entry of pfx, created (state absent, clean) if missing. */
static struct pc_ent *
pc_entry(struct ptree_cache *c, const struct ptree_prefix *pfx, int *created)
{
	struct pc_ent **sl;

	if (2 * (c->n + 1) > c->cap)
		pc_grow(c);
	sl = pc_slot(c, pfx);
	*created = *sl == NULL;
	if (*sl == NULL) {
		*sl = xcalloc(1, sizeof(**sl));
		(*sl)->node.pfx = *pfx;
		(*sl)->state = PC_ABSENT;
		c->n++;
	}
	return *sl;
}

static void
pc_free(struct ptree_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->cap; i++)
		free(c->slot[i]);
	free(c->slot);
	free(c);
}

void
store_ptree_cache_begin(struct store *st)
{
	if (st->pcache == NULL)
		st->pcache = xcalloc(1, sizeof(*st->pcache));
}

void
store_ptree_cache_drop(struct store *st)
{
	pc_free(st->pcache);
	st->pcache = NULL;
}

enum pks_rc
store_ptree_cache_flush(struct store *st)
{
	struct ptree_cache *c = st->pcache;
	struct pc_ent *e;
	enum pks_rc rc = PKS_OK;
	size_t i;

	st->pcache = NULL; /* the writes below go to SQL */
	for (i = 0; c != NULL && i < c->cap && rc == PKS_OK; i++) {
		if ((e = c->slot[i]) == NULL || !e->dirty)
			continue;
		rc = e->state == PC_PRESENT ? sql_put(st, &e->node)
					    : sql_del(st, &e->node.pfx);
	}
	pc_free(c);
	return rc;
}

static enum pks_rc
op_get(void *ctx, const struct ptree_prefix *pfx, struct ptree_node *out)
{
	struct store *st = ctx;
	struct pc_ent *e;
	enum pks_rc rc;
	int created;

	if (st->pcache == NULL)
		return sql_get(st, pfx, out);
	e = pc_entry(st->pcache, pfx, &created);
	if (created) {
		rc = sql_get(st, pfx, &e->node);
		if (rc == PKS_OK)
			e->state = PC_PRESENT;
		else if (rc != PKS_ERR_NOTFOUND)
			return rc; /* the transaction fails and is rolled back
				    */
		e->node.pfx = *pfx;
	}
	if (e->state == PC_ABSENT)
		return PKS_ERR_NOTFOUND;
	*out = e->node;
	return PKS_OK;
}

static enum pks_rc
op_put(void *ctx, const struct ptree_node *n)
{
	struct store *st = ctx;
	struct pc_ent *e;
	int created;

	if (st->pcache == NULL)
		return sql_put(st, n);
	e = pc_entry(st->pcache, &n->pfx, &created);
	e->node = *n;
	e->state = PC_PRESENT;
	e->dirty = 1;
	return PKS_OK;
}

static enum pks_rc
op_del(void *ctx, const struct ptree_prefix *pfx)
{
	struct store *st = ctx;
	struct pc_ent *e;
	int created;

	if (st->pcache == NULL)
		return sql_del(st, pfx);
	e = pc_entry(st->pcache, pfx, &created);
	e->state = PC_ABSENT;
	e->dirty = 1;
	return PKS_OK;
}

void
store_ptree_ops(struct store *st, struct ptree_ops *ops)
{
	ops->ctx = st;
	ops->get = op_get;
	ops->put = op_put;
	ops->del = op_del;
}

/* The hash and recon flag of key row id. */
static enum pks_rc
old_hash(struct store *st, int64_t id, uint8_t hash[16], int *recon)
{
	sqlite3_stmt *s;
	enum pks_rc rc;
	int r;

	if ((rc = store_stmt_get(st, STMT_PTREE_OLD, &s)) != PKS_OK)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 16) {
		memcpy(hash, sqlite3_column_blob(s, 0), 16);
		*recon = sqlite3_column_int(s, 1) != 0;
		rc = PKS_OK;
	} else if (r == SQLITE_ROW || r == SQLITE_DONE) {
		rc = PKS_ERR_NOTFOUND;
	} else {
		rc = store_fail(st, r);
	}
	store_stmt_done(s);
	return rc;
}

/* Number of recon keys other than row id with this hash. */
static enum pks_rc
hash_users(struct store *st, const uint8_t hash[16], int64_t id, int64_t *n)
{
	sqlite3_stmt *s;
	enum pks_rc rc;
	int r;

	if ((rc = store_stmt_get(st, STMT_PTREE_USED, &s)) != PKS_OK)
		return rc;
	sqlite3_bind_blob(s, 1, hash, 16, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, id);
	r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		*n = sqlite3_column_int64(s, 0);
		rc = PKS_OK;
	} else {
		rc = store_fail(st, r);
	}
	store_stmt_done(s);
	return rc;
}

enum pks_rc
store_ptree_key_change(
    struct store *st, int64_t id, const uint8_t hash[16], int recon)
{
	struct ptree_ops ops;
	uint8_t old[16];
	struct zzp x;
	int64_t users = 0;
	int old_recon = 0;
	enum pks_rc rc;

	/* A bulk import rebuilds the whole tree at its end. */
	if (st->bulk)
		return PKS_OK;
	store_ptree_ops(st, &ops);
	if (id != 0) {
		rc = old_hash(st, id, old, &old_recon);
		if (rc != PKS_OK && rc != PKS_ERR_NOTFOUND)
			return rc;
		if (rc == PKS_OK && old_recon &&
		    (!recon || memcmp(old, hash, 16) != 0)) {
			if ((rc = hash_users(st, old, id, &users)) != PKS_OK)
				return rc;
			zzp_from_md5(&x, old);
			rc = users > 0 ? PKS_OK : ptree_delete(&ops, &x);
			if (rc != PKS_OK && rc != PKS_ERR_NOTFOUND)
				return rc;
		}
	}
	if (!recon)
		return PKS_OK;
	zzp_from_md5(&x, hash);
	rc = ptree_insert(&ops, &x);
	/* Already there (another key with this hash, or unchanged), or a
	 * sample point (never offered, as SKS does). */
	return rc == PKS_ERR_REFUSED ? PKS_OK : rc;
}

int
store_ptree_stale(struct store *st)
{
	char *val = NULL;
	int stale;

	if (store_meta_get(st, "ptree_rebuild", &val) != PKS_OK)
		return 0;
	stale = strcmp(val, "1") == 0;
	free(val);
	return stale;
}

struct md5 {
	uint8_t b[ZZP_MD5_LEN];
};

static int
md5_cmp(const void *a, const void *b)
{
	return memcmp(a, b, ZZP_MD5_LEN);
}

/* The hashes of h[0..n) sorted, each once, as elements in a new array
 * (free()); *n their number. */
static struct zzp *
distinct_elements(struct md5 *h, size_t *n)
{
	struct zzp *v = xreallocarray(NULL, *n ? *n : 1, sizeof(*v));
	size_t i, k = 0;

	if (*n > 1)
		qsort(h, *n, sizeof(*h), md5_cmp);
	for (i = 0; i < *n; i++)
		if (k == 0 || memcmp(h[i].b, h[i - 1].b, ZZP_MD5_LEN) != 0)
			zzp_from_md5(&v[k++], h[i].b);
	*n = k;
	return v;
}

/*
 * Every distinct recon hash, as elements in a new array (free()).  The
 * keys are read in their table's order and the hashes sorted here: in
 * the order of keys_hash, each key's recon flag was a read of a random
 * page of the keys table (a million keys: 9 s against 3 s).
 */
static enum pks_rc
load_hashes(struct store *st, struct zzp **out, size_t *n)
{
	sqlite3_stmt *s;
	struct md5 *h = NULL;
	size_t cap = 0;
	enum pks_rc rc;
	int r;

	*out = NULL;
	*n = 0;
	if ((rc = store_stmt_get(st, STMT_PTREE_HASHES, &s)) != PKS_OK)
		return rc;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(s, 0) != ZZP_MD5_LEN)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 1024;
			h = xreallocarray(h, cap, sizeof(*h));
		}
		memcpy(h[(*n)++].b, sqlite3_column_blob(s, 0), ZZP_MD5_LEN);
	}
	store_stmt_done(s);
	if (r != SQLITE_DONE) {
		free(h);
		*n = 0;
		return store_fail(st, r);
	}
	*out = distinct_elements(h, n);
	free(h);
	return PKS_OK;
}

/* An in-memory tree of the given elements (sample points left out). */
static struct ptree_mem *
mem_tree(const struct zzp *v, size_t n, struct ptree_ops *ops)
{
	struct ptree_mem *t = ptree_mem_new();
	size_t i;

	ptree_mem_ops(t, ops);
	for (i = 0; i < n; i++)
		(void)ptree_insert(ops, &v[i]);
	return t;
}

/* Copy node pfx of 'from' and everything below it into 'to'. */
static enum pks_rc
copy_tree(const struct ptree_ops *from, const struct ptree_ops *to,
    const struct ptree_prefix *pfx)
{
	struct ptree_node *n = xmalloc(sizeof(*n));
	struct ptree_prefix c;
	enum pks_rc rc;
	unsigned i;

	rc = ptree_get(from, pfx, n);
	if (rc == PKS_OK)
		rc = to->put(to->ctx, n);
	for (i = 0; rc == PKS_OK && !n->leaf && i < PTREE_NCHILD; i++) {
		rc = ptree_prefix_child(&c, pfx, i);
		if (rc == PKS_OK)
			rc = copy_tree(from, to, &c);
	}
	free(n);
	return rc;
}

struct rebuild {
	struct zzp *v; /* the key hashes */
	size_t n;
	struct ptree_mem *t; /* the tree built from them in memory */
};

/* Clear the stored tree and write the one built from the key hashes
 * (inside the rebuild's transaction). */
static enum pks_rc
rebuild_tree(struct store *st, void *arg)
{
	struct rebuild *r = arg;
	struct ptree_ops mops, sops;
	struct ptree_prefix root;
	sqlite3_stmt *clear;
	enum pks_rc rc;

	/* The whole tree is written once, after the SQL clear: no cache. */
	store_ptree_cache_drop(st);
	if ((rc = load_hashes(st, &r->v, &r->n)) != PKS_OK)
		return rc;
	r->t = mem_tree(r->v, r->n, &mops);
	store_ptree_ops(st, &sops);
	ptree_prefix_root(&root);
	if ((rc = store_stmt_get(st, STMT_PTREE_CLEAR, &clear)) != PKS_OK)
		return rc;
	rc = store_stmt_run(st, clear);
	if (rc == PKS_OK)
		rc = copy_tree(&mops, &sops, &root);
	if (rc == PKS_OK)
		rc = store_meta_set(st, "ptree_rebuild", "0");
	return rc;
}

enum pks_rc
store_ptree_rebuild(struct store *st, size_t *count)
{
	struct rebuild r = { NULL, 0, NULL };
	int64_t t = clock_ms();
	enum pks_rc rc;

	rc = store_txn_run(st, rebuild_tree, &r);
	if (rc == PKS_OK)
		log_info("prefix tree rebuilt: %zu elements in %.1f s", r.n,
		    (double)(clock_ms() - t) / 1000.0);
	if (count != NULL)
		*count = r.n;
	ptree_mem_free(r.t);
	free(r.v);
	return rc;
}

/* State of a tree check. */
struct verify {
	struct store *st;
	struct ptree_ops ops;
	void (*cb)(void *, const char *);
	void *arg;
	size_t nproblems;
};

static void
problem(struct verify *vf, const struct ptree_prefix *pfx, const char *what)
{
	char line[160];

	snprintf(line, sizeof(line), "prefix tree node at depth %u: %s",
	    pfx->nbits / PTREE_BITQUANTUM, what);
	vf->nproblems++;
	vf->cb(vf->arg, line);
}

/* Compare a node with its elements (size, samples, element prefixes). */
static void
check_node_values(struct verify *vf, const struct ptree_node *n,
    const struct zzp *el, size_t ne)
{
	struct zzp sv[PTREE_NSAMPLES];
	struct ptree_prefix p;
	size_t i;
	int k;

	if (n->size != ne)
		problem(vf, &n->pfx, "size differs from its elements");
	ptree_samples_of(sv, el, ne);
	for (k = 0; k < PTREE_NSAMPLES; k++)
		if (!zzp_eq(&sv[k], &n->sv[k])) {
			problem(vf, &n->pfx,
			    "sample values differ from a "
			    "recomputation");
			break;
		}
	for (i = 0; i < ne; i++) {
		ptree_prefix_of(&p, &el[i], n->pfx.nbits);
		if (!ptree_prefix_eq(&p, &n->pfx)) {
			problem(vf, &n->pfx, "element under the wrong prefix");
			break;
		}
	}
}

/* Elements below pfx into *v (appended), checking every node. */
static enum pks_rc
verify_walk(struct verify *vf, const struct ptree_prefix *pfx, struct zzp **v,
    size_t *nv, size_t *cap)
{
	struct ptree_node *n = xmalloc(sizeof(*n));
	struct ptree_prefix c;
	size_t start = *nv, i;
	enum pks_rc rc;

	rc = ptree_get(&vf->ops, pfx, n);
	if (rc == PKS_ERR_NOTFOUND || rc == PKS_ERR_INTERNAL) {
		problem(vf, pfx, "missing or damaged");
		rc = PKS_OK;
		goto out;
	}
	for (i = 0; rc == PKS_OK && n->leaf && i < n->nelem; i++) {
		if (*nv == *cap) {
			*cap = *cap ? 2 * *cap : 1024;
			*v = xreallocarray(*v, *cap, sizeof(**v));
		}
		(*v)[(*nv)++] = n->elem[i];
	}
	for (i = 0; rc == PKS_OK && !n->leaf && i < PTREE_NCHILD; i++) {
		rc = ptree_prefix_child(&c, pfx, (unsigned)i);
		if (rc == PKS_OK)
			rc = verify_walk(vf, &c, v, nv, cap);
	}
	if (rc == PKS_OK)
		check_node_values(
		    vf, n, *v == NULL ? NULL : *v + start, *nv - start);
out:
	free(n);
	return rc;
}

/* The tree's elements against the keys' hashes (both sorted). */
static void
compare_sets(
    struct verify *vf, struct zzp *tree, size_t nt, struct zzp *keys, size_t nk)
{
	size_t i = 0, j = 0, extra = 0, missing = 0;
	char line[160];
	int c;

	/* An empty database has no arrays (qsort(NULL, 0) is undefined). */
	if (nt > 1)
		qsort(tree, nt, sizeof(*tree), zzp_qsort_cmp);
	if (nk > 1)
		qsort(keys, nk, sizeof(*keys), zzp_qsort_cmp);
	while (i < nt || j < nk) {
		if (j < nk && ptree_is_point(&keys[j])) {
			j++;
			continue;
		}
		c = i == nt ? 1 : j == nk ? -1 : zzp_cmp(&tree[i], &keys[j]);
		if (c < 0)
			extra++;
		else if (c > 0)
			missing++;
		i += c <= 0;
		j += c >= 0;
	}
	if (extra + missing == 0)
		return;
	snprintf(line, sizeof(line),
	    "prefix tree: %zu hashes not of any "
	    "recon key, %zu recon hashes missing (run pksync check "
	    "--rebuild-ptree)",
	    extra, missing);
	vf->nproblems++;
	vf->cb(vf->arg, line);
}

enum pks_rc
store_ptree_verify(struct store *st, void (*cb)(void *, const char *),
    void *arg, size_t *nproblems)
{
	struct verify vf;
	struct ptree_prefix root;
	struct zzp *tree = NULL, *keys = NULL;
	size_t nt = 0, cap = 0, nk = 0;
	enum pks_rc rc;

	memset(&vf, 0, sizeof(vf));
	vf.st = st;
	vf.cb = cb;
	vf.arg = arg;
	store_ptree_ops(st, &vf.ops);
	ptree_prefix_root(&root);
	if ((rc = store_ptree_snapshot(st)) != PKS_OK)
		return rc;
	rc = load_hashes(st, &keys, &nk);
	if (rc == PKS_OK)
		rc = verify_walk(&vf, &root, &tree, &nt, &cap);
	if (rc == PKS_OK)
		compare_sets(&vf, tree, nt, keys, nk);
	store_ptree_snapshot_end(st);
	free(tree);
	free(keys);
	*nproblems = vf.nproblems;
	return rc;
}

enum pks_rc
store_ptree_snapshot(struct store *st)
{
	sqlite3_stmt *s;
	enum pks_rc rc;

	if ((rc = store_stmt_get(st, STMT_BEGIN_READ, &s)) != PKS_OK)
		return rc;
	return store_stmt_run(st, s);
}

void
store_ptree_snapshot_end(struct store *st)
{
	store_rollback(st);
}

static const char peer_set_sql[] =
    "INSERT INTO recon_peers(peer, last, result, keys_in, keys_out, "
    "fetched, sessions, role, ok_last, ok_role, ok_keys_in, ok_keys_out, "
    "ok_fetched) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, "
    "CASE WHEN ?3 = 'ok' THEN ?2 ELSE 0 END, "
    "CASE WHEN ?3 = 'ok' THEN ?7 ELSE '' END, "
    "CASE WHEN ?3 = 'ok' THEN ?4 ELSE 0 END, "
    "CASE WHEN ?3 = 'ok' THEN ?5 ELSE 0 END, "
    "CASE WHEN ?3 = 'ok' THEN ?6 ELSE 0 END) "
    "ON CONFLICT(peer) DO UPDATE SET last = excluded.last, "
    "result = excluded.result, keys_in = excluded.keys_in, "
    "keys_out = excluded.keys_out, fetched = excluded.fetched, "
    "sessions = sessions + 1, role = excluded.role, "
    "ok_last = CASE WHEN ?3 = 'ok' THEN ?2 ELSE ok_last END, "
    "ok_role = CASE WHEN ?3 = 'ok' THEN ?7 ELSE ok_role END, "
    "ok_keys_in = CASE WHEN ?3 = 'ok' THEN ?4 ELSE ok_keys_in END, "
    "ok_keys_out = CASE WHEN ?3 = 'ok' THEN ?5 ELSE ok_keys_out END, "
    "ok_fetched = CASE WHEN ?3 = 'ok' THEN ?6 ELSE ok_fetched END";

static const char peer_list_sql[] =
    "SELECT peer, last, result, keys_in, keys_out, fetched, sessions, "
    "role, ok_last, ok_role, ok_keys_in, ok_keys_out, ok_fetched "
    "FROM recon_peers ORDER BY peer";

/* The persistent counters of one session (store_counters.h). */
static enum pks_rc
count_session(struct store *st, const struct store_recon_peer *p)
{
	enum pks_rc rc;

	rc = store_counter_add(st,
	    strcmp(p->result, "ok") == 0 ? STORE_CTR_RECON_OK
					 : STORE_CTR_RECON_FAILED,
	    p->peer, 1);
	if (rc == PKS_OK && p->fetched > 0)
		rc = store_counter_add(
		    st, STORE_CTR_RECON_FETCHED, p->peer, p->fetched);
	return rc;
}

/* The session's row and counters (inside store_recon_peer_set's
 * transaction). */
static enum pks_rc
peer_set(struct store *st, void *arg)
{
	const struct store_recon_peer *p =
	    *(const struct store_recon_peer **)arg;
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	int r;

	r = sqlite3_prepare_v2(st->db, peer_set_sql, -1, &s, NULL);
	if (r != SQLITE_OK) {
		rc = store_fail(st, r);
		sqlite3_finalize(s);
		return rc;
	}
	sqlite3_bind_text(s, 1, p->peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, p->last);
	sqlite3_bind_text(s, 3, p->result, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, p->keys_in);
	sqlite3_bind_int64(s, 5, p->keys_out);
	sqlite3_bind_int64(s, 6, p->fetched);
	sqlite3_bind_text(s, 7, p->role, -1, SQLITE_STATIC);
	if ((r = sqlite3_step(s)) != SQLITE_DONE)
		rc = store_fail(st, r);
	else
		rc = count_session(st, p);
	sqlite3_finalize(s);
	return rc;
}

enum pks_rc
store_recon_peer_set(struct store *st, const struct store_recon_peer *p)
{
	return store_txn_run(st, peer_set, &p);
}

/* Column i of s as text into out[n]. */
static void
col_text(sqlite3_stmt *s, int i, char *out, size_t n)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	snprintf(out, n, "%s", t ? (const char *)t : "");
}

static void
peer_from_row(sqlite3_stmt *s, struct store_recon_peer *p)
{
	memset(p, 0, sizeof(*p));
	col_text(s, 0, p->peer, sizeof(p->peer));
	p->last = sqlite3_column_int64(s, 1);
	col_text(s, 2, p->result, sizeof(p->result));
	p->keys_in = sqlite3_column_int64(s, 3);
	p->keys_out = sqlite3_column_int64(s, 4);
	p->fetched = sqlite3_column_int64(s, 5);
	p->sessions = sqlite3_column_int64(s, 6);
	col_text(s, 7, p->role, sizeof(p->role));
	p->ok_last = sqlite3_column_int64(s, 8);
	col_text(s, 9, p->ok_role, sizeof(p->ok_role));
	p->ok_keys_in = sqlite3_column_int64(s, 10);
	p->ok_keys_out = sqlite3_column_int64(s, 11);
	p->ok_fetched = sqlite3_column_int64(s, 12);
}

enum pks_rc
store_recon_peer_list(
    struct store *st, struct store_recon_peer **out, size_t *n)
{
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	int r;

	*out = NULL;
	*n = 0;
	r = sqlite3_prepare_v2(st->db, peer_list_sql, -1, &s, NULL);
	if (r != SQLITE_OK)
		return store_fail(st, r);
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 16;
			*out = xreallocarray(*out, cap, sizeof(**out));
		}
		peer_from_row(s, &(*out)[(*n)++]);
	}
	sqlite3_finalize(s);
	if (r == SQLITE_DONE)
		return PKS_OK;
	free(*out);
	*out = NULL;
	*n = 0;
	return store_fail(st, r);
}
