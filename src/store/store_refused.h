/*
 * store_refused.h: SKS hashes of keys refused for good.
 *
 * When a key cannot be stored as received (its key material does not
 * parse, or a merge would pass the [keys] limits so only the owner's
 * packets were taken), the SKS hash it came with is recorded with the
 * reason, so that recon does not fetch that hash again at every
 * session and "pksync stats" can show what was refused.
 */
#ifndef PKS_STORE_REFUSED_H
#define PKS_STORE_REFUSED_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/rc.h"

/* Record (or refresh) a refused hash: fpr may be NULL (fprlen 0);
 * reason and source are copied.  Call inside a transaction or alone. */
enum pks_rc store_refused_add(struct store *st, const uint8_t hash[16],
    const uint8_t *fpr, size_t fprlen, const char *reason, const char *source);

/* Forget every refused hash recorded for fingerprint fpr (pksync
 * undelete), so recon fetches them again.  Call inside a transaction. */
enum pks_rc store_refused_forget(
    struct store *st, const uint8_t *fpr, size_t fprlen);

/* PKS_OK when the hash is recorded as refused, else PKS_ERR_NOTFOUND. */
enum pks_rc store_refused_has(struct store *st, const uint8_t hash[16]);

/* One recorded hash, for listings (strings valid during the call). */
struct store_refused {
	const char *hash; /* 32 upper-case hex */
	const char *fpr;  /* hex, "" when none */
	const char *reason;
	const char *source;
	int64_t first, last, count;
};

/* Call cb for the newest 'max' records, newest first; *total gets the
 * number of records (may be NULL). */
enum pks_rc store_refused_list(struct store *st, size_t max,
    void (*cb)(void *arg, const struct store_refused *r), void *arg,
    int64_t *total);

#endif
