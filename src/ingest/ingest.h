/*
 * ingest.h: the one door every key comes through.
 *
 * Whatever path brings keys in (HKP add, mail ADD, incrementals, recon
 * fetches, import) calls ingest.  For each key of a binary keyring:
 * parse (SKS grammar), canonicalise (yminsky.dedup), merge with the
 * stored copy (yminsky.merge), hash, and write the key with its search
 * indexes in one SQLite transaction.  A merge that adds nothing changes
 * nothing: no write, no new hash, no new timestamp.  Later work adds the
 * recon prefix tree and outgoing mail rows to the same transaction.
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

enum ingest_outcome {
	INGEST_NEW,
	INGEST_UPDATED,
	INGEST_UNCHANGED,
	INGEST_REFUSED
};

/* What happened to one key of the input. */
struct ingest_result {
	enum ingest_outcome outcome;
	struct pgp_fpr fpr;     /* valid unless the key was unreadable */
	int have_fpr;
	size_t added;           /* packets added by the merge */
	uint8_t hash[16];       /* SKS hash after the merge */
	const char *why;        /* reason when refused (static) */
};

struct ingest_stats {
	size_t nnew;
	size_t nupdated;
	size_t nunchanged;
	size_t nrefused;
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
 * failed call what cb heard was rolled back.
 */
enum pks_rc ingest_keyring(struct store *st, enum ingest_source src,
    const uint8_t *data, size_t len, ingest_cb cb, void *arg,
    struct ingest_stats *stats);

/*
 * The same for text that holds one or more armored key blocks (or, if
 * it starts with a packet header, binary data).  A bad armor block is
 * reported through cb as refused (no fingerprint) and does not stop the
 * others.  PKS_ERR_NOTFOUND if the text holds no key at all.
 */
enum pks_rc ingest_text(struct store *st, enum ingest_source src,
    const char *text, size_t len, ingest_cb cb, void *arg,
    struct ingest_stats *stats);

#endif
