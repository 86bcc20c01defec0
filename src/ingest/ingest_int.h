/*
 * ingest_int.h: what ingest.c and ingest_pipe.c share.
 *
 * A key goes through ingest in two parts.  The first needs no database
 * and may run in any thread (ingest_prep_key: parse, canonical form,
 * fingerprint, key material, and for a key expected to be new, its
 * stored bytes, verified self-signatures, index facts and SKS hash).
 * The second runs in the thread that owns the transaction, one key
 * after the other in input order (the finish callback: tombstones, the
 * stored copy, merge, rows).  ingest_pipe runs the first part of the
 * keys of a keyring ahead of the second in worker threads.
 */
#ifndef PKS_INGEST_INT_H
#define PKS_INGEST_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pgp/pgp_fpr.h"
#include "pgp/pgp_index.h"
#include "pgp/pgp_key.h"
#include "util/buf.h"
#include "util/rc.h"

struct store;

/* A key's row as written, computed before the write. */
struct ingest_write {
	struct buf out; /* the key's stored bytes (SKS framing) */
	struct buf chk; /* its check record */
	struct pgp_key_info *info;
	uint8_t hash[16];
	size_t nverified; /* cryptographic verifications done */
	int ready;        /* 0: refused (why) */
	enum pks_rc why_rc;
	const char *why; /* static */
};

/* Free what w holds and zero it; a zeroed w is fine. */
void ingest_write_clear(struct ingest_write *w);

/* How far the pure part of a key got. */
enum ingest_stage {
	INGEST_STAGE_SPLIT,    /* the keyring's framing failed here */
	INGEST_STAGE_PARSE,    /* the key does not parse */
	INGEST_STAGE_FPR,      /* no fingerprint */
	INGEST_STAGE_MATERIAL, /* key material gpg refuses */
	INGEST_STAGE_OK
};

/* One key of a keyring and the pure work done on it. */
struct ingest_prep {
	const uint8_t *p; /* the key's bytes in the keyring (borrowed) */
	size_t n;
	enum ingest_stage stage;
	enum pks_rc rc;      /* why the stage failed */
	const char *why;     /* static */
	struct pgp_key *key; /* parsed, canonical (stage >= FPR) */
	struct pgp_fpr fpr;
	int have_fpr;
	int over;              /* over the [keys] limits as it came */
	struct ingest_write w; /* w.ready or w.why: prepared as new */
	int prepared;
};

/*
 * The pure part of the key k->p, k->n (stage SPLIT: nothing to do).
 * When 'as_new' is set and the key is usable and within the limits, its
 * row is prepared as for a key not stored yet (k->prepared).
 */
void ingest_prep_key(struct ingest_prep *k, int as_new);

/* Prepare the row of k (stage OK) as for a key not stored yet, unless
 * it is over the [keys] limits or prepared already. */
void ingest_prep_new(struct ingest_prep *k);

/* Free what k holds and zero it. */
void ingest_prep_clear(struct ingest_prep *k);

/*
 * The second part of one key, in input order: returns a database error
 * (which ends the keyring) or PKS_OK; *as_new tells whether the next
 * keys are worth preparing as new ones.
 */
typedef enum pks_rc (*ingest_finish_fn)(
    void *arg, struct ingest_prep *k, int *as_new);

/*
 * Every key of the binary keyring data, len: the pure part in up to
 * 'threads' threads (the caller's included; 1: the caller's alone) with
 * at most 'inflight' keys prepared and not finished, and finish() of
 * each key in the caller's thread, in input order.  A framing error
 * reaches finish() as stage SPLIT and ends the keyring when no key
 * follows it.  Returns the first error of finish(); the threads are
 * joined before it returns.
 */
enum pks_rc ingest_pipe_run(const uint8_t *data, size_t len, size_t threads,
    size_t inflight, ingest_finish_fn finish, void *arg);

/* What ingest_armor_walk does with the armored blocks of a text. */
struct ingest_blocks {
	/* A decoded block: its keys (*nkeys: how many it held).  It may
	 * take bin's bytes (and zero bin).  An error ends the walk. */
	enum pks_rc (*ring)(void *arg, struct buf *bin, size_t *nkeys);
	/* A block that does not decode, or holds no key. */
	void (*refused)(void *arg, enum pks_rc rc, const char *why);
	void *arg;
};

/* Every armored block of text, len, in order; returns ring()'s error. */
enum pks_rc ingest_armor_walk(
    const char *text, size_t len, const struct ingest_blocks *b);

/* The largest text ingest_text plans before its transaction. */
#define INGEST_PLAN_MAX (1024u * 1024)

/* One entry of a plan: a key (is_key) or a refused armor block. */
struct ingest_item {
	int is_key;
	struct ingest_prep k; /* is_key: its pure part, done */
	enum pks_rc rc;       /* a refused block: why */
	const char *why;      /* static */
};

/* A text's keys, in input order, with the work done before the write
 * lock (ingest_plan.c).  Owns its items and decoded blocks. */
struct ingest_plan {
	struct ingest_item *v;
	size_t n, cap;
	struct buf *bins; /* decoded armor blocks the keys point into */
	size_t nbins;
};

/*
 * The plan of text, len (binary: a keyring; else armored blocks): each
 * key parsed and checked, and prepared as new when the store (read, no
 * lock) has no key with its fingerprint.  The text must outlive the
 * plan.  Returns the first error of the keyring walk (none today);
 * *out is the caller's to ingest_plan_free either way.
 */
enum pks_rc ingest_plan_make(struct store *st, const char *text, size_t len,
    int binary, struct ingest_plan *out);

void ingest_plan_free(struct ingest_plan *p);

#endif
