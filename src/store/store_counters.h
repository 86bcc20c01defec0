/*
 * store_counters.h: persistent counters, kept in the database because
 * several processes count into it (serve, mail-filter, import): keys
 * added and updated per source, mails filtered per outcome, recon
 * sessions per peer and result, keys fetched per recon peer.  /metrics
 * reads them back (hkp_metrics.h).  A counter is a (name, label) row
 * that only grows; a row that was never bumped reads as absent.  One
 * row is not a count of events: STORE_CTR_KEYS_STORED is the number of
 * key rows (store_count_keys()), down as well as up.
 */
#ifndef PKS_STORE_COUNTERS_H
#define PKS_STORE_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/rc.h"

/* Counter names; the label of each is in the comment. */
#define STORE_CTR_KEYS_ADDED "keys_added"              /* source */
#define STORE_CTR_KEYS_UPDATED "keys_updated"          /* source */
#define STORE_CTR_MAIL_FILTERED "mail_filtered"        /* outcome */
#define STORE_CTR_RECON_OK "recon_sessions_ok"         /* peer */
#define STORE_CTR_RECON_FAILED "recon_sessions_failed" /* peer */
#define STORE_CTR_RECON_FETCHED "recon_fetched"        /* peer */
#define STORE_CTR_KEYS_STORED "keys_stored"            /* "" (store_int.h) */

/* Longest name and label kept (longer labels are cut). */
#define STORE_CTR_NAME_MAX 32
#define STORE_CTR_LABEL_MAX 256

/*
 * Add n to counter (name, label), creating it.  Call inside the
 * caller's write transaction, so the count commits or rolls back with
 * what it counts.  Errors: the store's.
 */
enum pks_rc store_counter_add(
    struct store *st, const char *name, const char *label, int64_t n);

/*
 * Add 1 to (name, label) in a transaction of its own, waiting at most
 * wait_ms for the write lock (then PKS_ERR_BUSY and nothing counted);
 * the connection's busy timeout is restored after.  For a count that
 * must not hold its caller up (mail-filter's outcome).
 */
enum pks_rc store_counter_bump(
    struct store *st, const char *name, const char *label, int wait_ms);

struct store_counter {
	char name[STORE_CTR_NAME_MAX];
	char label[STORE_CTR_LABEL_MAX];
	int64_t value;
};

/* Up to max counters, ordered by name and label; *out is owned by the
 * caller (free()). */
enum pks_rc store_counter_list(
    struct store *st, size_t max, struct store_counter **out, size_t *n);

#endif
