/*
 * network_watch.h: the network map as the serve process keeps it for
 * /pks/trace: one crawl (and trace) at a time, results cached and shared
 * between viewers, at most one new crawl or trace of a key per
 * min_interval seconds, traces of any keys at least trace_gap seconds
 * apart (so asking for many keys cannot keep the other servers busy),
 * and for each traced key the time each server was first seen holding
 * this server's current version.  Memory is
 * bounded: at most max_keys traced keys are kept (the least recently
 * asked one is dropped).  Thread-safe.
 *
 * The crawl starts at seeds (this server's own HKP URL: its own stats
 * page lists its configured peers), so a viewer cannot make the server
 * visit anything the crawl did not find.
 */
#ifndef PKS_NETWORK_WATCH_H
#define PKS_NETWORK_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "network/network.h"
#include "util/rc.h"

struct network_watch;

/* o (and its strings) and seeds must outlive the watch.  Owned by the
 * caller (network_watch_free). */
struct network_watch *network_watch_new(const struct network_opts *o,
    const char *const *seeds, size_t nseeds, int min_interval, int trace_gap,
    size_t max_keys);

void network_watch_free(struct network_watch *w);

/*
 * The map traced for fpr (upper-case hex) against this server's hash.
 * When the cached trace is older than min_interval, no crawl is running
 * and the last one began trace_gap seconds ago or more, this call
 * crawls (if the map is old too) and traces, within the limits of the
 * options; otherwise it answers from the cache.  *out is a copy owned
 * by the caller (network_map_free).  PKS_ERR_BUSY when another crawl
 * runs (or ran a moment ago) and nothing is cached for fpr yet.
 */
enum pks_rc network_watch_trace(struct network_watch *w, const char *fpr,
    const uint8_t hash[16], struct network_map **out);

#endif
