/*
 * network_crawl.c: the crawl and the trace (network.h).
 *
 * A fixed pool of opts->concurrency threads takes the next node not yet
 * visited from the map (under one mutex), asks it without the lock, and
 * puts what it learnt back under the lock.  The map never grows past
 * max_servers; nodes deeper than max_depth, or left when the deadline
 * passes, stay on the map marked "not visited".
 */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "net/http_client.h"
#include "network/network.h"
#include "network/network_stats.h"
#include "pgp/pgp_armor.h"
#include "pgp/pgp_key.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Threads at most, whatever the config says. */
#define CRAWL_MAX_THREADS 32

struct crawl {
	const struct network_opts *o;
	struct network_map *m;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t next; /* first node not yet taken */
	int active;  /* requests under way */
	int64_t deadline;
	/* the trace */
	int tracing;
	const char *fpr;
	const uint8_t *hash;
};

void
network_opts_default(struct network_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_servers = 100;
	o->max_depth = 4;
	o->deadline_ms = 30000;
	o->timeout_ms = 5000;
	o->max_page = 1024 * 1024;
	o->concurrency = 4;
	o->user_agent = "pksync/" PACKAGE_VERSION " (+network map)";
}

const char *
network_state_name(enum network_state s)
{
	static const char *names[] = { "", "current", "older", "missing",
		"unreachable" };

	return names[s];
}

const char *
network_kind_name(enum network_kind k)
{
	return k == NETWORK_MAIL ? "mail" : "recon";
}

/* Index of the node with this URL, or m->n. */
static size_t
node_find(const struct network_map *m, const char *url)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (strcasecmp(m->nodes[i].url, url) == 0)
			return i;
	return m->n;
}

/* Add a node (the URL is taken); its index, or m->n when full. */
static size_t
node_add_take(struct crawl *c, char *url, int depth)
{
	struct network_map *m = c->m;
	struct network_node *nd;
	char host[256];
	uint16_t port;
	size_t i = node_find(m, url);

	if (i < m->n) {
		free(url);
		return i;
	}
	if (m->n >= c->o->max_servers) {
		m->dropped++;
		free(url);
		return m->n;
	}
	m->nodes = xreallocarray(m->nodes, m->n + 1, sizeof(*m->nodes));
	nd = &m->nodes[m->n];
	memset(nd, 0, sizeof(*nd));
	nd->url = url;
	nd->keys = -1;
	nd->depth = depth;
	if (strncmp(url, "mailto:", 7) == 0) {
		nd->visited = 1;
		snprintf(
		    nd->note, sizeof(nd->note), "mail peer: no HKP URL known");
	} else if (network_url_parse(url, host, sizeof(host), &port) ==
		   PKS_OK) {
		nd->host = xstrdup(host);
		nd->port = port;
	} else {
		nd->visited = 1;
		snprintf(nd->note, sizeof(nd->note), "not an HKP URL");
	}
	return m->n++;
}

static void
link_add(struct network_map *m, size_t from, size_t to, enum network_kind k)
{
	size_t i;

	if (to >= m->n || from == to)
		return;
	for (i = 0; i < m->nlinks; i++)
		if (m->links[i].from == from && m->links[i].to == to &&
		    m->links[i].kind == k)
			return;
	m->links = xreallocarray(m->links, m->nlinks + 1, sizeof(*m->links));
	m->links[m->nlinks].from = from;
	m->links[m->nlinks].to = to;
	m->links[m->nlinks].kind = k;
	m->nlinks++;
}

/* The configured HKP URL of a mail peer "mailto:addr", or NULL. */
static const char *
mail_mapped(const struct network_opts *o, const char *url)
{
	size_t i;

	for (i = 0; i < o->nmail_map; i++)
		if (strcasecmp(o->mail_map[i].address, url + 7) == 0)
			return o->mail_map[i].url;
	return NULL;
}

