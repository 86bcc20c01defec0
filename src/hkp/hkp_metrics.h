/*
 * hkp_metrics.h: GET /metrics, the server's counters and gauges in the
 * Prometheus text format (hkp_prom.h).
 *
 * Three sources, all listed in README ("Metrics"):
 *  - this serve process's HKP server since it started (or was
 *    restarted by SIGHUP): requests per op and status, and a latency
 *    histogram per op.  Counted with relaxed atomics, a few additions
 *    per request, no lock;
 *  - the database, read by hkp_metrics_collect() on each scrape: the
 *    server's state snapshot (stats_snapshot.h, the one the stats and
 *    sync pages render: keys stored, the outgoing queue per mail sync
 *    peer, the last good recon session per peer) and the persistent
 *    counters (store_counters.h) that every process bumps (keys added
 *    and updated per source, mails filtered per outcome, recon sessions
 *    and fetched keys per peer);
 *  - the process: resident memory and start time (/proc).
 * [server] metrics = no answers 404; a client outside [server]
 * metrics_allow (the X-Forwarded-For address behind a trusted proxy)
 * gets 403.
 */
#ifndef PKS_HKP_METRICS_H
#define PKS_HKP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "hkp/hkp_int.h"
#include "hkp/hkp_query.h"
#include "ingest/ingest.h"
#include "store/store.h"
#include "stats/stats_snapshot.h"
#include "store/store_counters.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/rc.h"

/* What a request asked for, as the op label names it. */
enum hkp_mop {
	HKP_MOP_GET,
	HKP_MOP_INDEX,
	HKP_MOP_VINDEX,
	HKP_MOP_HGET,
	HKP_MOP_STATS,
	HKP_MOP_ADD,
	HKP_MOP_HASHQUERY,
	HKP_MOP_PAGE, /* the front page and the stylesheet */
	HKP_MOP_METRICS,
	HKP_MOP_OTHER, /* no route, or a lookup without a known op */
	HKP_MOP_COUNT
};

struct hkp_metrics;

/*
 * The in-process counters and the allow list of cfg->metrics_allow
 * (NULL: empty).  *out is owned by the caller (hkp_metrics_free).
 * PKS_ERR_CONFIG when the list does not parse.
 */
enum pks_rc hkp_metrics_new(
    const struct pks_config *cfg, struct hkp_metrics **out);
void hkp_metrics_free(struct hkp_metrics *m);

/* The op of a route's path (NULL: no route).  /pks/lookup gives
 * HKP_MOP_OTHER until its op is known: hkp_metrics_lookup_op(). */
enum hkp_mop hkp_metrics_path_op(const char *path);
enum hkp_mop hkp_metrics_lookup_op(enum hkp_op op);

/* Count one answered request: its op, HTTP status and microseconds
 * from its first callback to its end.  Thread-safe, lock-free. */
void hkp_metrics_observe(
    struct hkp_metrics *m, enum hkp_mop op, int status, int64_t usec);

/* Nonzero when the client address text (IPv4 or IPv6) may read
 * /metrics; an address that does not parse may not. */
int hkp_metrics_allowed(const struct hkp_metrics *m, const char *ip);

/*
 * What /metrics reads from the database, in one place so that it can
 * later come from a shared snapshot.  Everything is owned by the struct
 * (hkp_metrics_data_free; a zeroed struct is empty).
 */
struct hkp_metrics_data {
	struct stats_snapshot *snap; /* owned; NULL renders no state */
	struct store_counter *counters;
	size_t ncounters;
};

/* Read d from st and the peer files cfg names.  Errors: the store's (d
 * is then empty). */
enum pks_rc hkp_metrics_collect(
    struct store *st, const struct pks_config *cfg, struct hkp_metrics_data *d);
void hkp_metrics_data_free(struct hkp_metrics_data *d);

/* Every family: m's counters (m NULL: none), d's values and the
 * process's, appended to out. */
enum pks_rc hkp_metrics_render(const struct hkp_metrics *m,
    const struct hkp_metrics_data *d, struct buf *out);

/* The handler of GET /metrics (hkp_int.h). */
enum pks_rc hkp_metrics_page(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r);

#endif
