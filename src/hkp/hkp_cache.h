/*
 * hkp_cache.h: armored keys kept in memory for op=get.
 *
 * Armoring a key (base64 plus CRC-24) is most of the CPU an op=get of a
 * large key costs.  The cache maps (key row id, SKS hash, stamp) to the
 * armored text: a key that changes gets a new hash, and one whose served
 * form changes without a new hash (certifications marked again) a new
 * stamp (store_key_hash), so a stale entry is never served, only
 * overwritten.  Four-way sets under striped locks, least
 * recently used replaced first: any worker thread may get and put.  A
 * byte budget bounds it (entries still being sent when replaced are
 * freed by their last reader).
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

/* Append the cached armor of (id, hash, stamp) to out: PKS_OK, PKS_ERR_NOTFOUND
 * (not cached; out unchanged), or buf_add's error.  c may be NULL. */
enum pks_rc hkp_cache_get(struct hkp_cache *c, int64_t id,
    const uint8_t hash[16], int64_t stamp, struct buf *out);

/* The cached armor of (id, hash, stamp) without a copy: a reference that keeps
 * *data (len bytes) valid until hkp_cache_unref, even if the entry is
 * replaced meanwhile; NULL when not cached.  c may be NULL. */
struct hkp_armor;
struct hkp_armor *hkp_cache_ref(struct hkp_cache *c, int64_t id,
    const uint8_t hash[16], int64_t stamp, const uint8_t **data, size_t *len);
void hkp_cache_unref(struct hkp_armor *a);

/* Remember a copy of armor for (id, hash, stamp), replacing the slot's old
 * entry; entries over a share of the budget are not kept.  c may be
 * NULL. */
void hkp_cache_put(struct hkp_cache *c, int64_t id, const uint8_t hash[16],
    int64_t stamp, const uint8_t *armor, size_t len);

#endif
