/*
 * hkp_rcache.c: the op=index answer cache: a chained hash table of
 * entries on a least-recently-used list, under one mutex, with a byte
 * budget.  An entry holds the search key and the answer in one
 * allocation.
 *
 * When an entry may be served.  The cache is shared by the worker
 * threads, each reading through its own connection; a key may be
 * changed by any process.  A connection learns of commits only
 * relative to its own last look (PRAGMA data_version is per
 * connection, and counts commits made through every other connection,
 * of this process or another), so:
 *  - every event is stamped with a server-wide generation, a counter
 *    under the mutex;
 *  - an entry carries the generation read before the database was
 *    read for it;
 *  - a connection's first look (STORE_FIRST) only sets its baseline:
 *    it takes a new generation, its "since", and empties nothing;
 *  - a connection that sees a commit since its last look empties the
 *    cache and starts a new epoch (floor = a new generation); a put
 *    read before the floor is refused, so no answer from an older
 *    snapshot outlives the commit;
 *  - a connection is served an entry only when the entry's generation
 *    is at or after its since: that answer was read after the
 *    connection's baseline, and every commit after the baseline is
 *    seen by this connection at its next look (each lookup looks
 *    first) and empties the cache.  An older entry may miss a commit
 *    made between its read and this connection's baseline, which only
 *    another connection could have seen: it is a miss for this one
 *    (and stays for the connections that watched it), and the fresh
 *    answer replaces it.
 * So a new connection costs at most one miss per search, never an
 * empty cache.  Any commit still empties the whole cache: which
 * searches a commit changed is not known here.
 */
#include <config.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hkp/hkp_rcache.h"
#include "util/xalloc.h"

#define RC_SHARE 16u       /* an entry may use 1/16 of the budget */
#define RC_ENTRY 16384u    /* bytes an entry is expected to hold */
#define RC_MIN_BUCKETS 64u /* buckets at the least */
#define RC_MAX_BUCKETS 65536u

struct entry {
	struct entry *next;          /* in the bucket */
	struct entry *newer, *older; /* the LRU list */
	time_t valid_until;          /* 0: no end */
	uint64_t gen;                /* read at this generation */
	size_t count, klen, len;
	uint8_t data[]; /* key, then answer */
};

struct hkp_rcache {
	pthread_mutex_t lock;
	size_t max, used, nbuckets;
	uint64_t gen;   /* the server-wide generation */
	uint64_t floor; /* the generation the current epoch began at */
	uint64_t hits, misses;
	struct entry *newest, *oldest;
	struct entry **bucket;
};

static size_t
entry_size(const struct entry *e)
{
	return sizeof(*e) + e->klen + e->len;
}

/* FNV-1a over the key. */
static size_t
hash_key(const char *key, size_t klen, size_t nbuckets)
{
	uint64_t h = 14695981039346656037ULL;
	size_t i;

	for (i = 0; i < klen; i++) {
		h ^= (uint8_t)key[i];
		h *= 1099511628211ULL;
	}
	return (size_t)(h & (nbuckets - 1));
}

struct hkp_rcache *
hkp_rcache_new(size_t max_bytes)
{
	struct hkp_rcache *c;
	size_t n = RC_MIN_BUCKETS;

	if (max_bytes == 0)
		return NULL;
	while (n < RC_MAX_BUCKETS && n * RC_ENTRY < max_bytes)
		n *= 2;
	c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->max = max_bytes;
	c->nbuckets = n;
	c->bucket = xcalloc(n, sizeof(*c->bucket));
	return c;
}

static void
drop_all(struct hkp_rcache *c)
{
	struct entry *e, *next;

	for (e = c->newest; e != NULL; e = next) {
		next = e->older;
		free(e);
	}
	memset(c->bucket, 0, c->nbuckets * sizeof(*c->bucket));
	c->newest = c->oldest = NULL;
	c->used = 0;
}