/* Under the lock: what node i's page said goes onto the map. */
static void
apply_stats(struct crawl *c, size_t i, const struct network_stats *s)
{
	struct network_node *nd = &c->m->nodes[i];
	const char *mapped, *u;
	char host[256];
	uint16_t port;
	size_t k, j;
	int depth = nd->depth + 1;

	snprintf(nd->software, sizeof(nd->software), "%s",
	    s->software[0] ? s->software : "unknown");
	snprintf(nd->version, sizeof(nd->version), "%s", s->version);
	nd->keys = s->keys;
	for (k = 0; k < s->npeers; k++) {
		u = s->peers[k].url;
		mapped = s->peers[k].kind == NETWORK_MAIL ? mail_mapped(c->o, u)
							  : NULL;
		if (mapped != NULL && network_url_parse(mapped, host,
					  sizeof(host), &port) == PKS_OK)
			j = node_add_take(
			    c, network_url_make(host, port), depth);
		else
			j = node_add_take(c, xstrdup(u), depth);
		link_add(c->m, i, j, s->peers[k].kind);
	}
}

/* Resolve and check node nd (seeds are the operator's: any address). */
static enum pks_rc
node_resolve(const struct crawl *c, struct network_node *nd)
{
	enum pks_rc rc;

	rc = http_resolve(nd->host, nd->port,
	    c->o->allow_private || nd->depth == 0, &nd->addr, &nd->addrlen);
	if (rc == PKS_ERR_REFUSED)
		snprintf(nd->note, sizeof(nd->note),
		    "refused: private address (allow_private = no)");
	else if (rc != PKS_OK)
		snprintf(nd->note, sizeof(nd->note), "name does not resolve");
	return rc;
}

/* GET path from node nd (its checked address) into r. */
static enum pks_rc
node_get(const struct crawl *c, const struct network_node *nd, const char *path,
    struct http_reply *r)
{
	struct http_get g;
	char hosthdr[300];

	snprintf(hosthdr, sizeof(hosthdr),
	    strchr(nd->host, ':') ? "[%s]:%u" : "%s:%u", nd->host,
	    (unsigned)nd->port);
	memset(&g, 0, sizeof(g));
	g.addr = &nd->addr;
	g.addrlen = nd->addrlen;
	g.port = nd->port;
	g.host_header = hosthdr;
	g.path = path;
	g.user_agent = c->o->user_agent;
	g.timeout_ms = c->o->timeout_ms;
	g.deadline = c->deadline;
	g.max_bytes = c->o->max_page;
	return http_get(&g, r);
}

static void
fail_note(struct network_node *nd, enum pks_rc rc, int status)
{
	if (rc == PKS_ERR_TOOBIG)
		snprintf(nd->note, sizeof(nd->note), "answer too large");
	else if (rc == PKS_ERR_IO)
		snprintf(nd->note, sizeof(nd->note), "no answer");
	else if (status != 0 && status != 200)
		snprintf(nd->note, sizeof(nd->note), "HTTP status %d", status);
	else
		snprintf(nd->note, sizeof(nd->note), "not a stats page");
}

/* Without the lock: ask node nd (a copy) for its stats page. */
static void
visit(struct crawl *c, struct network_node *nd, struct network_stats *s)
{
	struct http_reply r;
	enum pks_rc rc;

	memset(s, 0, sizeof(*s));
	if (node_resolve(c, nd) != PKS_OK)
		return;
	rc = node_get(c, nd, "/pks/lookup?op=stats&options=mr", &r);
	if (rc == PKS_OK && r.status != 200)
		rc = PKS_ERR_PARSE;
	if (rc == PKS_OK)
		rc = network_stats_parse(r.body.data, r.body.len, r.server, s);
	if (rc == PKS_OK) {
		nd->reachable = 1;
	} else {
		network_stats_free(s);
		fail_note(nd, rc, r.status);
		log_debug("network: %s: %s", nd->url, nd->note);
	}
	http_reply_free(&r);
}

