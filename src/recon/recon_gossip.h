/*
 * recon_gossip.h: the recon service of "pksync serve".
 *
 * One thread with its own database connection: it listens on
 * [recon] listen and accepts peers whose IP is in the membership file
 * (peers/peers_recon.h; re-read when it changes);
 * every gossip_interval seconds (+-10 %) it connects to a random member
 * instead.  One session at a time; whoever connects meanwhile is
 * refused at once ("failed", busy), and a peer that refused us as busy
 * is tried again within seconds.  The tree is read from a snapshot.
 * After a session it fetches the keys it lacks from the peer's IP and
 * announced HTTP port (as initiator at once, as responder after
 * fetch_delay_ms: SKS waits 10 s, pksync by default not at all) and
 * records the outcome in recon_peers.  HKP runs in other threads and is
 * never blocked by recon.
 */
#ifndef PKS_RECON_GOSSIP_H
#define PKS_RECON_GOSSIP_H

#include <stddef.h>
#include <stdint.h>

#include "ingest/ingest.h"
#include "recon/recon_session.h"
#include "util/rc.h"

struct recon_gossip_cfg {
	const char *listen; /* host:port */
	const char *membership_file;
	int gossip_interval; /* seconds; 0: never initiate */
	const char *dbfile;
	int busy_ms;
	int fetch_delay_ms;               /* responder's wait before fetching */
	int fetch_timeout_ms;             /* per hashquery read (180 s) */
	int fetch_deadline_ms;            /* one whole hashquery (600 s) */
	struct recon_session_cfg session; /* http_port = our HKP port */
	const struct ingest_sync_src *sync; /* may be NULL */
};

struct recon_gossip;

/*
 * Bind the listener and start the thread.  The strings in cfg are
 * copied.  *out is owned by the caller (recon_gossip_stop).  Errors:
 * PKS_ERR_CONFIG (bad listen address), PKS_ERR_IO (cannot bind),
 * store errors.
 */
enum pks_rc recon_gossip_start(
    const struct recon_gossip_cfg *cfg, struct recon_gossip **out);

/* Stop the thread (a running session is cut short), free everything. */
void recon_gossip_stop(struct recon_gossip *g);

#endif
