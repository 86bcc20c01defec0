/*
 * hkp_cache.c: the armored-key cache: sets of CACHE_WAYS entries (the
 * number of sets grows with the budget), one mutex per stripe of sets,
 * a global byte count kept with atomics.  Entries are reference
 * counted: an answer sends a cached entry without copying it, and an
 * entry replaced while it is being sent is freed by its last reader.
 */
#include <config.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hkp/hkp_cache.h"
#include "util/xalloc.h"

#define CACHE_WAYS 4u     /* entries a set */
#define CACHE_ENTRY 1024u /* bytes an entry is expected to hold */
#define CACHE_STRIPES 64u /* locks */
#define CACHE_SHARE 64u   /* an entry may use 1/64 of the budget */
#define CACHE_MAX_SETS (1u << 22)

struct hkp_armor {
	atomic_uint refs;
	size_t len;
	uint8_t data[];
};

struct way {
	int64_t id;
	uint8_t hash[16];
	int64_t stamp;
	uint64_t used;       /* the set's clock when last hit or put */
	struct hkp_armor *a; /* NULL: empty */
};

struct set {
	uint64_t clock;
	struct way way[CACHE_WAYS];
};

struct hkp_cache {
	size_t max_bytes;
	atomic_size_t bytes;
	size_t nsets; /* a power of two */
	struct set *set;
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
	/* Room for the entries the budget holds, keys of about
	 * CACHE_ENTRY bytes, twice over. */
	c->nsets = 1;
	while (c->nsets < CACHE_MAX_SETS &&
	       c->nsets * CACHE_WAYS * CACHE_ENTRY < 2 * max_bytes)
		c->nsets *= 2;
	c->set = xcalloc(c->nsets, sizeof(*c->set));
	for (i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_init(&c->lock[i], NULL);
	return c;
}

void
hkp_cache_unref(struct hkp_armor *a)
{
	if (a != NULL && atomic_fetch_sub(&a->refs, 1) == 1)
		free(a);
}

void
hkp_cache_free(struct hkp_cache *c)
{
	size_t i, w;

	if (c == NULL)
		return;
	for (i = 0; i < c->nsets; i++)
		for (w = 0; w < CACHE_WAYS; w++)
			hkp_cache_unref(c->set[i].way[w].a);
	free(c->set);
	for (i = 0; i < CACHE_STRIPES; i++)
		pthread_mutex_destroy(&c->lock[i]);
	free(c);
}

static size_t
set_of(const struct hkp_cache *c, int64_t id)
{
	uint64_t h = (uint64_t)id * 0x9e3779b97f4a7c15ull;

	return (size_t)(h >> 32) & (c->nsets - 1);
}

static pthread_mutex_t *
lock_of(struct hkp_cache *c, size_t set)
{
	return &c->lock[set % CACHE_STRIPES];
}

struct hkp_armor *
hkp_cache_ref(struct hkp_cache *c, int64_t id, const uint8_t hash[16],
    int64_t stamp, const uint8_t **data, size_t *len)
{
	struct hkp_armor *a = NULL;
	struct set *s;
	size_t i, w;

	if (c == NULL)
		return NULL;
	i = set_of(c, id);
	s = &c->set[i];
	pthread_mutex_lock(lock_of(c, i));
	for (w = 0; w < CACHE_WAYS; w++) {
		if (s->way[w].a != NULL && s->way[w].id == id &&
		    s->way[w].stamp == stamp &&
		    memcmp(s->way[w].hash, hash, 16) == 0) {
			a = s->way[w].a;
			atomic_fetch_add(&a->refs, 1);
			s->way[w].used = ++s->clock;
			break;
		}
	}
	pthread_mutex_unlock(lock_of(c, i));
	if (a != NULL) {
		*data = a->data;
		*len = a->len;
	}
	return a;
}

enum pks_rc
hkp_cache_get(struct hkp_cache *c, int64_t id, const uint8_t hash[16],
    int64_t stamp, struct buf *out)
{
	struct hkp_armor *a;
	const uint8_t *p;
	size_t len;
	enum pks_rc rc;

	if ((a = hkp_cache_ref(c, id, hash, stamp, &p, &len)) == NULL)
		return PKS_ERR_NOTFOUND;
	rc = buf_add(out, p, len);
	hkp_cache_unref(a);
	return rc;
}

/* The way of set s for id: its own entry, else an empty way, else the
 * one least recently used. */
static struct way *
victim(struct set *s, int64_t id)
{
	struct way *v = &s->way[0];
	size_t w;

	for (w = 0; w < CACHE_WAYS; w++)
		if (s->way[w].a != NULL && s->way[w].id == id)
			return &s->way[w];
	for (w = 0; w < CACHE_WAYS; w++) {
		if (s->way[w].a == NULL)
			return &s->way[w];
		if (s->way[w].used < v->used)
			v = &s->way[w];
	}
	return v;
}

/* Whether len bytes in place of v's entry would pass the budget. */
static int
over_budget(struct hkp_cache *c, const struct way *v, size_t len)
{
	return atomic_load(&c->bytes) + len >
	       c->max_bytes + (v->a != NULL ? v->a->len : 0);
}

/* The least recently used entry of set s, NULL if it has none. */
static struct way *
oldest(struct set *s)
{
	struct way *v = NULL;
	size_t w;

	for (w = 0; w < CACHE_WAYS; w++)
		if (s->way[w].a != NULL &&
		    (v == NULL || s->way[w].used < v->used))
			v = &s->way[w];
	return v;
}

void
hkp_cache_put(struct hkp_cache *c, int64_t id, const uint8_t hash[16],
    int64_t stamp, const uint8_t *armor, size_t len)
{
	struct hkp_armor *a, *old;
	struct set *s;
	struct way *v;
	size_t i;

	if (c == NULL || len == 0 || len > c->max_bytes / CACHE_SHARE)
		return;
	a = xmalloc(sizeof(*a) + len);
	atomic_init(&a->refs, 1);
	a->len = len;
	memcpy(a->data, armor, len);
	i = set_of(c, id);
	s = &c->set[i];
	pthread_mutex_lock(lock_of(c, i));
	v = victim(s, id);
	/* Over budget, counting what the way gives back: an empty way
	 * takes the set's oldest entry's place; else keep the old. */
	if (over_budget(c, v, len) && v->a == NULL && oldest(s) != NULL)
		v = oldest(s);
	if (over_budget(c, v, len)) {
		pthread_mutex_unlock(lock_of(c, i));
		free(a);
		return;
	}
	old = v->a;
	atomic_fetch_add(&c->bytes, len);
	if (old != NULL)
		atomic_fetch_sub(&c->bytes, old->len);
	v->id = id;
	memcpy(v->hash, hash, 16);
	v->stamp = stamp;
	v->a = a;
	v->used = ++s->clock;
	pthread_mutex_unlock(lock_of(c, i));
	hkp_cache_unref(old);
}
