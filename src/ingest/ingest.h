/*
 * ingest.h: the one door every key comes through.
 *
 * Whatever path brings keys in (HKP add, mail ADD, incrementals, recon
 * fetches, import) calls ingest.  For each key of a binary keyring:
 * parse (SKS grammar), canonicalise (yminsky.dedup), merge with the
 * stored copy (yminsky.merge), hash, and write the key with its search
 * indexes in one SQLite transaction.  A merge that adds nothing changes
 * nothing: no write, no new hash, no new timestamp.  The recon prefix
 * tree and the outgoing mail rows (outbox) are written in the same
 * transaction, so a key change and its incrementals are never apart,
 * and so are the persistent counters of keys added and updated per
 * source (store_counters.h; both mail sources count as "mail").
 */
#ifndef PKS_INGEST_H
#define PKS_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "pgp/pgp_fpr.h"
#include "store/store.h"
#include "util/rc.h"

enum ingest_source {
	INGEST_HKP,
	INGEST_IMPORT,
	INGEST_MAIL_ADD,
	INGEST_MAIL_INCREMENTAL,
	INGEST_RECON
};

/*
 * The mail sync list at the time of a merge: our X-KeyServer-Sent value
 * and the peers' addresses, from [mail] peers_file (peers/peers_mail.h)
 * through the helpers in ingest_sync.c.
 */
struct ingest_sync {
	char *this_site;
	char **peers;
	size_t npeers;
};

/* Free a sync list whose strings, array and struct are on the heap. */
void ingest_sync_free(struct ingest_sync *s);

/*
 * Read the mail sync list at path (peers_mail_read) into a new sync list
 * with this_site (copied); *out is the caller's (ingest_sync_free).
 * Errors: those of peers_mail_read (*out NULL).
 */
enum pks_rc ingest_sync_read(
    const char *path, const char *this_site, struct ingest_sync **out);

/* Nonzero if sy (NULL: empty) holds addr, ASCII case ignored. */
int ingest_sync_has(const struct ingest_sync *sy, const char *addr);

/*
 * Where a long-running process (serve) gets the current sync list, so
 * that edits of the peers file apply without a restart: get() gives a
 * fresh copy (*out owned by the caller, ingest_sync_free) or *out NULL
 * when mail sync is off.  Must be safe to call from several threads.
 */
struct ingest_sync_src {
	enum pks_rc (*get)(void *arg, struct ingest_sync **out);
	void *arg;
};

/*
 * A source that follows the peers file at path (a struct peers_mail
 * cache, re-read when the file changed): ingest_sync_file_get fits
 * struct ingest_sync_src with the result of ingest_sync_file_new as
 * arg.  path and this_site are copied; never fails.
 */
struct ingest_sync_file;
struct ingest_sync_file *ingest_sync_file_new(
    const char *path, const char *this_site);
void ingest_sync_file_free(struct ingest_sync_file *f);
enum pks_rc ingest_sync_file_get(void *f, struct ingest_sync **out);

/*
 * Where the keys of one ingest call come from (all borrowed):
 *  - src: the path they took;
 *  - sent, nsent: the X-KeyServer-Sent values of an incremental mail,
 *    in the order received; ignored for every other source (as in PKS,
 *    keys from HKP, import, mail ADD and recon go to every peer);
 *  - sync: the sync list, or NULL to queue no mail (import --no-mail).
 *
 * When a merge adds packets (a new key, or new packets for a stored
 * key), one outbox row per sync-list peer is written in the same
 * transaction, holding just those packets (the whole key when it is
 * new) and the outgoing path: the received values (incrementals only),
 * then this_site unless already there.  A peer named in the received
 * values (whole value, ASCII case ignored), this_site itself and a
 * repeated peer get no row.  A merge that adds nothing queues nothing,
 * so an incremental is forwarded only when it changed the database.
 */
struct ingest_origin {
	enum ingest_source src;
	const char *const *sent;
	size_t nsent;
	const struct ingest_sync *sync;
};

enum ingest_outcome {
	INGEST_NEW,
	INGEST_UPDATED,
	INGEST_UNCHANGED,
	INGEST_REFUSED
};

