/*
 * hkp_rcache.h: whole op=index answers kept in memory, by search.
 *
 * An mr op=index answer is a pure function of the search, the stored
 * keys and the time (a key or user ID expires).  The cache maps the
 * normalised search to the answer, its key count and the time it stops
 * being true (the first expiry after it was made).  Each lookup first
 * tells the cache what its connection saw (store_changed,
 * hkp_rcache_look): a commit by any process empties the cache; a
 * connection's first look only sets its baseline, and the connection
 * is served only answers read after it (the rule is written at the top
 * of hkp_rcache.c).  A put made from a database snapshot read before
 * the last commit seen is not kept.  One mutex, least recently used
 * dropped first, a byte budget bounds it.
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

/* A connection's look before it reads the database, with what it saw:
 * changed (a commit since its last look) empties the cache and starts
 * a new epoch; *since 0 (the connection's first look) sets *since, its
 * baseline, to a new generation.  Returns the generation to put the
 * answer read next with. */
uint64_t hkp_rcache_look(struct hkp_rcache *c, int changed, uint64_t *since);

/* Append the answer to key (klen bytes) to out and its key count to
 * *count: PKS_OK, PKS_ERR_NOTFOUND (not cached, read before since, or
 * no longer true at now; out unchanged) or buf_add's error.  Counts a
 * hit or a miss. */
enum pks_rc hkp_rcache_get(struct hkp_rcache *c, uint64_t since,
    const char *key, size_t klen, time_t now, struct buf *out, size_t *count);

/* Keep a copy of body as the answer to key, true until valid_until
 * (0: no end), read at generation gen (hkp_rcache_look); not kept when
 * a commit has been seen since gen, when the entry held is newer, or
 * when it is larger than a share of the budget. */
void hkp_rcache_put(struct hkp_rcache *c, uint64_t gen, const char *key,
    size_t klen, time_t valid_until, size_t count, const uint8_t *body,
    size_t len);

/* The counters for /metrics (Prometheus text) appended to out; c may
 * be NULL (nothing). */
enum pks_rc hkp_rcache_render(struct hkp_rcache *c, struct buf *out);

#endif
