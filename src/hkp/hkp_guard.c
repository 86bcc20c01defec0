/*
 * hkp_guard.c: per-address connection counts, request deadlines, the
 * body budget and per-address rate limits of the HKP server.
 *
 * One mutex guards everything; each operation is a few hash probes.
 * Connection counts live in a chained hash table whose entries exist
 * only while the address has connections, so it is bounded by the
 * server's connection limit.  Token buckets live in a fixed
 * set-associative table (RATE_SETS x RATE_WAYS): a new address takes
 * the least recently used way of its set, so the table never grows;
 * the set is chosen by a hash keyed with a random seed, so no one can
 * aim at another address's bucket.  The deadline thread wakes every
 * REAP_MS and shuts down the sockets of connections whose header or
 * body is late; MHD then sees the connection end and closes it (the
 * socket stays open until hkp_guard_close() has run, so the descriptor
 * cannot have been reused).
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "hkp/hkp_guard.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

#define COUNT_BUCKETS 1024u
#define RATE_SETS 4096u
#define RATE_WAYS 4u
#define MAX_TRUSTED 64u
#define REAP_MS 250

/* Per client address: open connections and reply bytes held (the
 * entry goes when both are 0). */
struct count {
	struct hkp_addr a;
	unsigned n;
	size_t reply;
	struct count *next;
};

struct hkp_conn {
	struct hkp_addr a;
	int fd;
	int counted; /* in the per-address count */
	int reaped;  /* socket shut down already */
	enum hkp_phase phase;
	int64_t since; /* ms when the phase began */
	struct hkp_conn *prev, *next;
};

struct bucket {
	struct hkp_addr a;
	int used;
	int64_t seen;       /* ms of the last refill */
	double tokens[2];   /* per enum hkp_rate */
	int64_t last_touch; /* LRU */
};

struct hkp_guard {
	struct hkp_guard_cfg cfg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	int stopping;
	uint64_t seed;
	struct hkp_addr trusted[MAX_TRUSTED];
	size_t ntrusted;
	struct count *counts[COUNT_BUCKETS];
	struct hkp_conn *conns;
	struct bucket *rate; /* RATE_SETS * RATE_WAYS */
	size_t body_bytes;
	size_t reply_bytes;
	struct hkp_guard_stats st;
};

/* ---- addresses ---- */

/* The full address of sa (IPv4 mapped), not cut. */
static int
addr_full(const struct sockaddr *sa, struct hkp_addr *out)
{
	const struct sockaddr_in *s4;

	memset(out, 0, sizeof(*out));
	if (sa->sa_family == AF_INET) {
		s4 = (const struct sockaddr_in *)(const void *)sa;
		out->b[10] = out->b[11] = 0xff;
		memcpy(out->b + 12, &s4->sin_addr, 4);
		return 1;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out->b,
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    16);
		return 1;
	}
	return 0;
}

/* Cut an IPv6 address (not a mapped IPv4 one) to its /64. */
static void
addr_cut(struct hkp_addr *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
		0xff };

	if (memcmp(a->b, mapped, 12) != 0)
		memset(a->b + 8, 0, 8);
}

int
hkp_addr_from(const struct sockaddr *sa, struct hkp_addr *out)
{
	if (!addr_full(sa, out))
		return 0;
	addr_cut(out);
	return 1;
}

enum pks_rc
hkp_addr_parse(
    const char *s, size_t len, struct hkp_addr *out, char *text, size_t size)
{
	char tmp[INET6_ADDRSTRLEN + 1];
	struct in_addr a4;

	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= sizeof(tmp))
		return PKS_ERR_PARSE;
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, tmp, &a4) == 1) {
		out->b[10] = out->b[11] = 0xff;
		memcpy(out->b + 12, &a4, 4);
	} else if (inet_pton(AF_INET6, tmp, out->b) != 1) {
		return PKS_ERR_PARSE;
	}
	if (text != NULL && size > len) {
		memcpy(text, tmp, len + 1);
	}
	return PKS_OK;
}