/* What happened to one key of the input. */
struct ingest_result {
	enum ingest_outcome outcome;
	struct pgp_fpr fpr; /* valid unless the key was unreadable */
	int have_fpr;
	size_t added;     /* packets added by the merge */
	uint8_t hash[16]; /* SKS hash after the merge */
	size_t queued;    /* outbox rows written for it (one per peer) */
	const char *why;  /* reason when refused (static) */
};

struct ingest_stats {
	size_t nnew;
	size_t nupdated;
	size_t nunchanged;
	size_t nrefused;
	size_t nqueued;   /* outbox rows written */
	size_t nverified; /* self-signatures verified (cryptographically) */
};

/* Called once per key, in input order; may be NULL. */
typedef void (*ingest_cb)(void *arg, const struct ingest_result *r);

/*
 * Merge every key of a binary keyring.  The whole call is one
 * transaction: on a transient failure (PKS_ERR_BUSY, PKS_ERR_FULL,
 * PKS_ERR_IO) everything is rolled back and the rc returned, so the
 * caller can retry.  A key that cannot be used is reported as
 * INGEST_REFUSED with a reason and does not stop the others.
 * stats (may be NULL) is added to, not reset, and only when the
 * transaction committed; cb hears of each key as it is done, so after a
 * failed call what cb heard was rolled back, outbox rows included.
 * origin is described above.
 */
enum pks_rc ingest_keyring(struct store *st, const struct ingest_origin *origin,
    const uint8_t *data, size_t len, ingest_cb cb, void *arg,
    struct ingest_stats *stats);

/*
 * The same in pieces, for an import that commits every N keys without
 * holding their bytes: ingest_txn_begin opens the transaction (write
 * lock; PKS_ERR_BUSY after the busy timeout), each ingest_txn_keyring
 * merges a piece of whole keys, ingest_txn_end(t, rc, stats) commits
 * when rc is PKS_OK (else rolls back), frees t and returns the final
 * rc, as ingest_keyring does.  Pieces are not retried: after a failed
 * piece, end the transaction with its rc.  *out is owned by the caller
 * until ingest_txn_end (which takes NULL and returns rc).
 */
struct ingest_txn;
enum pks_rc ingest_txn_begin(struct store *st,
    const struct ingest_origin *origin, ingest_cb cb, void *arg,
    struct ingest_txn **out);
enum pks_rc ingest_txn_keyring(
    struct ingest_txn *t, const uint8_t *data, size_t len);
enum pks_rc ingest_txn_end(
    struct ingest_txn *t, enum pks_rc rc, struct ingest_stats *stats);

/*
 * Let the pieces of t use 'threads' threads (the caller's included; 0
 * is taken as 1) for the work on a key that needs no database (parse,
 * canonical form, self-signature verification, index facts, SKS hash),
 * at most 'inflight' keys ahead of the one being written.  Keys are
 * still written, reported and counted in input order by the caller's
 * thread, so the database and every cb call are the same whatever the
 * number of threads.  The default is 1.
 */
void ingest_txn_threads(struct ingest_txn *t, size_t threads, size_t inflight);

/*
 * The same for text that holds one or more armored key blocks (or, if
 * it starts with a packet header, binary data).  A bad armor block is
 * reported through cb as refused (no fingerprint) and does not stop the
 * others.  PKS_ERR_NOTFOUND if the text holds no key at all.  The keys
 * are parsed, and new ones verified, before the write lock is taken
 * (ingest_plan.c), so other writers wait only for the writes.
 */
enum pks_rc ingest_text(struct store *st, const struct ingest_origin *origin,
    const char *text, size_t len, ingest_cb cb, void *arg,
    struct ingest_stats *stats);

/*
 * Remove the key with fingerprint fpr for good, in one transaction: its
 * row, indexes and prefix-tree entry go, its SKS hash is kept as
 * refused (recon does not fetch it again), and a tombstone with reason
 * makes every later upload, incremental, recon fetch or import of that
 * fingerprint a refusal.  A fingerprint with no key gets a tombstone
 * too (*removed 0).  Errors: store errors (nothing changed).
 */
enum pks_rc ingest_delete(struct store *st, const uint8_t *fpr, size_t fprlen,
    const char *reason, int *removed);

/* Lift the tombstone of fpr and forget the hashes refused for it, so
 * the key may come back by any path.  PKS_ERR_NOTFOUND: no tombstone. */
enum pks_rc ingest_undelete(
    struct store *st, const uint8_t *fpr, size_t fprlen);

#endif
