/*
 * stats_render.h: the views of a snapshot (stats_snapshot.h) that need
 * no web server: the JSON that both "op=stats&options=mr" and "pksync
 * stats --json" answer (one renderer, so one text), the text of
 * "pksync stats", and the health of a peer that the pages colour.
 *
 * The JSON is one object on one line, ending in '\n':
 *   software, version, hostname, nodename, contact (strings);
 *   httpPort, reconPort (number; reconPort null when recon is off);
 *   total and keys (the key count, both names), refused (number);
 *   peers: ["host port"] (the recon membership, SKS's form);
 *   mailsyncPeers: [address] (the mail sync list);
 *   mailQueue: [{peer, queued, failed}] (sync peers, then former peers
 *     with incrementals still queued or failed);
 *   mailQueueTotals: {incrementalsQueued, incrementalsFailed,
 *     repliesQueued, repliesFailed, oldestQueued, failed: [{id, kind,
 *     recipient, created, tries, why}]} (failed incrementals only: a
 *     reply's recipient is a person and is never published);
 *   mailPeers: [{address, queued, failed, lastDelivered}] (the sync list);
 *   reconPeers: [{host, reconPort, hkpUrl, lastRecon, role, result,
 *     lastGood, keysIn, keysOut, fetched}] (the membership; hkpUrl is
 *     "http://HOST:RECONPORT+1", SKS's convention; role and result are
 *     the last session's, the key counts the last good session's, and
 *     keysOut of a session as responder is a lower bound);
 *   daily: [{day, new, updated}] (newest first).
 * Times are Unix seconds, 0 for never.
 */
#ifndef PKS_STATS_RENDER_H
#define PKS_STATS_RENDER_H

#include "stats/stats_snapshot.h"
#include "util/buf.h"
#include "util/rc.h"

/* Append the JSON above to out.  Errors: PKS_ERR_TOOBIG (out's cap). */
enum pks_rc stats_render_json(const struct stats_snapshot *s, struct buf *out);

/* Append the text of "pksync stats" to out (for the admin: failed
 * replies, refused keys and the database file included). */
enum pks_rc stats_render_text(const struct stats_snapshot *s, struct buf *out);

/* How a peer is doing, for the pages' colours and labels. */
enum stats_health {
	STATS_HEALTH_OK,      /* delivering / last session ok */
	STATS_HEALTH_WAIT,    /* mail queued, nothing failed / no session */
	STATS_HEALTH_FAILING, /* failed mail / last session failed */
	STATS_HEALTH_IDLE     /* nothing sent or no session yet */
};

enum stats_health stats_mail_health(const struct stats_mail_peer *p);
enum stats_health stats_recon_health(const struct stats_recon_peer *p);

/* A word for a health: "ok", "waiting", "failing", "idle". */
const char *stats_health_word(enum stats_health h);

#endif
