/*
 * store_issuer.h: whether the issuers of third-party certifications are
 * keys stored here ([keys] served_certs_prefer = known).
 *
 * Asked by ingest only for the user IDs of a key that hold more
 * third-party certifications than op=get serves (pgp_key_flood_issuers),
 * so an ordinary key costs nothing; a flooded one costs one statement
 * per STORE_ISSUER_BATCH issuers, each an index seek.
 */
#ifndef PKS_STORE_ISSUER_H
#define PKS_STORE_ISSUER_H

#include <stddef.h>

#include "pgp/pgp_verify.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/rc.h"

/* Key IDs of a new key (primary, subkeys) looked up in the waits. */
#define STORE_WAIT_IDS 8

/* Stored keys one issuer may name (fingerprint or key ID collisions). */
#define STORE_ISSUER_KEYS 4

/* Issuers looked up by one statement, and its parameter list. */
#define STORE_ISSUER_BATCH 100
#define STORE_ISSUER_P10 "?,?,?,?,?,?,?,?,?,?,"
#define STORE_ISSUER_PARAMS                                                    \
	STORE_ISSUER_P10 STORE_ISSUER_P10 STORE_ISSUER_P10 STORE_ISSUER_P10    \
	    STORE_ISSUER_P10 STORE_ISSUER_P10 STORE_ISSUER_P10                 \
		STORE_ISSUER_P10 STORE_ISSUER_P10 "?,?,?,?,?,?,?,?,?,?"

/*
 * Set v[i].known for every issuer that is a key or subkey stored here:
 * by fingerprint when the signature names one (issuer fingerprint
 * subpacket), else by 64-bit key ID.  Read-only; inside or outside a
 * transaction.  Errors: the database's.
 */
enum pks_rc store_issuers_known(
    struct store *st, struct pgp_issuer *v, size_t n);

/* What marking one key did. */
struct store_mark {
	size_t verified; /* cryptographic verifications */
	size_t reused;   /* verdicts taken from the stored copy */
	size_t left;     /* by stored issuers, over the bound: unverified */
};

/*
 * [keys] served_certs_prefer = known: for the user IDs of 'key' that
 * hold more third-party certifications than op=get serves (only those
 * need a choice, so an ordinary key asks the store nothing), add to
 * its check record chk (fresh from pgp_key_verify) the verdict of
 * every certification whose issuer key is stored here: it verifies
 * against it (preferred) or it does not (never served).  Verdicts of
 * the stored copy, row id (0: none), are taken over; at most [keys]
 * issuer_verifications new ones are verified, the rest are left
 * unmarked and logged.  Inside the caller's transaction.
 */
enum pks_rc store_issuers_mark(struct store *st, const struct pgp_key *key,
    int64_t id, struct buf *chk, struct store_mark *m);

/*
 * After the row id of 'key' is written with its record chk (is_new: a
 * new key): for a flooded key, rewrite the certifications that wait
 * for their issuer (those not stored here, at most [keys]
 * issuer_waits_per_key); for a new key, one indexed look-up of the
 * keys waiting for it (by its key IDs), each marked again
 * (store_issuers_mark, record rewritten in place), at most [keys]
 * issuer_remarks_per_key of them.  Inside the caller's transaction.
 */
enum pks_rc store_issuers_written(struct store *st, const struct pgp_key *key,
    int64_t id, int is_new, const struct buf *chk);

/* The schema version from which issuers are verified and wait. */
#define STORE_ISSUER_SCHEMA 12

/*
 * After upgrading a database from before STORE_ISSUER_SCHEMA: mark
 * again every key stored with a format 1 check record (issuers
 * matched, not verified) that may hold a flooded user ID (its size
 * says so), as a new certifier would (verdicts, waits); progress in
 * the log every 1000 keys.  Inside the upgrade's transaction.
 */
enum pks_rc store_issuers_fill(struct store *st);

#endif