static uint64_t
addr_hash(const struct hkp_guard *g, const struct hkp_addr *a)
{
	uint64_t h = 1469598103934665603ull ^ g->seed;
	size_t i;

	for (i = 0; i < sizeof(a->b); i++) {
		h ^= a->b[i];
		h *= 1099511628211ull;
	}
	return h ^ (h >> 29);
}

static int
addr_eq(const struct hkp_addr *a, const struct hkp_addr *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

static int
is_trusted(const struct hkp_guard *g, const struct hkp_addr *full)
{
	size_t i;

	for (i = 0; i < g->ntrusted; i++)
		if (addr_eq(&g->trusted[i], full))
			return 1;
	return 0;
}

int
hkp_guard_trusted(struct hkp_guard *g, const struct sockaddr *sa)
{
	struct hkp_addr a;

	return addr_full(sa, &a) && is_trusted(g, &a);
}

/* ---- connection counts ---- */

static struct count **
count_slot(struct hkp_guard *g, const struct hkp_addr *a)
{
	struct count **p = &g->counts[addr_hash(g, a) % COUNT_BUCKETS];

	while (*p != NULL && !addr_eq(&(*p)->a, a))
		p = &(*p)->next;
	return p;
}

int
hkp_guard_admit(struct hkp_guard *g, const struct sockaddr *sa)
{
	struct hkp_addr full, a;
	struct count *c;
	int ok = 1;

	if (g->cfg.per_addr_conns == 0 || !addr_full(sa, &full))
		return 1;
	a = full;
	addr_cut(&a);
	pthread_mutex_lock(&g->mu);
	if (!is_trusted(g, &full)) {
		c = *count_slot(g, &a);
		if (c != NULL && c->n >= g->cfg.per_addr_conns) {
			ok = 0;
			g->st.refused_conns++;
		}
	}
	pthread_mutex_unlock(&g->mu);
	return ok;
}

struct hkp_conn *
hkp_guard_open(struct hkp_guard *g, const struct sockaddr *sa, int fd)
{
	struct hkp_conn *c = xcalloc(1, sizeof(*c));
	struct hkp_addr full;
	struct count **p;

	c->fd = fd;
	c->phase = HKP_PH_HEADER;
	c->since = clock_ms();
	pthread_mutex_lock(&g->mu);
	if (sa != NULL && addr_full(sa, &full) && !is_trusted(g, &full)) {
		c->a = full;
		addr_cut(&c->a);
		p = count_slot(g, &c->a);
		if (*p == NULL) {
			*p = xcalloc(1, sizeof(**p));
			(*p)->a = c->a;
		}
		(*p)->n++;
		c->counted = 1;
	}
	c->next = g->conns;
	if (g->conns != NULL)
		g->conns->prev = c;
	g->conns = c;
	pthread_mutex_unlock(&g->mu);
	return c;
}

void
hkp_guard_close(struct hkp_guard *g, struct hkp_conn *c)
{
	struct count **p, *dead;

	if (c == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	if (c->counted) {
		p = count_slot(g, &c->a);
		if (*p != NULL && --(*p)->n == 0 && (*p)->reply == 0) {
			dead = *p;
			*p = dead->next;
			free(dead);
		}
	}
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		g->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&g->mu);
	free(c);
}

void
hkp_guard_phase(struct hkp_guard *g, struct hkp_conn *c, enum hkp_phase p)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	c->phase = p;
	c->since = clock_ms();
	pthread_mutex_unlock(&g->mu);
}

/* ---- deadlines ---- */

static int
overdue(const struct hkp_guard *g, const struct hkp_conn *c, int64_t now)
{
	if (c->reaped)
		return 0;
	if (c->phase == HKP_PH_HEADER && g->cfg.header_ms > 0)
		return now - c->since > g->cfg.header_ms;
	if (c->phase == HKP_PH_BODY && g->cfg.body_ms > 0)
		return now - c->since > g->cfg.body_ms;
	return 0;
}

