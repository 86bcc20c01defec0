/*
 * recon_fetch.c: POST /pks/hashquery to a recon peer and merge what it
 * returns (sks-recon.md section 7).  The connection, the exchange and
 * the status line are net/http_client's.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/http_client.h"
#include "pgp/pgp_packet.h"
#include "recon/recon_fetch.h"
#include "store/store_refused.h"
#include "util/clock.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/xalloc.h"

enum pks_rc
recon_connect(const struct sockaddr_storage *addr, socklen_t len, uint16_t port,
    const char *bind_host, int timeout_ms, int *fd)
{
	return http_connect(addr, len, port, bind_host, timeout_ms, fd);
}

enum pks_rc
recon_fetch_body(const struct zzp *e, size_t n, struct buf *out)
{
	uint8_t md5[ZZP_MD5_LEN];
	enum pks_rc rc;
	size_t i;

	rc = buf_add_be32(out, (uint32_t)n);
	for (i = 0; rc == PKS_OK && i < n; i++) {
		if ((rc = zzp_to_md5(&e[i], md5)) != PKS_OK)
			break;
		rc = buf_add_be32(out, ZZP_MD5_LEN);
		if (rc == PKS_OK)
			rc = buf_add(out, md5, sizeof(md5));
	}
	return rc;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

enum pks_rc
recon_fetch_parse(const uint8_t *p, size_t len,
    enum pks_rc (*cb)(void *arg, const uint8_t *key, size_t n), void *arg,
    size_t *nkeys)
{
	size_t off = 0, i;
	uint32_t count, kl;
	enum pks_rc rc;
	int status = 0;

	*nkeys = 0;
	if ((rc = http_reply_head(p, len, &status, &off)) != PKS_OK)
		return rc;
	if (status < 200 || status > 299)
		return PKS_ERR_PARSE;
	if (len - off < 4)
		return PKS_ERR_PARSE;
	count = be32(p + off);
	off += 4;
	for (i = 0; i < count; i++) {
		if (len - off < 4)
			return PKS_ERR_PARSE;
		kl = be32(p + off);
		off += 4;
		if (kl > PKS_MAX_KEY)
			return PKS_ERR_TOOBIG;
		if (len - off < kl)
			return PKS_ERR_PARSE;
		if ((rc = cb(arg, p + off, kl)) != PKS_OK)
			return rc;
		off += kl;
		(*nkeys)++;
	}
	return PKS_OK;
}

/*
 * The keys of one answer, concatenated into a keyring in place: each
 * key is moved to the front of the answer's own buffer (over the
 * status line, the headers and the length words), so an answer needs
 * no second buffer.  Each answer entry must be exactly one key: a
 * public-key packet first and no other one after it, or the
 * concatenation would glue it to its neighbour or split it in two (SKS
 * refuses such an entry as one bad key).
 */
struct compact {
	uint8_t *base; /* the answer's buffer */
	size_t len;    /* keyring bytes at its front so far */
};

static enum pks_rc
collect_key(void *arg, const uint8_t *key, size_t n)
{
	struct compact *c = arg;
	struct pgp_packet pkt;
	struct pks_err err = { 0, NULL };
	size_t off = 0, count = 0;

	while (off < n) {
		if (pgp_packet_next(key, n, &off, &pkt, &err) != PKS_OK ||
		    (pkt.tag == PGP_TAG_PUBKEY) != (count == 0)) {
			log_info(
			    "recon: fetched entry is not one key; skipped");
			return PKS_OK;
		}
		count++;
	}
	/* key lies after c->base + c->len: the front only moves forward */
	memmove(c->base + c->len, key, n);
	c->len += n;
	return PKS_OK;
}

/* One POST for e[0..n); reply (emptied first) gets the keys of the
 * answer as one keyring. */
static enum pks_rc
fetch_batch(const struct recon_fetch_cfg *cfg, const struct zzp *e, size_t n,
    struct buf *reply, struct recon_fetch_stats *stats)
{
	struct buf req, body;
	struct compact c = { NULL, 0 };
	size_t nkeys = 0;
	enum pks_rc rc;
	int64_t t0 = clock_ms();
	int64_t deadline = cfg->deadline_ms > 0 ? cfg->deadline_ms
						: 10 * (int64_t)cfg->timeout_ms;
	int fd = -1;

