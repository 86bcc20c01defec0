/*
 * stats_snapshot.h: one snapshot of the server's state, taken once and
 * rendered by every view (the op=stats page and its JSON, "pksync
 * stats" text and JSON, the sync page, metrics), so that no two views
 * count differently.
 *
 * A snapshot reads the settings from the configuration, the counts from
 * the store (keys, days, refused hashes, the mail queue, recon
 * sessions) and the peer files through src/peers (the mail sync list
 * and the recon membership, read at the moment it is taken).  It is a
 * plain value: every pointer in it is owned by it, nothing is shared,
 * and it is freed by stats_snapshot_free.
 */
#ifndef PKS_STATS_SNAPSHOT_H
#define PKS_STATS_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "store/store_outbox.h"
#include "util/config.h"
#include "util/rc.h"

/* Days in the daily histogram. */
#define STATS_DAYS 30
/* Failed outbox rows kept (oldest first). */
#define STATS_FAILED 50
/* Refused hashes kept (newest first); the total is counted apart. */
#define STATS_REFUSED 20

/* A mail sync peer: one line of the sync list, then every former peer
 * that still has incrementals queued or failed (listed = 0). */
struct stats_mail_peer {
	char *address;
	int listed;
	int64_t queued;
	int64_t failed;
	int64_t last_delivered; /* unix time; 0: never */
};

/* A recon peer: one membership line, then every peer with a recorded
 * session that is no longer a member (listed = 0). */
struct stats_recon_peer {
	char *name; /* "host port" as the membership file writes it */
	char *host;
	unsigned recon_port;
	unsigned hkp_port; /* SKS's convention: recon port + 1 (0: none) */
	int listed;
	int64_t last;          /* last session, unix time; 0: never */
	char *role;            /* of the last session: "initiator", ... */
	char *result;          /* of the last session: "ok", "failed: ..." */
	int64_t last_good;     /* last session that ended "ok"; 0: never */
	int64_t keys_in;       /* of the last good session */
	int64_t keys_out;      /* of the last good session */
	int keys_out_at_least; /* keys_out is a lower bound (responder) */
	int64_t fetched;       /* of the last good session */
};

/* A refused SKS hash (strings owned by the snapshot). */
struct stats_refused {
	char *hash, *fpr, *reason, *source;
	int64_t first, last, count;
};

struct stats_snapshot {
	int64_t taken; /* unix time */
	/* settings */
	char *hostname, *nodename, *contact, *dbfile;
	const char *software, *version; /* static strings */
	unsigned http_port;
	int recon_port; /* -1: recon is off */
	/* keys */
	int64_t keys;
	struct store_day *days; /* newest first */
	size_t ndays;
	int64_t refused; /* hashes refused for good, in all */
	struct stats_refused *refused_rows;
	size_t nrefused_rows;
	/* the mail queue */
	struct store_outbox_totals queue;
	struct stats_mail_peer *mail;
	size_t nmail;
	struct store_outbox_failed *failed; /* replies and incrementals */
	size_t nfailed;
	/* recon */
	struct stats_recon_peer *recon;
	size_t nrecon;
};

/*
 * Take a snapshot with st and cfg (both borrowed for the call only);
 * *out is the caller's (stats_snapshot_free).  The HTTP port is the
 * configured one; a server that bound another (port 0) sets
 * (*out)->http_port itself.  A peer file that cannot be read counts as
 * empty (logged).  Errors: the store's (PKS_ERR_BUSY, PKS_ERR_DB, ...);
 * *out is then NULL.
 */
enum pks_rc stats_snapshot_take(struct store *st, const struct pks_config *cfg,
    struct stats_snapshot **out);

/* Free a snapshot; NULL does nothing. */
void stats_snapshot_free(struct stats_snapshot *s);

#endif
