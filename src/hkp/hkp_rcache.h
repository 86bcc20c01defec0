/*
 * hkp_rcache.h: whole op=index answers kept in memory, by search.
 *
 * An mr op=index answer is a pure function of the search, the stored
 * keys and the time (a key or user ID expires).  The cache maps the
 * normalised search to the answer, its key count and the time it stops
 * being true (the first expiry after it was made).  Every entry belongs
 * to one epoch; hkp_rcache_bump starts a new one (and drops every
 * entry) when any process may have changed a key, which the lookup
 * learns from its connection (store_changed).  A put made from a
 * database snapshot read in an older epoch is not kept.  One mutex,
 * least recently used dropped first, a byte budget bounds it.
 */
#ifndef PKS_HKP_RCACHE_H
#define PKS_HKP_RCACHE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/buf.h"
#include "util/rc.h"

struct hkp_rcache;

/* A cache of at most max_bytes of answers; NULL when max_bytes is 0. */
struct hkp_rcache *hkp_rcache_new(size_t max_bytes);
void hkp_rcache_free(struct hkp_rcache *c);

/* The current epoch: read it before the database, put with it. */
uint64_t hkp_rcache_epoch(struct hkp_rcache *c);

/* Drop every entry and start a new epoch, which is returned. */
uint64_t hkp_rcache_bump(struct hkp_rcache *c);

/* Append the answer to key (klen bytes) to out and its key count to
 * *count: PKS_OK, PKS_ERR_NOTFOUND (not cached or no longer true at
 * now; out unchanged) or buf_add's error.  Counts a hit or a miss. */
enum pks_rc hkp_rcache_get(struct hkp_rcache *c, const char *key, size_t klen,
    time_t now, struct buf *out, size_t *count);

/* Keep a copy of body as the answer to key, true until valid_until
 * (0: no end), made in epoch; not kept when the epoch has ended or the
 * entry is larger than a share of the budget. */
void hkp_rcache_put(struct hkp_rcache *c, uint64_t epoch, const char *key,
    size_t klen, time_t valid_until, size_t count, const uint8_t *body,
    size_t len);

/* The counters for /metrics (Prometheus text) appended to out; c may
 * be NULL (nothing). */
enum pks_rc hkp_rcache_render(struct hkp_rcache *c, struct buf *out);

#endif
