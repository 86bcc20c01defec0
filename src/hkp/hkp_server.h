/*
 * hkp_server.h: the HKP front end (libmicrohttpd).
 *
 * Serves GET /pks/lookup (get, index, vindex, hget, stats), POST
 * /pks/add, POST /pks/hashquery and GET /metrics (hkp_metrics.h) from
 * a pool of worker threads, each
 * with its own SQLite connection.  Routes are rows of a table
 * {method, path, op, handler}.  What one client may cost (connections,
 * deadlines, body memory, request rates) is bounded by the [server]
 * limits of the configuration (hkp_guard.h).
 */
#ifndef PKS_HKP_SERVER_H
#define PKS_HKP_SERVER_H

#include <stdint.h>

#include "ingest/ingest.h"
#include "util/config.h"
#include "util/rc.h"

struct hkp_server;

/*
 * Start serving on cfg->http_host:cfg->http_port (port 0 picks a free
 * port) with the database cfg->dbfile.  Logs "listening on HOST:PORT".
 * *out is owned by the caller (hkp_server_stop).  cfg must outlive the
 * server.  sync (copied; NULL: none) gives the mail sync list that keys
 * added over /pks/add are queued for (ingest.h); its arg must outlive
 * the server.
 */
enum pks_rc hkp_server_start(const struct pks_config *cfg,
    const struct ingest_sync_src *sync, struct hkp_server **out);

/* The port actually bound. */
uint16_t hkp_server_port(const struct hkp_server *srv);

/* Stop accepting, finish running requests, free everything. */
void hkp_server_stop(struct hkp_server *srv);

#endif