static void
reap(struct hkp_guard *g)
{
	struct hkp_conn *c;
	int64_t now = clock_ms();
	size_t n = 0;

	for (c = g->conns; c != NULL; c = c->next) {
		if (!overdue(g, c, now))
			continue;
		/* MHD sees the end of the stream and closes it */
		(void)shutdown(c->fd, SHUT_RDWR);
		c->reaped = 1;
		n++;
	}
	g->st.timed_out += n;
	if (n > 0)
		log_debug("hkp: %zu connections past their header or body "
			  "deadline closed",
		    n);
}

static void *
reaper(void *arg)
{
	struct hkp_guard *g = arg;
	struct timespec ts;

	pthread_mutex_lock(&g->mu);
	while (!g->stopping) {
		reap(g);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += REAP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		(void)pthread_cond_timedwait(&g->cv, &g->mu, &ts);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

/* ---- body budget ---- */

enum pks_rc
hkp_guard_reserve(struct hkp_guard *g, size_t n)
{
	enum pks_rc rc = PKS_OK;

	pthread_mutex_lock(&g->mu);
	if (n > g->cfg.body_budget - g->body_bytes)
		rc = PKS_ERR_FULL;
	else
		g->body_bytes += n;
	pthread_mutex_unlock(&g->mu);
	return rc;
}

void
hkp_guard_release(struct hkp_guard *g, size_t n)
{
	pthread_mutex_lock(&g->mu);
	g->body_bytes -= n <= g->body_bytes ? n : g->body_bytes;
	pthread_mutex_unlock(&g->mu);
}

void
hkp_guard_count_budget(struct hkp_guard *g)
{
	pthread_mutex_lock(&g->mu);
	g->st.over_budget++;
	pthread_mutex_unlock(&g->mu);
}

/* ---- reply budget ---- */

enum pks_rc
hkp_guard_reply_take(struct hkp_guard *g, const struct hkp_addr *a, size_t n)
{
	struct count **p = NULL;
	size_t held = 0;
	enum pks_rc rc = PKS_OK;

	if (g == NULL || n == 0)
		return PKS_OK;
	if (n > g->cfg.reply_budget || (a != NULL && n > g->cfg.reply_per_addr))
		return PKS_ERR_TOOBIG;
	pthread_mutex_lock(&g->mu);
	if (a != NULL) {
		p = count_slot(g, a);
		held = *p != NULL ? (*p)->reply : 0;
	}
	if (n > g->cfg.reply_budget - g->reply_bytes ||
	    (a != NULL && n > g->cfg.reply_per_addr - held)) {
		g->st.over_reply++;
		rc = PKS_ERR_FULL;
		goto out;
	}
	if (p != NULL && *p == NULL) {
		*p = xcalloc(1, sizeof(**p));
		(*p)->a = *a;
	}
	if (p != NULL)
		(*p)->reply += n;
	g->reply_bytes += n;
out:
	pthread_mutex_unlock(&g->mu);
	return rc;
}

void
hkp_guard_reply_give(struct hkp_guard *g, const struct hkp_addr *a, size_t n)
{
	struct count **p, *dead;

	if (g == NULL || n == 0)
		return;
	pthread_mutex_lock(&g->mu);
	g->reply_bytes -= n <= g->reply_bytes ? n : g->reply_bytes;
	if (a != NULL && *(p = count_slot(g, a)) != NULL) {
		(*p)->reply -= n <= (*p)->reply ? n : (*p)->reply;
		if ((*p)->n == 0 && (*p)->reply == 0) {
			dead = *p;
			*p = dead->next;
			free(dead);
		}
	}
	pthread_mutex_unlock(&g->mu);
}

/* ---- rate limits ---- */

/* The bucket of a in its set: found, or the least recently used way
 * given to a with full buckets. */
static struct bucket *
bucket_of(struct hkp_guard *g, const struct hkp_addr *a, int64_t now)
{
	struct bucket *set, *old;
	size_t i;

	set = &g->rate[(addr_hash(g, a) % RATE_SETS) * RATE_WAYS];
	old = &set[0];
	for (i = 0; i < RATE_WAYS; i++) {
		if (set[i].used && addr_eq(&set[i].a, a))
			return &set[i];
		if (!set[i].used || set[i].last_touch < old->last_touch)
			old = &set[i];
		if (!set[i].used)
			break;
	}
	memset(old, 0, sizeof(*old));
	old->a = *a;
	old->used = 1;
	old->seen = now;
	old->tokens[HKP_RATE_ADD] = g->cfg.add_per_min;
	old->tokens[HKP_RATE_SEARCH] = g->cfg.search_per_min;
	return old;
}

enum pks_rc
hkp_guard_rate(struct hkp_guard *g, const struct hkp_addr *a, enum hkp_rate k,
    int *retry_s)
{
	unsigned per_min =
	    k == HKP_RATE_ADD ? g->cfg.add_per_min : g->cfg.search_per_min;
	struct bucket *b;
	int64_t now = clock_ms();
	double per_ms, *t;
	enum pks_rc rc = PKS_OK;
	int i;

	*retry_s = 0;
	if (per_min == 0)
		return PKS_OK;
	per_ms = per_min / 60000.0;
	pthread_mutex_lock(&g->mu);
	b = bucket_of(g, a, now);
	/* refill both kinds for the time that passed */
	for (i = 0; i < 2; i++) {
		unsigned cap = i == HKP_RATE_ADD ? g->cfg.add_per_min
						 : g->cfg.search_per_min;
		b->tokens[i] += (double)(now - b->seen) * cap / 60000.0;
		if (b->tokens[i] > cap)
			b->tokens[i] = cap;
	}
	b->seen = b->last_touch = now;
	t = &b->tokens[k];
	if (*t >= 1.0) {
		*t -= 1.0;
	} else {
		*retry_s = (int)((1.0 - *t) / per_ms / 1000.0) + 1;
		g->st.rate_limited++;
		rc = PKS_ERR_REFUSED;
	}
	pthread_mutex_unlock(&g->mu);
	return rc;
}

/* ---- life ---- */

static enum pks_rc
parse_trusted(struct hkp_guard *g, const char *s)
{
	size_t n;

	while (s != NULL && *s != '\0') {
		n = strcspn(s, ", \t");
		if (n > 0) {
			if (g->ntrusted == MAX_TRUSTED ||
			    hkp_addr_parse(s, n, &g->trusted[g->ntrusted], NULL,
				0) != PKS_OK)
				return PKS_ERR_CONFIG;
			g->ntrusted++;
		}
		s += n;
		s += strspn(s, ", \t");
	}
	return PKS_OK;
}

enum pks_rc
hkp_guard_new(const struct hkp_guard_cfg *cfg, struct hkp_guard **out)
{
	struct hkp_guard *g = xcalloc(1, sizeof(*g));

	*out = NULL;
	g->cfg = *cfg;
	g->cfg.trusted = NULL;
	if (parse_trusted(g, cfg->trusted) != PKS_OK) {
		free(g);
		return PKS_ERR_CONFIG;
	}
	if (getrandom(&g->seed, sizeof(g->seed), 0) != sizeof(g->seed))
		g->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)g;
	g->rate = xcalloc(RATE_SETS * RATE_WAYS, sizeof(*g->rate));
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	if (pthread_create(&g->th, NULL, reaper, g) != 0)
		fatalx("hkp: cannot start the deadline thread");
	*out = g;
	return PKS_OK;
}

void
hkp_guard_stats(struct hkp_guard *g, struct hkp_guard_stats *out)
{
	pthread_mutex_lock(&g->mu);
	*out = g->st;
	out->body_bytes = g->body_bytes;
	out->reply_bytes = g->reply_bytes;
	pthread_mutex_unlock(&g->mu);
}

void
hkp_guard_free(struct hkp_guard *g)
{
	struct count *c, *next;
	size_t i;

	if (g == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	g->stopping = 1;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	pthread_join(g->th, NULL);
	for (i = 0; i < COUNT_BUCKETS; i++)
		for (c = g->counts[i]; c != NULL; c = next) {
			next = c->next;
			free(c);
		}
	while (g->conns != NULL) {
		struct hkp_conn *k = g->conns;

		g->conns = k->next;
		free(k);
	}
	free(g->rate);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}
