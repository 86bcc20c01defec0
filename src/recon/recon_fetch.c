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
 * The keys of one answer, concatenated into a keyring.  Each answer
 * entry must be exactly one key: a public-key packet first and no other
 * one after it, or the concatenation would glue it to its neighbour or
 * split it in two (SKS refuses such an entry as one bad key).
 */
static enum pks_rc
collect_key(void *arg, const uint8_t *key, size_t n)
{
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
	return count ? buf_add(arg, key, n) : PKS_OK;
}

/* Tries of one batch's merge while the database is busy. */
#define MERGE_TRIES 5

/*
 * Merge the keys of one answer in a single ingest call (one
 * transaction), retried while another writer holds the database.
 */
static enum pks_rc
merge_batch(struct store *st, const struct ingest_origin *origin,
    const struct buf *ring, struct ingest_stats *merged)
{
	enum pks_rc rc = PKS_OK;
	int i;

	if (ring->len == 0)
		return PKS_OK;
	for (i = 0; i < MERGE_TRIES; i++) {
		rc = ingest_keyring(
		    st, origin, ring->data, ring->len, NULL, NULL, merged);
		if (rc != PKS_ERR_BUSY)
			break;
	}
	return rc;
}

/* One POST for e[0..n); the keys of the answer are appended to ring. */
static enum pks_rc
fetch_batch(const struct recon_fetch_cfg *cfg, const struct zzp *e, size_t n,
    struct buf *ring, struct recon_fetch_stats *stats)
{
	struct buf req, body, reply;
	size_t nkeys = 0;
	enum pks_rc rc;
	int64_t t0 = clock_ms();
	int64_t deadline = cfg->deadline_ms > 0 ? cfg->deadline_ms
						: 10 * (int64_t)cfg->timeout_ms;
	int fd = -1;

	buf_init(&req, 8192);
	buf_init(&body, 4 + 20 * RECON_FETCH_BATCH + 20 * n);
	buf_init(&reply, RECON_FETCH_MAX_REPLY);
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
		    fd, &req, cfg->timeout_ms, t0 + deadline, &reply);
	if (rc == PKS_OK)
		rc = recon_fetch_parse(
		    reply.data, reply.len, collect_key, ring, &nkeys);
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
	buf_free(&reply);
	return rc;
}

/* CPU time of the calling thread in milliseconds (0 if unknown). */
static int64_t
thread_cpu_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Merge what ring holds (one transaction), then empty it. */
static enum pks_rc
merge_ring(struct store *st, const struct ingest_origin *origin,
    struct buf *ring, struct recon_fetch_stats *stats)
{
	int64_t t0 = clock_ms(), c0 = thread_cpu_ms();
	enum pks_rc rc;

	rc = merge_batch(st, origin, ring, &stats->merged);
	stats->merge_ms += clock_ms() - t0;
	stats->merge_cpu_ms += thread_cpu_ms() - c0;
	if (rc != PKS_OK)
		log_warnx("recon: merging %zu bytes of fetched keys failed: "
			  "%s",
		    ring->len, pks_rc_str(rc));
	ring->len = 0;
	return rc;
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

enum pks_rc
recon_fetch(struct store *st, const struct recon_fetch_cfg *cfg,
    const struct zzp *all, size_t n, struct recon_fetch_stats *stats)
{
	struct ingest_origin origin;
	struct ingest_sync *sync = NULL;
	struct buf ring;
	struct zzp *e;
	enum pks_rc rc = PKS_OK, mrc;
	size_t i, k, pending = 0;

	memset(stats, 0, sizeof(*stats));
	/* A hash refused for good is not fetched at every session again. */
	e = skip_refused(st, all, &n, stats);
	memset(&origin, 0, sizeof(origin));
	origin.src = INGEST_RECON;
	if (cfg->sync != NULL && cfg->sync->get != NULL &&
	    cfg->sync->get(cfg->sync->arg, &sync) == PKS_OK)
		origin.sync = sync;
	buf_init(&ring, RECON_FETCH_MERGE_BYTES + RECON_FETCH_MAX_REPLY);
	for (i = 0; i < n && rc == PKS_OK; i += k) {
		k = n - i < RECON_FETCH_BATCH ? n - i : RECON_FETCH_BATCH;
		rc = fetch_batch(cfg, e + i, k, &ring, stats);
		pending += k;
		if (rc == PKS_OK && pending < RECON_FETCH_MERGE_KEYS &&
		    ring.len < RECON_FETCH_MERGE_BYTES && i + k < n)
			continue;
		/* What came before a failed batch is still merged. */
		mrc = merge_ring(st, &origin, &ring, stats);
		if (rc == PKS_OK)
			rc = mrc;
		pending = 0;
	}
	buf_free(&ring);
	free(e);
	if (sync != NULL)
		ingest_sync_free(sync);
	return rc;
}
