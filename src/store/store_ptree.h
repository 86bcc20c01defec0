/*
 * store_ptree.h: the recon prefix tree in SQLite, and the recon peer
 * status table.
 *
 * The tree's nodes live in table ptree_nodes keyed by their prefix
 * (sql/004-ptree.sql); the tree logic is ptree's (ptree_insert,
 * ptree_delete, ...), driven through the struct ptree_ops that
 * store_ptree_ops() binds to a connection.  The tree holds the distinct
 * SKS hashes of the keys with keys.recon = 1, and ingest changes it in
 * the same transaction as the key (store_ptree_key_change), so the two
 * cannot disagree.  A database upgraded from before the tree existed is
 * marked "ptree_rebuild" and rebuilt by store_ptree_rebuild().
 */
#ifndef PKS_STORE_PTREE_H
#define PKS_STORE_PTREE_H

#include <stddef.h>
#include <stdint.h>

#include "ptree/ptree_node.h"
#include "store/store.h"
#include "util/rc.h"

/* Ops over the tree of connection st, valid while st is open.  The ops
 * do not open transactions: callers do (store_begin, or
 * store_ptree_snapshot for a consistent read).  In a write transaction
 * the nodes are cached and written once each at store_commit(). */
void store_ptree_ops(struct store *st, struct ptree_ops *ops);

/*
 * The tree part of writing a key (call inside the key's transaction,
 * BEFORE the key row is written): with id != 0 the row's current hash
 * leaves the tree unless another recon key keeps it; then, when recon
 * is set, hash enters the tree (already present is fine).  A tree that
 * is marked for rebuilding may lack the old hash: that is not an error.
 * Errors: store errors; PKS_ERR_INTERNAL for an inconsistent tree.
 */
enum pks_rc store_ptree_key_change(
    struct store *st, int64_t id, const uint8_t hash[16], int recon);

/* Nonzero when the tree must be rebuilt (meta "ptree_rebuild" set). */
int store_ptree_stale(struct store *st);

/* Empty the tree and insert every distinct hash of the recon keys, in
 * one transaction of its own; clears the rebuild mark.  *n (may be
 * NULL) gets the element count. */
enum pks_rc store_ptree_rebuild(struct store *st, size_t *n);

/*
 * Compare the stored tree with one computed from scratch from the keys:
 * root size, root sample values, and the element set.  Problems go to
 * cb one line each; *nproblems gets their count.  Read-only.
 */
enum pks_rc store_ptree_verify(struct store *st,
    void (*cb)(void *, const char *), void *arg, size_t *nproblems);

/* A read snapshot (deferred transaction) for a recon session, so the
 * tree does not change under it; end with store_ptree_snapshot_end(). */
enum pks_rc store_ptree_snapshot(struct store *st);
void store_ptree_snapshot_end(struct store *st);

/* ---- recon peer status ---- */

struct store_recon_peer {
	char peer[128];   /* "host port" as in the membership file */
	int64_t last;     /* unix time of the last session */
	char result[128]; /* "ok", or "failed: reason" */
	char role[16];    /* "initiator" or "responder" ("": unknown) */
	int64_t keys_in;  /* hashes we lacked (to fetch) */
	int64_t keys_out; /* hashes the peer lacked; as responder a
			   * lower bound (the peer solves most nodes
			   * itself and never says what it lacked) */
	int64_t fetched;  /* keys fetched and merged */
	int64_t sessions; /* sessions recorded */
	/* The last session whose result was "ok" (ok_last 0: none yet);
	 * filled by store_recon_peer_list, ignored by _set. */
	int64_t ok_last;
	char ok_role[16];
	int64_t ok_keys_in, ok_keys_out, ok_fetched;
};

/* Record one session: insert or update the peer's row and count the
 * session; when p->result is "ok" the ok_* columns take this session's
 * time and counts too, otherwise they keep the last good session.  The
 * persistent counters (store_counters.h) of sessions per peer and
 * result and of keys fetched per peer grow with it.  Runs its own
 * short write transaction. */
enum pks_rc store_recon_peer_set(
    struct store *st, const struct store_recon_peer *p);

/* Every row, ordered by peer; *out (free()) and *n. */
enum pks_rc store_recon_peer_list(
    struct store *st, struct store_recon_peer **out, size_t *n);

#endif
