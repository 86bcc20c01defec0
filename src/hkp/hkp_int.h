/*
 * hkp_int.h: what the HKP handlers share with the server core.
 *
 * The server (hkp_server.c) routes a request to a handler with a
 * struct hkp_ctx (configuration, decoded query arguments, the POST body)
 * and an empty struct hkp_reply.  A handler either fills the reply and
 * returns PKS_OK, or returns an error rc with a one-line reason set by
 * hkp_fail(); the server then answers pks_rc_http(rc) with that reason
 * as text/plain (503 adds Retry-After).  Handlers never touch MHD.
 */
#ifndef PKS_HKP_INT_H
#define PKS_HKP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "hkp/hkp_form.h"
#include "hkp/hkp_guard.h"
#include "hkp/hkp_query.h"
#include "ingest/ingest.h"
#include "pgp/pgp_index.h"
#include "pgp/pgp_key.h"
#include "store/store.h"
#include "store/store_listing.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/rc.h"

/* Largest answer body (an op=get of many large keys gets 413). */
#define HKP_MAX_REPLY (64u * 1024 * 1024)

/* A buffered answer up to this many bytes costs no reply budget. */
#define HKP_REPLY_FREE 4096u

/* Seconds a client is asked to wait after a 503. */
#define HKP_RETRY_AFTER 5

struct hkp_metrics;
struct hkp_server;
struct hkp_stream;

struct hkp_reply {
	int status;       /* HTTP status, 200 unless set */
	const char *type; /* Content-Type (static string) */
	struct buf body;  /* capped at HKP_MAX_REPLY */
	int cors;         /* Access-Control-Allow-Origin: * */
	int have_count;   /* send X-HKP-Results-Count: count */
	size_t count;
	int retry_after; /* seconds for Retry-After (429, 503); 0: default */
	struct hkp_stream *stream; /* when set, the body (after 'body') */
	const char *cache;         /* Cache-Control (static); NULL: no-cache */
	/* when set, the whole body (instead of 'body'): a cached armor,
	 * sent without a copy and released (hkp_cache_unref) with the
	 * answer */
	struct hkp_armor *armor;
	const uint8_t *armor_data;
	size_t armor_len;
};

struct hkp_ctx {
	struct hkp_server *srv;
	const struct pks_config *cfg;
	const struct ingest_sync_src *sync; /* mail sync list, or NULL */
	const struct hkp_form *args;        /* decoded query-string arguments */
	const uint8_t *body;                /* POST body, NUL-terminated */
	size_t bodylen;
	size_t max_matches;            /* cfg->max_matches or the default */
	const struct hkp_addr *client; /* for limits; NULL in tests */
	const char *why;   /* reason of a failure (static, or why_buf) */
	char why_buf[320]; /* a reason made for this request */
	/* the client's address as text ("" when unknown): the peer's, or
	 * X-Forwarded-For's behind a trusted proxy */
	const char *client_ip;
};

/* A route's handler.  q is the parsed lookup (NULL for POST routes). */
typedef enum pks_rc (*hkp_handler)(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r);

/* Record the reason of a failure (why NULL keeps an earlier one, or
 * the server uses pks_rc_str(rc)); returns rc. */
enum pks_rc hkp_fail(struct hkp_ctx *ctx, enum pks_rc rc, const char *why);

/*
 * This worker thread's database connection, opened on first use and
 * closed by hkp_server_stop().  Borrowed.  Errors from store_open are
 * passed on (with a reason set in ctx).
 */
enum pks_rc hkp_ctx_store(struct hkp_ctx *ctx, struct store **out);

/* The server's counters for /metrics (hkp_metrics.h).  Borrowed. */
struct hkp_metrics *hkp_ctx_metrics(const struct hkp_ctx *ctx);

/* The server's armored-key cache (NULL when turned off).  Borrowed. */
struct hkp_cache *hkp_ctx_cache(const struct hkp_ctx *ctx);
/* The server's mr op=index answer cache (NULL when turned off). */
struct hkp_rcache;
struct hkp_rcache *hkp_ctx_rcache(const struct hkp_ctx *ctx);
struct hkp_cache *hkp_server_cache(const struct hkp_server *srv);
/* The server's guard (hkp_guard.h).  Borrowed. */
struct hkp_guard *hkp_server_guard(const struct hkp_server *srv);

/* This thread's database connection, as hkp_ctx_store() (logged, no
 * reason set). */
enum pks_rc hkp_server_store(struct hkp_server *srv, struct store **out);

/*
 * Streamed answers (hkp_stream.c): the reply's body is written while
 * the client reads it, one key at a time, so a slow reader holds at
 * most one key.  hkp_stream_armor: head, the keys ids[0..n) as one
 * armored block, tail.  hkp_stream_hashquery: the SKS hashquery answer
 * for n keys.  On PKS_OK r->stream is set (owned by the reply, then by
 * the server).
 */
enum pks_rc hkp_stream_armor(struct hkp_ctx *ctx, const int64_t *ids, size_t n,
    const char *head, size_t headlen, const char *tail, struct hkp_reply *r);
enum pks_rc hkp_stream_hashquery(
    struct hkp_ctx *ctx, const int64_t *ids, size_t n, struct hkp_reply *r);
/* Up to max bytes of the answer into dst: their number, 0 at the end,
 * -1 on a database error (logged; the connection is then cut). */
long hkp_stream_read(struct hkp_stream *s, char *dst, size_t max);
void hkp_stream_free(struct hkp_stream *s);

/* The network map kept for /pks/trace, or NULL (turned off, or not
 * started yet).  Borrowed: lives as long as the server. */
struct network_watch;
struct network_watch *hkp_ctx_watch(const struct hkp_ctx *ctx);

/* The port the server is bound to. */
uint16_t hkp_ctx_port(const struct hkp_ctx *ctx);

/* Handlers. */
enum pks_rc hkp_lookup_get(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r);
enum pks_rc hkp_lookup_index(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r);
enum pks_rc hkp_stats(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r);

/*
 * A snapshot of the server (stats_snapshot_take with this thread's
 * connection and the bound HTTP port) for the pages that show one;
 * *out is the caller's (stats_snapshot_free).  Errors with a reason
 * set in ctx (hkp_fail).
 */
struct stats_snapshot;
enum pks_rc hkp_stats_take(struct hkp_ctx *ctx, struct stats_snapshot **out);
enum pks_rc hkp_add(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r);
enum pks_rc hkp_hashquery(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r);
/* GET /pks/trace?search=0xFINGERPRINT (hkp_trace.c). */
enum pks_rc hkp_trace(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r);

/*
 * Parse a stored key and build its index facts.  *key and *info are
 * owned by the caller (pgp_key_free, pgp_key_info_free).  A key that
 * does not parse is logged (it should not be in the store).
 */
enum pks_rc hkp_key_info(const struct store_key *k, int verbose,
    struct pgp_key **key, struct pgp_key_info **info);

/*
 * The HTML listing of keys: op=index from their stored listing facts
 * (pub line, user IDs), op=vindex from the keys as served (plus
 * subkeys, a line per signature with its issuer's name, looked up in
 * st).  Keys that do not parse are left out (and logged).
 */
enum pks_rc hkp_index_short(const struct hkp_query *q,
    const struct store_listing_rows *rows, struct buf *out);
enum pks_rc hkp_index_long(const struct hkp_query *q, struct store *st,
    const struct store_keys *keys, struct buf *out);

#endif
