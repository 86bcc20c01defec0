/*
 * store_tombstone.h: keys removed for good by the operator.
 *
 * "pksync delete" removes a key and leaves a tombstone: its fingerprint,
 * the time and the reason (table tombstones, sql/007-tombstones.sql).
 * ingest refuses every key whose fingerprint has one, whatever path it
 * comes by, and HKP answers a lookup of it with 410 and the reason.
 * "pksync undelete" lifts a tombstone.
 */
#ifndef PKS_STORE_TOMBSTONE_H
#define PKS_STORE_TOMBSTONE_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "store/store_query.h"
#include "util/rc.h"

/* Add (or renew) the tombstone of fpr.  Call inside a transaction.
 * PKS_ERR_INTERNAL, and nothing written, for a length no fingerprint
 * has (a fingerprint is 16, 20 or 32 bytes). */
enum pks_rc store_tombstone_add(
    struct store *st, const uint8_t *fpr, size_t fprlen, const char *reason);

/* PKS_OK and *reason (owned, free()) when fpr has a tombstone, else
 * PKS_ERR_NOTFOUND (also for a length no fingerprint has).  reason may
 * be NULL. */
enum pks_rc store_tombstone_get(
    struct store *st, const uint8_t *fpr, size_t fprlen, char **reason);

/* The same for what a search names: a fingerprint, or a 64- or 32-bit
 * key ID matched against the tombstones' fingerprints.  Other searches
 * are PKS_ERR_NOTFOUND. */
enum pks_rc store_tombstone_match(
    struct store *st, const struct store_query *q, char **reason);

/* Lift the tombstone of fpr; PKS_ERR_NOTFOUND, and nothing removed, if
 * it had none or fpr has a length no fingerprint has. */
enum pks_rc store_tombstone_remove(
    struct store *st, const uint8_t *fpr, size_t fprlen);

/* One tombstone, for listings (strings valid during the call). */
struct store_tombstone {
	const char *fpr; /* upper-case hex */
	int64_t created;
	const char *reason;
};

/* Call cb for every tombstone, oldest first. */
enum pks_rc store_tombstone_list(struct store *st,
    void (*cb)(void *arg, const struct store_tombstone *t), void *arg);

#endif
