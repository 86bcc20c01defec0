/*
 * hkp_cache.c: the armored-key cache: direct-mapped slots, one mutex per
 * stripe of slots, a global byte count kept with atomics.
 */
#include <config.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hkp/hkp_cache.h"
#include "util/xalloc.h"

#define CACHE_SLOTS 8192u /* a power of two */
#define CACHE_STRIPES 64u /* locks; divides CACHE_SLOTS */
#define CACHE_SHARE 64u   /* an entry may use 1/64 of the budget */

struct slot {
	int64_t id;
	uint8_t hash[16];
	uint8_t *data; /* NULL: empty */
	size_t len;
};

struct hkp_cache {
	size_t max_bytes;
	atomic_size_t bytes;
	struct slot slot[CACHE_SLOTS];
	pthread_mutex_t lock[CACHE_STRIPES];
};

struct hkp_cache *
hkp_cache_new(size_t max_bytes)
{
	struct hkp_cache *c;
	size_t i;

	if (max_bytes == 0)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->max_bytes = max_bytes;
	atomic_init(&c->bytes, 0);
	for (i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_init(&c->lock[i], NULL);
	return c;
}

void
hkp_cache_free(struct hkp_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < CACHE_SLOTS; i++)
		free(c->slot[i].data);
	for (i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_destroy(&c->lock[i]);
	free(c);
}

static size_t
slot_of(int64_t id, const uint8_t hash[16])
{
	uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ull;

	h ^= (uint64_t)hash[0] << 8 | hash[1];
	return (size_t)(h >> 32) & (CACHE_SLOTS - 1);
}

enum pks_rc
hkp_cache_get(
    struct hkp_cache *c, int64_t id, const uint8_t hash[16], struct buf *out)
{
	enum pks_rc rc = PKS_ERR_NOTFOUND;
	struct slot *s;
	size_t i;

	if (c == NULL)
		return PKS_ERR_NOTFOUND;
	i = slot_of(id, hash);
	s = &c->slot[i];
	pthread_mutex_lock(&c->lock[i % CACHE_STRIPES]);
	if (s->data != NULL && s->id == id && memcmp(s->hash, hash, 16) == 0)
		rc = buf_add(out, s->data, s->len);
	pthread_mutex_unlock(&c->lock[i % CACHE_STRIPES]);
	return rc;
}

void
hkp_cache_put(struct hkp_cache *c, int64_t id, const uint8_t hash[16],
    const uint8_t *armor, size_t len)
{
	struct slot *s;
	uint8_t *copy, *old = NULL;
	size_t i;

	if (c == NULL || len == 0 || len > c->max_bytes / CACHE_SHARE)
		return;
	copy = xmemdup(armor, len);
	i = slot_of(id, hash);
	s = &c->slot[i];
	pthread_mutex_lock(&c->lock[i % CACHE_STRIPES]);
	/* Over budget, counting what this slot gives back: keep the old. */
	if (atomic_load(&c->bytes) + len >
	    c->max_bytes + (s->data != NULL ? s->len : 0)) {
		pthread_mutex_unlock(&c->lock[i % CACHE_STRIPES]);
		free(copy);
		return;
	}
	old = s->data;
	atomic_fetch_add(&c->bytes, len);
	if (old != NULL)
		atomic_fetch_sub(&c->bytes, s->len);
	s->id = id;
	memcpy(s->hash, hash, 16);
	s->data = copy;
	s->len = len;
	pthread_mutex_unlock(&c->lock[i % CACHE_STRIPES]);
	free(old);
}