/* The hex MD5 of hash into out (33 bytes). */
static void
hex16(const uint8_t *h, char *out)
{
	size_t i;

	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02X", h[i]);
}

/* Whether the armored answer holds a key whose SKS hash is hash. */
static int
answer_has_hash(const struct http_reply *r, const uint8_t *hash)
{
	struct pks_err err = { 0, NULL };
	struct pgp_keyring_iter it;
	struct pgp_key *key;
	const uint8_t *kb;
	uint8_t md5[16];
	struct buf bin;
	size_t off = 0, kl;
	int found = 0;

	buf_init(&bin, r->body.len + 1);
	if (pgp_armor_next((const char *)r->body.data, r->body.len, &off, &bin,
		&err) == PKS_OK) {
		pgp_keyring_init(&it, bin.data, bin.len);
		while (!found && pgp_keyring_next(&it, &kb, &kl, &err) !=
				     PKS_ERR_NOTFOUND) {
			if (kb == NULL ||
			    pgp_key_parse(kb, kl, &key, &err) != PKS_OK)
				continue;
			pgp_key_canonicalize(key);
			pgp_key_hash(key, md5);
			found = memcmp(md5, hash, 16) == 0;
			pgp_key_free(key);
		}
	}
	buf_free(&bin);
	return found;
}

/* Without the lock: the state of the key on node nd. */
static enum network_state
trace_node(struct crawl *c, struct network_node *nd)
{
	struct http_reply r;
	char path[200], hex[33];
	enum pks_rc rc;
	int hget;

	if (!nd->reachable)
		return NETWORK_UNREACHABLE;
	hex16(c->hash, hex);
	snprintf(path, sizeof(path), "/pks/lookup?op=hget&options=mr&search=%s",
	    hex);
	rc = node_get(c, nd, path, &r);
	hget = r.status;
	http_reply_free(&r);
	if (rc != PKS_OK)
		return NETWORK_UNREACHABLE;
	if (hget == 200)
		return NETWORK_CURRENT;
	snprintf(path, sizeof(path),
	    "/pks/lookup?op=get&options=mr&search=0x%s", c->fpr);
	rc = node_get(c, nd, path, &r);
	if (rc != PKS_OK || (r.status != 200 && r.status != 404)) {
		http_reply_free(&r);
		return NETWORK_UNREACHABLE;
	}
	/* No hget there (not 404): hash what op=get gave. */
	if (r.status == 200 && hget != 404 && answer_has_hash(&r, c->hash)) {
		http_reply_free(&r);
		return NETWORK_CURRENT;
	}
	rc = r.status == 200 &&
		     pgp_armor_present((const char *)r.body.data, r.body.len)
		 ? PKS_OK
		 : PKS_ERR_NOTFOUND;
	http_reply_free(&r);
	return rc == PKS_OK ? NETWORK_OLDER : NETWORK_MISSING;
}

/* Under the lock: the next node to work on, or m->n. */
static size_t
take_next(struct crawl *c)
{
	struct network_node *nd;

	for (; c->next < c->m->n; c->next++) {
		nd = &c->m->nodes[c->next];
		if (c->tracing) {
			if (nd->host != NULL || nd->state == NETWORK_NONE)
				return c->next++;
			continue;
		}
		if (nd->visited)
			continue;
		if (nd->depth > c->o->max_depth) {
			nd->visited = 1;
			snprintf(nd->note, sizeof(nd->note),
			    "not visited: depth limit");
			continue;
		}
		nd->visited = 1;
		return c->next++;
	}
	return c->m->n;
}