void
hkp_rcache_free(struct hkp_rcache *c)
{
	if (c == NULL)
		return;
	drop_all(c);
	free(c->bucket);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

uint64_t
hkp_rcache_look(struct hkp_rcache *c, int changed, uint64_t *since)
{
	uint64_t g;

	pthread_mutex_lock(&c->lock);
	if (changed) {
		drop_all(c);
		c->floor = ++c->gen;
	}
	if (*since == 0)
		*since = ++c->gen;
	g = c->gen;
	pthread_mutex_unlock(&c->lock);
	return g;
}

static void
lru_unlink(struct hkp_rcache *c, struct entry *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		c->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		c->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void
lru_push(struct hkp_rcache *c, struct entry *e)
{
	e->newer = NULL;
	e->older = c->newest;
	if (c->newest != NULL)
		c->newest->newer = e;
	c->newest = e;
	if (c->oldest == NULL)
		c->oldest = e;
}

/* The entry of key and the link that points to it (for removal). */
static struct entry *
find(struct hkp_rcache *c, const char *key, size_t klen, struct entry ***link)
{
	struct entry **p = &c->bucket[hash_key(key, klen, c->nbuckets)];

	for (; *p != NULL; p = &(*p)->next)
		if ((*p)->klen == klen && memcmp((*p)->data, key, klen) == 0)
			break;
	*link = p;
	return *p;
}

static void
remove_entry(struct hkp_rcache *c, struct entry *e)
{
	struct entry **link;

	if (find(c, (const char *)e->data, e->klen, &link) == e)
		*link = e->next;
	lru_unlink(c, e);
	c->used -= entry_size(e);
	free(e);
}

enum pks_rc
hkp_rcache_get(struct hkp_rcache *c, uint64_t since, const char *key,
    size_t klen, time_t now, struct buf *out, size_t *count)
{
	struct entry **link, *e;
	enum pks_rc rc = PKS_ERR_NOTFOUND;

	pthread_mutex_lock(&c->lock);
	e = find(c, key, klen, &link);
	if (e != NULL && e->valid_until != 0 && now >= e->valid_until) {
		remove_entry(c, e);
		e = NULL;
	}
	if (e != NULL && e->gen < since)
		e = NULL; /* read before this connection's baseline */
	if (e != NULL) {
		rc = buf_add(out, e->data + e->klen, e->len);
		*count = e->count;
		lru_unlink(c, e);
		lru_push(c, e);
	}
	if (rc == PKS_OK)
		c->hits++;
	else
		c->misses++;
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void
hkp_rcache_put(struct hkp_rcache *c, uint64_t gen, const char *key, size_t klen,
    time_t valid_until, size_t count, const uint8_t *body, size_t len)
{
	struct entry **link, *e, *old;
	size_t size = sizeof(*e) + klen + len;

	if (size > c->max / RC_SHARE)
		return;
	e = xmalloc(size);
	memset(e, 0, sizeof(*e));
	e->valid_until = valid_until;
	e->gen = gen;
	e->count = count;
	e->klen = klen;
	e->len = len;
	memcpy(e->data, key, klen);
	memcpy(e->data + klen, body, len);
	pthread_mutex_lock(&c->lock);
	old = find(c, key, klen, &link);
	if (gen < c->floor || (old != NULL && old->gen > gen)) {
		pthread_mutex_unlock(&c->lock);
		free(e); /* read in an ended epoch, or older than the entry */
		return;
	}
	if (old != NULL)
		remove_entry(c, old);
	while (c->oldest != NULL && c->used + size > c->max)
		remove_entry(c, c->oldest);
	e->next = c->bucket[hash_key(key, klen, c->nbuckets)];
	c->bucket[hash_key(key, klen, c->nbuckets)] = e;
	lru_push(c, e);
	c->used += size;
	pthread_mutex_unlock(&c->lock);
}

enum pks_rc
hkp_rcache_render(struct hkp_rcache *c, struct buf *out)
{
	uint64_t hits, misses;
	size_t used;

	if (c == NULL)
		return PKS_OK;
	pthread_mutex_lock(&c->lock);
	hits = c->hits;
	misses = c->misses;
	used = c->used;
	pthread_mutex_unlock(&c->lock);
	return buf_printf(out,
	    "# HELP pksync_index_cache_requests_total mr op=index answers "
	    "looked up in the answer cache, by result.\n"
	    "# TYPE pksync_index_cache_requests_total counter\n"
	    "pksync_index_cache_requests_total{result=\"hit\"} %llu\n"
	    "pksync_index_cache_requests_total{result=\"miss\"} %llu\n"
	    "# HELP pksync_index_cache_bytes Bytes the op=index answer "
	    "cache holds.\n"
	    "# TYPE pksync_index_cache_bytes gauge\n"
	    "pksync_index_cache_bytes %zu\n",
	    (unsigned long long)hits, (unsigned long long)misses, used);
}
