/*
 * network_watch.c: the cached, shared network map and traces of the
 * serve process (network_watch.h).
 */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "network/network_watch.h"
#include "util/log.h"
#include "util/xalloc.h"

struct traced {
	char fpr[65];
	uint8_t hash[16];
	struct network_map *map; /* traced copy, or NULL */
	int64_t when;            /* Unix time of the trace */
	int64_t used;            /* last asked (for dropping) */
};

struct network_watch {
	const struct network_opts *o;
	const char *const *seeds;
	size_t nseeds;
	int min_interval;
	int trace_gap;      /* s between two traces of any keys */
	int64_t last_start; /* Unix time the last crawl or trace began */
	pthread_mutex_t lock;
	int busy; /* a crawl or trace is under way */
	struct network_map *map;
	int64_t map_when;
	struct traced *keys;
	size_t nkeys, max_keys;
};

static struct network_map *
map_dup(const struct network_map *m)
{
	struct network_map *d = xcalloc(1, sizeof(*d));
	size_t i;

	*d = *m;
	d->nodes = xreallocarray(NULL, m->n + 1, sizeof(*d->nodes));
	d->links = xreallocarray(NULL, m->nlinks + 1, sizeof(*d->links));
	if (m->n > 0)
		memcpy(d->nodes, m->nodes, m->n * sizeof(*d->nodes));
	if (m->nlinks > 0)
		memcpy(d->links, m->links, m->nlinks * sizeof(*d->links));
	for (i = 0; i < m->n; i++) {
		d->nodes[i].url = xstrdup(m->nodes[i].url);
		d->nodes[i].host =
		    m->nodes[i].host ? xstrdup(m->nodes[i].host) : NULL;
	}
	return d;
}

struct network_watch *
network_watch_new(const struct network_opts *o, const char *const *seeds,
    size_t nseeds, int min_interval, int trace_gap, size_t max_keys)
{
	struct network_watch *w = xcalloc(1, sizeof(*w));

	w->o = o;
	w->seeds = seeds;
	w->nseeds = nseeds;
	w->min_interval = min_interval;
	w->trace_gap = trace_gap;
	w->max_keys = max_keys > 0 ? max_keys : 1;
	pthread_mutex_init(&w->lock, NULL);
	return w;
}

void
network_watch_free(struct network_watch *w)
{
	size_t i;

	if (w == NULL)
		return;
	for (i = 0; i < w->nkeys; i++)
		network_map_free(w->keys[i].map);
	free(w->keys);
	network_map_free(w->map);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/* Under the lock: the entry of fpr, made (dropping the least recently
 * used one when full) if new. */
static struct traced *
entry(struct network_watch *w, const char *fpr, const uint8_t hash[16])
{
	size_t i, old = 0;

	for (i = 0; i < w->nkeys; i++)
		if (strcasecmp(w->keys[i].fpr, fpr) == 0)
			break;
	if (i == w->nkeys && w->nkeys >= w->max_keys) {
		for (i = 1; i < w->nkeys; i++)
			if (w->keys[i].used < w->keys[old].used)
				old = i;
		i = old;
		network_map_free(w->keys[i].map);
		memset(&w->keys[i], 0, sizeof(w->keys[i]));
	} else if (i == w->nkeys) {
		w->keys =
		    xreallocarray(w->keys, w->nkeys + 1, sizeof(*w->keys));
		memset(&w->keys[i], 0, sizeof(w->keys[i]));
		w->nkeys++;
	}
	if (w->keys[i].fpr[0] == '\0' ||
	    memcmp(w->keys[i].hash, hash, 16) != 0) {
		/* a new version here: first-seen times start again */
		network_map_free(w->keys[i].map);
		w->keys[i].map = NULL;
		w->keys[i].when = 0;
	}
	snprintf(w->keys[i].fpr, sizeof(w->keys[i].fpr), "%s", fpr);
	memcpy(w->keys[i].hash, hash, 16);
	w->keys[i].used = (int64_t)time(NULL);
	return &w->keys[i];
}

/* First-seen times: carried over from the last trace, set now for a
 * server newly seen current. */
static void
carry_first_seen(const struct network_map *old, struct network_map *m)
{
	size_t i, j;

	for (i = 0; i < m->n; i++) {
		if (m->nodes[i].state != NETWORK_CURRENT)
			continue;
		m->nodes[i].first_seen = m->taken;
		for (j = 0; old != NULL && j < old->n; j++)
			if (strcmp(old->nodes[j].url, m->nodes[i].url) == 0 &&
			    old->nodes[j].first_seen > 0)
				m->nodes[i].first_seen =
				    old->nodes[j].first_seen;
	}
}

/* Without the lock (busy set): a new map if due, then the trace. */
static struct network_map *
refresh(struct network_watch *w, struct network_map *base, int new_map,
    const char *fpr, const uint8_t hash[16])
{
	struct network_map *m = NULL;

	if (new_map) {
		if (network_crawl(w->o, w->seeds, w->nseeds, &m) != PKS_OK)
			return NULL;
	} else {
		m = map_dup(base);
	}
	m->taken = (int64_t)time(NULL);
	if (network_trace(w->o, m, fpr, hash) != PKS_OK) {
		network_map_free(m);
		return NULL;
	}
	return m;
}

/* Under the lock, after a refresh: keep what it found. */
static void
store_result(struct network_watch *w, const char *fpr, const uint8_t hash[16],
    struct network_map *m, int new_map, int64_t now)
{
	struct traced *t = entry(w, fpr, hash);
	size_t i;

	if (new_map) {
		network_map_free(w->map);
		w->map = map_dup(m);
		w->map->fpr[0] = '\0';
		for (i = 0; i < w->map->n; i++)
			w->map->nodes[i].state = NETWORK_NONE;
		w->map_when = now;
	}
	carry_first_seen(t->map, m);
	network_map_free(t->map);
	t->map = m;
	t->when = now;
}

enum pks_rc
network_watch_trace(struct network_watch *w, const char *fpr,
    const uint8_t hash[16], struct network_map **out)
{
	struct network_map *base = NULL, *m;
	struct traced *t;
	int64_t now = (int64_t)time(NULL);
	int new_map;

	pthread_mutex_lock(&w->lock);
	t = entry(w, fpr, hash);
	if (w->busy || now - w->last_start < w->trace_gap ||
	    (t->map != NULL && now - t->when < w->min_interval)) {
		*out = t->map != NULL ? map_dup(t->map) : NULL;
		pthread_mutex_unlock(&w->lock);
		return *out != NULL ? PKS_OK : PKS_ERR_BUSY;
	}
	w->busy = 1;
	w->last_start = now;
	new_map = w->map == NULL || now - w->map_when >= w->min_interval;
	if (!new_map)
		base = map_dup(w->map);
	pthread_mutex_unlock(&w->lock);
	m = refresh(w, base, new_map, fpr, hash);
	network_map_free(base);
	pthread_mutex_lock(&w->lock);
	w->busy = 0;
	if (m != NULL)
		store_result(w, fpr, hash, m, new_map, now);
	t = entry(w, fpr, hash);
	*out = t->map != NULL ? map_dup(t->map) : NULL;
	pthread_mutex_unlock(&w->lock);
	return *out != NULL ? PKS_OK : PKS_ERR_IO;
}