/* One unit of work on node i, the lock released meanwhile. */
static void
work(struct crawl *c, size_t i)
{
	struct network_node copy = c->m->nodes[i];
	struct network_stats s;
	enum network_state st;

	c->active++;
	pthread_mutex_unlock(&c->lock);
	if (c->tracing) {
		st = copy.host != NULL ? trace_node(c, &copy)
				       : NETWORK_UNREACHABLE;
		pthread_mutex_lock(&c->lock);
		c->m->nodes[i].state = st;
	} else {
		visit(c, &copy, &s);
		pthread_mutex_lock(&c->lock);
		/* nodes may have moved: write back by index */
		memcpy(c->m->nodes[i].note, copy.note, sizeof(copy.note));
		c->m->nodes[i].addr = copy.addr;
		c->m->nodes[i].addrlen = copy.addrlen;
		c->m->nodes[i].reachable = copy.reachable;
		if (copy.reachable)
			apply_stats(c, i, &s);
		network_stats_free(&s);
	}
	c->active--;
	pthread_cond_broadcast(&c->cond);
}

static void *
worker(void *arg)
{
	struct crawl *c = arg;
	size_t i;

	pthread_mutex_lock(&c->lock);
	for (;;) {
		if (clock_ms() >= c->deadline)
			break;
		i = take_next(c);
		if (i < c->m->n) {
			work(c, i);
			continue;
		}
		if (c->active == 0)
			break;
		pthread_cond_wait(&c->cond, &c->lock);
	}
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Nodes never reached before the deadline say so. */
static void
mark_left(struct crawl *c)
{
	struct network_node *nd;
	size_t i;

	for (i = 0; i < c->m->n; i++) {
		nd = &c->m->nodes[i];
		if (!c->tracing && !nd->visited)
			snprintf(nd->note, sizeof(nd->note),
			    "not visited: crawl deadline");
		if (c->tracing && nd->state == NETWORK_NONE)
			nd->state = NETWORK_UNREACHABLE;
	}
}

static void
run_pool(struct crawl *c)
{
	pthread_t t[CRAWL_MAX_THREADS];
	int n = c->o->concurrency, i, started = 0;

	if (n < 1)
		n = 1;
	if (n > CRAWL_MAX_THREADS)
		n = CRAWL_MAX_THREADS;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	c->deadline = clock_ms() + c->o->deadline_ms;
	for (i = 0; i < n; i++)
		if (pthread_create(&t[started], NULL, worker, c) == 0)
			started++;
	if (started == 0)
		worker(c);
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	mark_left(c);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
}

enum pks_rc
network_crawl(const struct network_opts *o, const char *const *seeds, size_t n,
    struct network_map **out)
{
	struct crawl c;
	char host[256];
	uint16_t port;
	size_t i;
	enum pks_rc rc;

	memset(&c, 0, sizeof(c));
	c.o = o;
	c.m = xcalloc(1, sizeof(*c.m));
	c.m->taken = (int64_t)time(NULL);
	for (i = 0; i < n; i++) {
		rc = network_url_parse(seeds[i], host, sizeof(host), &port);
		if (rc != PKS_OK) {
			network_map_free(c.m);
			return rc;
		}
		node_add_take(&c, network_url_make(host, port), 0);
	}
	run_pool(&c);
	*out = c.m;
	return PKS_OK;
}

enum pks_rc
network_trace(const struct network_opts *o, struct network_map *m,
    const char *fpr, const uint8_t hash[16])
{
	struct crawl c;
	size_t i;

	for (i = 0; fpr[i] != '\0'; i++)
		if (strchr("0123456789abcdefABCDEF", fpr[i]) == NULL)
			return PKS_ERR_PARSE;
	if (i != 32 && i != 40 && i != 64)
		return PKS_ERR_PARSE;
	memset(&c, 0, sizeof(c));
	c.o = o;
	c.m = m;
	c.tracing = 1;
	c.fpr = fpr;
	c.hash = hash;
	snprintf(m->fpr, sizeof(m->fpr), "%s", fpr);
	for (i = 0; i < m->n; i++)
		m->nodes[i].state = NETWORK_NONE;
	run_pool(&c);
	return PKS_OK;
}

void
network_map_free(struct network_map *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->n; i++) {
		free(m->nodes[i].url);
		free(m->nodes[i].host);
	}
	free(m->nodes);
	free(m->links);
	free(m);
}