	buf_reset(reply);
	buf_init(&req, 8192);
	buf_init(&body, 4 + 20 * RECON_FETCH_BATCH + 20 * n);
	rc = recon_fetch_body(e, n, &body);
	if (rc == PKS_OK)
		rc = buf_printf(&req,
		    "POST /pks/hashquery HTTP/1.0\r\n"
		    "content-length: %zu\r\n\r\n",
		    body.len);
	if (rc == PKS_OK)
		rc = buf_add(&req, body.data, body.len);
	if (rc == PKS_OK)
		rc = recon_connect(&cfg->peer, cfg->peerlen, cfg->http_port,
		    cfg->bind_host, cfg->timeout_ms, &fd);
	if (rc == PKS_OK)
		rc = http_exchange(
		    fd, &req, cfg->timeout_ms, t0 + deadline, reply);
	if (rc == PKS_OK) {
		c.base = reply->data;
		rc = recon_fetch_parse(
		    reply->data, reply->len, collect_key, &c, &nkeys);
	}
	/* the keys before a bad entry are kept, as before */
	reply->len = c.len;
	stats->http_ms += clock_ms() - t0;
	stats->asked += n;
	stats->returned += nkeys;
	if (rc != PKS_OK)
		log_warnx("recon: hashquery to port %u failed after %lld ms: "
			  "%s",
		    cfg->http_port, (long long)(clock_ms() - t0),
		    pks_rc_str(rc));
	if (fd != -1)
		close(fd);
	buf_free(&req);
	buf_free(&body);
	return rc;
}

int64_t
recon_thread_cpu_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The hashes of e not recorded as refused for good (a new array). */
static struct zzp *
skip_refused(struct store *st, const struct zzp *e, size_t *n,
    struct recon_fetch_stats *stats)
{
	struct zzp *v = xreallocarray(NULL, *n + 1, sizeof(*v));
	uint8_t md5[ZZP_MD5_LEN];
	size_t i, k = 0;

	for (i = 0; i < *n; i++) {
		if (zzp_to_md5(&e[i], md5) == PKS_OK &&
		    store_refused_has(st, md5) == PKS_OK) {
			stats->skipped++;
			continue;
		}
		v[k++] = e[i];
	}
	*n = k;
	return v;
}

/*
 * The pipeline: a fetcher thread asks the peer for one batch after
 * another while the calling thread merges the answer before, so the
 * peer's work, the transfer and our merge overlap.  There are two
 * answer buffers: the fetcher takes a free one for each request and
 * hands it over filled (one waits at most); the merger gives it back.
 * So at most one answer is read while one is merged, and neither side
 * waits for the other except for a buffer or an answer.  The merger
 * only waits on the fetcher, whose requests are bounded in time; the
 * fetcher never touches the database.
 */
struct fetch_pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	const struct recon_fetch_cfg *cfg;
	const struct zzp *e;
	size_t n;
	struct buf buf[2];
	int free[2];                   /* buf[i] may be taken */
	struct buf *ready;             /* an answer to merge, or NULL */
	int done;                      /* the fetcher has finished */
	int stop;                      /* the merger gave up */
	enum pks_rc rc;                /* the fetcher's first error */
	struct recon_fetch_stats http; /* the fetcher's counts */
};

/* A free buffer's index (waiting for one), or -1 once stopped. */
static int
pipe_take(struct fetch_pipe *p)
{
	int i = -1;

	pthread_mutex_lock(&p->mu);
	while (!p->stop && !p->free[0] && !p->free[1])
		pthread_cond_wait(&p->cv, &p->mu);
	if (!p->stop) {
		i = p->free[0] ? 0 : 1;
		p->free[i] = 0;
	}
	pthread_mutex_unlock(&p->mu);
	return i;
}

/* Hand buf[i] to the merger (after the previous answer was taken); an
 * empty one goes back to the free ones. */
