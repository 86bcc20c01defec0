/*
 * hkp_cache.h: armored keys kept in memory for op=get.
 *
 * Armoring a key (base64 plus CRC-24) is most of the CPU an op=get of a
 * large key costs.  The cache maps (key row id, SKS hash) to the armored
 * text; a key that changes gets a new hash, so a stale entry is never
 * served, only overwritten.  Direct-mapped slots under striped locks:
 * any worker thread may get and put.  A byte budget bounds it.
 */
#ifndef PKS_HKP_CACHE_H
#define PKS_HKP_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/rc.h"

struct hkp_cache;

/* A cache of at most max_bytes of armor; NULL when max_bytes is 0. */
struct hkp_cache *hkp_cache_new(size_t max_bytes);
void hkp_cache_free(struct hkp_cache *c);

/* Append the cached armor of (id, hash) to out: PKS_OK, PKS_ERR_NOTFOUND
 * (not cached; out unchanged), or buf_add's error.  c may be NULL. */
enum pks_rc hkp_cache_get(
    struct hkp_cache *c, int64_t id, const uint8_t hash[16], struct buf *out);

/* Remember a copy of armor for (id, hash), replacing the slot's old
 * entry; entries over a share of the budget are not kept.  c may be
 * NULL. */
void hkp_cache_put(struct hkp_cache *c, int64_t id, const uint8_t hash[16],
    const uint8_t *armor, size_t len);

#endif
