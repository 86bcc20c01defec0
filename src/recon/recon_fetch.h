/*
 * recon_fetch.h: fetch the keys a recon session found missing.
 *
 * As SKS does (sks-recon.md section 7): POST /pks/hashquery over
 * HTTP/1.0 to the peer's IP and the HTTP port it announced, at most
 * RECON_FETCH_BATCH hashes a request; the body is a count and
 * count x (16, MD5); the answer a count and count x (length, key), and
 * SKS appends CRLF.  The keys are merged as INGEST_RECON while the
 * next answer is asked for and read by a thread of its own: answers
 * that are there already share one transaction (up to
 * RECON_FETCH_MERGE_ANSWERS), which is committed before the merge
 * would wait for the peer, so the write lock is never held across the
 * network.  Opening it is retried a few times while the database is
 * busy.
 */
#ifndef PKS_RECON_FETCH_H
#define PKS_RECON_FETCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "ingest/ingest.h"
#include "ptree/ptree_zzp.h"
#include "store/store.h"
#include "util/rc.h"

#define RECON_FETCH_BATCH 100
/* Bytes of one hashquery answer we accept; at most two answers are
 * held at a time (one read, one merged). */
#define RECON_FETCH_MAX_REPLY (128u * 1024 * 1024)
/* Answers merged in one transaction at most (1,000 hashes asked). */
#define RECON_FETCH_MERGE_ANSWERS 10

struct recon_fetch_cfg {
	struct sockaddr_storage peer; /* peer IP; port replaced */
	socklen_t peerlen;
	uint16_t http_port;    /* the peer's announced port */
	const char *bind_host; /* local address or NULL */
	int timeout_ms;        /* connect and each read (180 s) */
	int deadline_ms; /* one whole request and answer; 0: 10 x timeout */
	const struct ingest_sync_src *sync; /* mail sync list or NULL */
};

struct recon_fetch_stats {
	size_t asked;               /* hashes requested */
	size_t skipped;             /* refused for good before: not asked */
	size_t returned;            /* keys in the answers */
	struct ingest_stats merged; /* what ingest did with them */
	int64_t http_ms;            /* spent connecting, asking, reading */
	int64_t merge_ms;           /* spent merging (ingest) */
	int64_t merge_cpu_ms;       /* CPU time of that (this thread) */
};

/*
 * A TCP connection to addr with its port set to port, bound to
 * bind_host (an IP literal; NULL or "" for any) first, within
 * timeout_ms.  *fd is blocking and owned by the caller.  PKS_ERR_IO on
 * failure (logged at debug level).
 */
enum pks_rc recon_connect(const struct sockaddr_storage *addr, socklen_t len,
    uint16_t port, const char *bind_host, int timeout_ms, int *fd);

/* CPU time of the calling thread in milliseconds (0 if unknown): what
 * a session or a merge cost, apart from the time it waited. */
int64_t recon_thread_cpu_ms(void);

/*
 * Build the request body for hashes e[0..n) (n <= RECON_FETCH_BATCH
 * recommended) into out.  Pure.
 */
enum pks_rc recon_fetch_body(const struct zzp *e, size_t n, struct buf *out);

/*
 * Parse an HTTP answer (status line, headers, body): checks the status
 * is 2xx, then calls cb for each key of the list.  Bytes after the list
 * (SKS's CRLF) are ignored.  Errors: PKS_ERR_PARSE (bad status, short
 * or malformed list), PKS_ERR_TOOBIG (a key over PKS_MAX_KEY), or
 * cb's rc.  Pure.
 */
enum pks_rc recon_fetch_parse(const uint8_t *p, size_t len,
    enum pks_rc (*cb)(void *arg, const uint8_t *key, size_t n), void *arg,
    size_t *nkeys);

/*
 * Fetch and merge the keys for e[0..n), RECON_FETCH_BATCH hashes a
 * request, merged while the next answer is fetched.  A failed request stops the
 * fetch (the keys already fetched are merged; the rest comes with the next
 * recon), and so does a failed merge.  stats is filled (not added to).
 */
enum pks_rc recon_fetch(struct store *st, const struct recon_fetch_cfg *cfg,
    const struct zzp *e, size_t n, struct recon_fetch_stats *stats);

#endif