static void
pipe_post(struct fetch_pipe *p, int i)
{
	pthread_mutex_lock(&p->mu);
	while (!p->stop && p->ready != NULL)
		pthread_cond_wait(&p->cv, &p->mu);
	if (!p->stop && p->buf[i].len > 0)
		p->ready = &p->buf[i];
	else
		p->free[i] = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void *
fetcher(void *arg)
{
	struct fetch_pipe *p = arg;
	enum pks_rc rc = PKS_OK;
	size_t i, k;
	int b;

	for (i = 0; i < p->n && rc == PKS_OK; i += k) {
		k = p->n - i < RECON_FETCH_BATCH ? p->n - i : RECON_FETCH_BATCH;
		if ((b = pipe_take(p)) < 0)
			break;
		rc = fetch_batch(p->cfg, p->e + i, k, &p->buf[b], &p->http);
		/* what a failed answer held before its error is merged */
		pipe_post(p, b);
	}
	pthread_mutex_lock(&p->mu);
	p->rc = rc;
	p->done = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* The next answer to merge, or NULL: with wait, when the fetcher is
 * done; without, when none is there yet. */
static struct buf *
pipe_next(struct fetch_pipe *p, int wait)
{
	struct buf *b;

	pthread_mutex_lock(&p->mu);
	while (wait && p->ready == NULL && !p->done)
		pthread_cond_wait(&p->cv, &p->mu);
	b = p->ready;
	p->ready = NULL;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return b;
}

/* buf back to the free ones. */
static void
pipe_give_back(struct fetch_pipe *p, struct buf *b)
{
	pthread_mutex_lock(&p->mu);
	p->free[b == &p->buf[0] ? 0 : 1] = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* The merger gave up: the fetcher stops at its next hand-over. */
static void
pipe_stop(struct fetch_pipe *p)
{
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Tries to open a merge transaction while the database is busy. */
#define MERGE_TRIES 5

/* The merge side: one transaction (at most RECON_FETCH_MERGE_ANSWERS
 * answers) and what it cost. */
struct merger {
	struct store *st;
	const struct ingest_origin *origin;
	struct recon_fetch_stats *stats;
	struct ingest_txn *t; /* open, or NULL */
	size_t answers;       /* merged into t */
};

/* Merge one answer's keyring, opening a transaction when none is. */
static enum pks_rc
merge_answer(struct merger *m, const struct buf *ring)
{
	int64_t t0 = clock_ms(), c0 = recon_thread_cpu_ms();
	enum pks_rc rc = PKS_OK;
	int i;

	for (i = 0; m->t == NULL && i < MERGE_TRIES; i++) {
		rc = ingest_txn_begin(m->st, m->origin, NULL, NULL, &m->t);
		if (rc != PKS_ERR_BUSY)
			break;
	}
	if (rc == PKS_OK)
		rc = ingest_txn_keyring(m->t, ring->data, ring->len);
	m->answers++;
	m->stats->merge_ms += clock_ms() - t0;
	m->stats->merge_cpu_ms += recon_thread_cpu_ms() - c0;
	return rc;
}

/* Commit the open transaction (roll it back when rc failed). */
static enum pks_rc
merge_end(struct merger *m, enum pks_rc rc)
{
	int64_t t0 = clock_ms(), c0 = recon_thread_cpu_ms();

	if (m->t == NULL)
		return rc;
	rc = ingest_txn_end(m->t, rc, &m->stats->merged);
	m->t = NULL;
	m->answers = 0;
	m->stats->merge_ms += clock_ms() - t0;
	m->stats->merge_cpu_ms += recon_thread_cpu_ms() - c0;
	if (rc != PKS_OK)
		log_warnx(
		    "recon: merging fetched keys failed: %s", pks_rc_str(rc));
	return rc;
}

/*
 * Merge the answers as they come; the first error (the fetcher's or
 * the merge's) is returned.  Answers that are there already go into
 * the open transaction (up to RECON_FETCH_MERGE_ANSWERS); before
 * waiting for the peer it is committed, so the write lock is never
 * held while the network is awaited.
 */
static enum pks_rc
pipe_run(struct fetch_pipe *p, struct merger *m)
{
	enum pks_rc rc = PKS_OK;
	pthread_t th;
	struct buf *b;

	if (pthread_create(&th, NULL, fetcher, p) != 0) {
		log_warn("recon: cannot start the fetcher thread");
		return PKS_ERR_IO;
	}
	for (;;) {
		if ((b = pipe_next(p, 0)) == NULL) {
			if ((rc = merge_end(m, rc)) != PKS_OK)
				break;
			if ((b = pipe_next(p, 1)) == NULL)
				break;
		}
		rc = merge_answer(m, b);
		pipe_give_back(p, b);
		if (rc != PKS_OK || m->answers >= RECON_FETCH_MERGE_ANSWERS)
			rc = merge_end(m, rc);
		if (rc != PKS_OK)
			break;
	}
	if (rc != PKS_OK)
		pipe_stop(p);
	pthread_join(th, NULL);
	m->stats->asked = p->http.asked;
	m->stats->returned = p->http.returned;
	m->stats->http_ms = p->http.http_ms;
	return rc != PKS_OK ? rc : p->rc;
}

enum pks_rc
recon_fetch(struct store *st, const struct recon_fetch_cfg *cfg,
    const struct zzp *all, size_t n, struct recon_fetch_stats *stats)
{
	struct ingest_origin origin;
	struct ingest_sync *sync = NULL;
	struct fetch_pipe p;
	struct merger m;
	struct zzp *e;
	enum pks_rc rc;

	memset(stats, 0, sizeof(*stats));
	/* A hash refused for good is not fetched at every session again. */
	e = skip_refused(st, all, &n, stats);
	memset(&origin, 0, sizeof(origin));
	origin.src = INGEST_RECON;
	if (cfg->sync != NULL && cfg->sync->get != NULL &&
	    cfg->sync->get(cfg->sync->arg, &sync) == PKS_OK)
		origin.sync = sync;
	memset(&p, 0, sizeof(p));
	memset(&m, 0, sizeof(m));
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	p.cfg = cfg;
	p.e = e;
	p.n = n;
	buf_init(&p.buf[0], RECON_FETCH_MAX_REPLY);
	buf_init(&p.buf[1], RECON_FETCH_MAX_REPLY);
	p.free[0] = p.free[1] = 1;
	m.st = st;
	m.origin = &origin;
	m.stats = stats;
	rc = n > 0 ? pipe_run(&p, &m) : PKS_OK;
	buf_free(&p.buf[0]);
	buf_free(&p.buf[1]);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	free(e);
	if (sync != NULL)
		ingest_sync_free(sync);
	return rc;
}
