/*
 * hkp_server.c: the HKP front end on libmicrohttpd.
 *
 * MHD runs an internal polling thread per worker of a thread pool
 * (cfg->http_threads, or 2 x cores); keep-alive and HTTP/1.0 are MHD's.
 * A request is routed by the table below {method, path, op, handler}.
 * Per-request state (struct hkp_req: route, the capped POST body, the
 * decoded query arguments) lives in *req_cls and is freed only in the
 * MHD_OPTION_NOTIFY_COMPLETED callback.  Every response is created,
 * queued and destroyed in reply_queue(), with the handler's
 * Cache-Control (else no-cache), nosniff, and for HTML a
 * Content-Security-Policy that allows no scripts.  A POST body over its
 * cap gets 413 without being kept: a Content-Length over the cap is refused
 * before the body is read, and a longer chunked body is read and
 * dropped.  Each worker thread opens its own store connection on first
 * use (thread-specific data); hkp_server_stop() closes them all.
 *
 * What one client may cost is the guard's (hkp_guard.h): MHD's accept
 * policy asks it whether the address has connections left, MHD's
 * connection notifications tell it when a connection opens and closes,
 * and the request callbacks tell it when a header and a body are
 * complete (its thread closes connections that are late).  A body is
 * refused with 503 and Retry-After when the server-wide body budget
 * cannot hold it (a Content-Length is reserved whole before the body
 * is read; a chunked body as it comes), and /pks/add and word or
 * e-mail searches with 429 and Retry-After when the client's address
 * is out of tokens.  The client address is the peer's, or, when the
 * peer is a trusted proxy, the last address of X-Forwarded-For that is
 * not itself a trusted proxy.  Idle connections are MHD's: each worker
 * thread polls its connections, so idle ones hold no thread.  Every
 * answered request is counted for GET /metrics (hkp_metrics.h) when it
 * completes: its op, status and time from its first callback.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <microhttpd.h>

#include "hkp/hkp_cache.h"
#include "hkp/hkp_rcache.h"
#include "hkp/hkp_guard.h"
#include "hkp/hkp_hashquery.h"
#include "hkp/hkp_int.h"
#include "hkp/hkp_metrics.h"
#include "hkp/hkp_pages.h"
#include "hkp/hkp_server.h"
#include "util/clock.h"
#include "network/network_watch.h"
#include "util/log.h"
#include "util/xalloc.h"

#define HKP_MAX_THREADS 64
/* For a configuration not read by config.c (zeros): its defaults. */
#define HKP_CONN_LIMIT_DEFAULT 1024u
#define HKP_BODY_BUDGET_DEFAULT (64u * 1024 * 1024)
#define HKP_REPLY_BUDGET_DEFAULT (128u * 1024 * 1024)
/* Bytes a streamed answer hands MHD at a time. */
#define STREAM_BLOCK (64u * 1024)
/* What an HTML page may load: only this server's stylesheet and
 * images; forms post only here; no scripts; no framing. */
#define HTML_CSP                                                               \
	"default-src 'none'; style-src 'self'; img-src 'self'; "               \
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
/* A chunked body reserves its budget in steps of this many bytes. */
#define BODY_STEP (256u * 1024)

struct hkp_server {
	const struct pks_config *cfg;
	struct ingest_sync_src sync; /* get NULL: no mail sync */
	struct MHD_Daemon *daemon;
	uint16_t port;
	size_t max_post;
	size_t max_matches;
	atomic_int starting;       /* MHD messages are warnings */
	struct hkp_cache *cache;   /* armored keys for op=get, or NULL */
	struct hkp_rcache *rcache; /* mr op=index answers, or NULL */
	struct hkp_guard *guard;   /* per-address limits, deadlines, budget */
	pthread_key_t tls;         /* this thread's struct store */
	pthread_mutex_t lock;      /* guards stores */
	struct store **stores;
	size_t nstores;
	/* request counts and the allow list of /metrics */
	struct hkp_metrics *metrics;
	/* /pks/trace: the network map from our own URL (under lock) */
	struct network_watch *watch;
	struct network_opts nopts;
	char *self_url;
};

enum body_kind { BODY_NONE, BODY_ADD, BODY_HASHQUERY };

struct route {
	const char *method;
	const char *path;
	int op; /* enum hkp_op, -1: no op argument */
	enum body_kind body;
	hkp_handler handle;
};

static const struct route routes[] = {
	{ "GET", "/pks/lookup", HKP_OP_GET, BODY_NONE, hkp_lookup_get },
	{ "GET", "/pks/lookup", HKP_OP_HGET, BODY_NONE, hkp_lookup_get },
	{ "GET", "/pks/lookup", HKP_OP_INDEX, BODY_NONE, hkp_lookup_index },
	{ "GET", "/pks/lookup", HKP_OP_VINDEX, BODY_NONE, hkp_lookup_index },
	{ "GET", "/pks/lookup", HKP_OP_STATS, BODY_NONE, hkp_stats },
	{ "POST", "/pks/add", -1, BODY_ADD, hkp_add },
	{ "POST", "/pks/hashquery", -1, BODY_HASHQUERY, hkp_hashquery },
	{ "GET", "/", -1, BODY_NONE, hkp_page_front },
	{ "GET", HKP_SYNC_PATH, -1, BODY_NONE, hkp_page_sync },
	{ "GET", HKP_STYLE_PATH, -1, BODY_NONE, hkp_page_style },
	{ "GET", "/metrics", -1, BODY_NONE, hkp_metrics_page },
	{ "GET", "/pks/trace", -1, BODY_NONE, hkp_trace },
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Per-request state, in *req_cls. */
struct hkp_req {
	struct hkp_server *srv;
	const struct route *route; /* first row for path and method */
	struct buf body;
	int toobig;      /* body passed its cap: dropped */
	int overbudget;  /* the body budget could not hold it: dropped */
	size_t reserved; /* bytes of the body budget held */
	size_t held;     /* bytes of the reply budget held by the answer */
	struct hkp_form args;
	struct hkp_conn *conn;            /* the guard's record, or NULL */
	struct hkp_addr client;           /* for the rate limits */
	char client_ip[INET6_ADDRSTRLEN]; /* for logs */
	/* for /metrics: the first callback's time (clock_us), the op
	 * label, the status answered (0: none yet) */
	int64_t t0_us;
	enum hkp_mop mop;
	int status;
};

enum pks_rc
hkp_fail(struct hkp_ctx *ctx, enum pks_rc rc, const char *why)
{
	if (why != NULL)
		ctx->why = why;
	return rc;
}

struct hkp_cache *
hkp_ctx_cache(const struct hkp_ctx *ctx)
{
	return ctx->srv->cache;
}

struct hkp_metrics *
hkp_ctx_metrics(const struct hkp_ctx *ctx)
{
	return ctx->srv->metrics;
}

struct hkp_rcache *
hkp_ctx_rcache(const struct hkp_ctx *ctx)
{
	return ctx->srv->rcache;
}

struct hkp_cache *
hkp_server_cache(const struct hkp_server *srv)
{
	return srv->cache;
}

struct hkp_guard *
hkp_server_guard(const struct hkp_server *srv)
{
	return srv->guard;
}

uint16_t
hkp_ctx_port(const struct hkp_ctx *ctx)
{
	return ctx->srv->port;
}

uint16_t
hkp_server_port(const struct hkp_server *srv)
{
	return srv->port;
}

enum pks_rc
hkp_ctx_store(struct hkp_ctx *ctx, struct store **out)
{
	enum pks_rc rc = hkp_server_store(ctx->srv, out);

	if (rc == PKS_ERR_NOMEM)
		return hkp_fail(ctx, rc, "out of memory");
	if (rc != PKS_OK)
		return hkp_fail(ctx, rc, "cannot open the database");
	return PKS_OK;
}

enum pks_rc
hkp_server_store(struct hkp_server *srv, struct store **out)
{
	struct store *st;
	enum pks_rc rc;

	st = pthread_getspecific(srv->tls);
	if (st == NULL) {
		rc = store_open(
		    srv->cfg->dbfile, 0, srv->cfg->busy_timeout_ms, &st);
		if (rc != PKS_OK) {
			log_warnx("hkp: cannot open %s: %s", srv->cfg->dbfile,
			    pks_rc_str(rc));
			return rc;
		}
		if (store_tune_reader(st, srv->cfg->db_mmap) != PKS_OK)
			log_warnx("hkp: cannot map %s: %s", srv->cfg->dbfile,
			    store_errmsg(st));
		if (pthread_setspecific(srv->tls, st) != 0) {
			store_close(st);
			return PKS_ERR_NOMEM;
		}
		pthread_mutex_lock(&srv->lock);
		srv->stores = xreallocarray(
		    srv->stores, srv->nstores + 1, sizeof(*srv->stores));
		srv->stores[srv->nstores++] = st;
		pthread_mutex_unlock(&srv->lock);
	}
	*out = st;
	return PKS_OK;
}

static void
reply_init(struct hkp_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->status = 200;
	r->type = "text/html; charset=utf-8";
	buf_init(&r->body, HKP_MAX_REPLY);
}

/* Turn r into the one-line text/plain error for rc. */
static void
reply_error(struct hkp_reply *r, enum pks_rc rc, const char *why)
{
	buf_reset(&r->body);
	hkp_stream_free(r->stream);
	r->stream = NULL;
	hkp_cache_unref(r->armor);
	r->armor = NULL;
	r->body.max = HKP_MAX_REPLY;
	r->status = pks_rc_http(rc);
	r->type = "text/plain; charset=utf-8";
	r->cache = NULL;
	r->have_count = 0;
	if (buf_printf(&r->body, "%s\n", why != NULL ? why : pks_rc_str(rc)) !=
	    PKS_OK)
		buf_reset(&r->body);
}

static ssize_t
stream_cb(void *cls, uint64_t pos, char *buf, size_t max)
{
	long n = hkp_stream_read(cls, buf, max);

	(void)pos;
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	return (ssize_t)n;
}

static void
stream_free_cb(void *cls)
{
	hkp_stream_free(cls);
}

static void
armor_free_cb(void *cls)
{
	hkp_cache_unref(cls);
}

/* The MHD response for r: its body, its cached armor or its stream
 * (then *data is NULL); NULL if MHD has no memory for it. */
static struct MHD_Response *
make_response(struct hkp_reply *r, uint8_t **data, size_t *len)
{
	struct MHD_Response *resp;

	if (r->armor != NULL) {
		*data = NULL;
		*len = r->armor_len;
		resp = MHD_create_response_from_buffer_with_free_callback_cls(
		    r->armor_len, (void *)(uintptr_t)r->armor_data,
		    armor_free_cb, r->armor);
		if (resp == NULL)
			hkp_cache_unref(r->armor);
		r->armor = NULL;
		return resp;
	}
	*data = buf_steal(&r->body, len);
	if (r->stream != NULL) {
		free(*data);
		*data = NULL;
		*len = 0;
		resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
		    STREAM_BLOCK, stream_cb, r->stream, stream_free_cb);
		if (resp == NULL)
			hkp_stream_free(r->stream);
		r->stream = NULL;
		return resp;
	}
	resp = MHD_create_response_from_buffer_with_free_callback(
	    *len, *data, free);
	if (resp == NULL)
		free(*data);
	return resp;
}

/* Whether url is a GET route (else a POST one). */
static int
route_gets(const char *url)
{
	size_t i;

	for (i = 0; i < NROUTES; i++)
		if (strcmp(routes[i].path, url) == 0 &&
		    strcmp(routes[i].method, "GET") == 0)
			return 1;
	return 0;
}

static void
add_headers(
    struct MHD_Response *resp, const struct hkp_reply *r, const char *url)
{
	char num[32];

	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    r->cache != NULL ? r->cache : "no-cache");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (strncmp(r->type, "text/html", 9) == 0)
		MHD_add_response_header(
		    resp, MHD_HTTP_HEADER_CONTENT_SECURITY_POLICY, HTML_CSP);
	MHD_add_response_header(
	    resp, MHD_HTTP_HEADER_SERVER, "pksync/" PACKAGE_VERSION);
	if (r->cors)
		MHD_add_response_header(
		    resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, "*");
	if (r->have_count) {
		snprintf(num, sizeof(num), "%zu", r->count);
		MHD_add_response_header(resp, "X-HKP-Results-Count", num);
	}
	if (r->status == 503 || r->status == 429) {
		snprintf(num, sizeof(num), "%d",
		    r->retry_after > 0 ? r->retry_after : HKP_RETRY_AFTER);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, num);
	}
	if (r->status == 405)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		    route_gets(url) ? "GET, HEAD" : "POST");
}

/* Hold a buffered answer's bytes in the reply budget until the request
 * ends (on_completed); an answer the budget cannot hold becomes a 503
 * (or a 413 when it never could).  Small answers cost nothing. */
static void
reply_hold(struct hkp_server *srv, struct hkp_req *req, struct hkp_reply *r)
{
	size_t len = r->armor != NULL ? r->armor_len : r->body.len;
	enum pks_rc rc;

	if (r->stream != NULL || len <= HKP_REPLY_FREE)
		return;
	rc = hkp_guard_reply_take(srv->guard, &req->client, len);
	if (rc == PKS_OK) {
		req->held = len;
		return;
	}
	log_info("hkp: answer of %zu bytes refused: reply budget %s "
		 "client=%s",
	    len, rc == PKS_ERR_FULL ? "in use" : "too small",
	    req->client_ip[0] != '\0' ? req->client_ip : "-");
	buf_reset(&r->body);
	reply_error(r, rc == PKS_ERR_FULL ? PKS_ERR_BUSY : PKS_ERR_TOOBIG,
	    rc == PKS_ERR_FULL ? "server busy; try again later"
			       : "the answer is too large for this server");
	r->status = rc == PKS_ERR_FULL ? 503 : 413;
}

static enum MHD_Result
reply_queue(struct MHD_Connection *conn, struct hkp_req *req,
    const char *method, const char *url, struct hkp_reply *r)
{
	const char *ip = req->client_ip[0] != '\0' ? req->client_ip : "-";
	struct MHD_Response *resp;
	enum MHD_Result ret;
	uint8_t *data;
	size_t len;

	if (r->status < 400)
		reply_hold(req->srv, req, r);
	if ((resp = make_response(r, &data, &len)) == NULL)
		return MHD_NO;
	add_headers(resp, r, url);
	/* 501 (an op we do not have) is the client's doing, not ours */
	if (r->status >= 500 && r->status != 501)
		log_warnx("hkp: %s %s: %d %.*s client=%s", method, url,
		    r->status, (int)(len > 200 ? 200 : len),
		    data != NULL ? (const char *)data : "", ip);
	else
		log_debug("hkp: %s %s: %d bytes=%zu client=%s", method, url,
		    r->status, len, ip);
	ret = MHD_queue_response(conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	if (ret == MHD_YES)
		req->status = r->status;
	return ret;
}

/* Answer with a one-line error (routing and size errors). */
static enum MHD_Result
queue_error(struct MHD_Connection *conn, struct hkp_req *req,
    const char *method, const char *url, int status, const char *why)
{
	struct hkp_reply r;
	enum MHD_Result ret;

	reply_init(&r);
	reply_error(&r, PKS_ERR_PARSE, why);
	r.status = status;
	ret = reply_queue(conn, req, method, url, &r);
	buf_free(&r.body);
	return ret;
}

/* First row for url and method; *status 404 or 405 if none. */
static const struct route *
route_find(const char *url, const char *method, int *status)
{
	size_t i;

	*status = 404;
	if (strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
		method = MHD_HTTP_METHOD_GET;
	for (i = 0; i < NROUTES; i++) {
		if (strcmp(routes[i].path, url) != 0)
			continue;
		*status = 405;
		if (strcmp(routes[i].method, method) == 0) {
			*status = 0;
			return &routes[i];
		}
	}
	return NULL;
}

/* The row of the same path for a lookup op, or NULL. */
static const struct route *
route_for_op(const struct route *rt, enum hkp_op op)
{
	size_t i;

	for (i = 0; i < NROUTES; i++)
		if (strcmp(routes[i].path, rt->path) == 0 &&
		    strcmp(routes[i].method, rt->method) == 0 &&
		    routes[i].op == (int)op)
			return &routes[i];
	return NULL;
}

static enum MHD_Result
collect_arg(void *cls, enum MHD_ValueKind kind, const char *key, size_t keylen,
    const char *value, size_t vlen)
{
	struct hkp_form *f = cls;

	(void)kind;
	if (value == NULL)
		vlen = 0;
	if (hkp_form_add(f, key, keylen, value != NULL ? value : "", vlen) !=
	    PKS_OK)
		return MHD_NO;
	return MHD_YES;
}

/* Word and e-mail searches cost a token; key IDs and hashes do not. */
static int
is_search(const struct hkp_query *q)
{
	return q->search.kind == STORE_QUERY_WORDS ||
	       q->search.kind == STORE_QUERY_EMAIL;
}

static enum pks_rc
run_route(struct hkp_ctx *ctx, struct hkp_req *req, struct hkp_reply *r)
{
	const struct route *rt = req->route;
	struct hkp_query q;
	struct pks_err err = { 0, NULL };
	enum pks_rc rc;
	int retry;

	if (rt->op < 0)
		return rt->handle(ctx, NULL, r);
	r->cors = 1;
	rc = hkp_query_parse(ctx->args, &q, &err);
	if (rc != PKS_OK)
		return hkp_fail(ctx, rc, err.why);
	req->mop = hkp_metrics_lookup_op(q.op);
	rt = route_for_op(rt, q.op);
	if (rt == NULL)
		return hkp_fail(ctx, PKS_ERR_UNSUPPORTED, "op not implemented");
	if (is_search(&q) && hkp_guard_rate(ctx->srv->guard, &req->client,
				 HKP_RATE_SEARCH, &retry) != PKS_OK) {
		r->retry_after = retry;
		return hkp_fail(ctx, PKS_ERR_REFUSED,
		    "too many searches from your address; try again later");
	}
	return rt->handle(ctx, &q, r);
}

static enum MHD_Result
dispatch(struct hkp_server *srv, struct MHD_Connection *conn,
    struct hkp_req *req, const char *method, const char *url)
{
	static const uint8_t empty[1];
	struct hkp_ctx ctx;
	struct hkp_reply r;
	enum MHD_Result ret;
	enum pks_rc rc;

	hkp_guard_phase(srv->guard, req->conn, HKP_PH_REPLY);
	MHD_get_connection_values_n(
	    conn, MHD_GET_ARGUMENT_KIND, collect_arg, &req->args);
	memset(&ctx, 0, sizeof(ctx));
	ctx.srv = srv;
	ctx.cfg = srv->cfg;
	ctx.sync = srv->sync.get != NULL ? &srv->sync : NULL;
	ctx.args = &req->args;
	ctx.body = req->body.data != NULL ? req->body.data : empty;
	ctx.bodylen = req->body.len;
	ctx.max_matches = srv->max_matches;
	ctx.client = &req->client;
	ctx.client_ip = req->client_ip;
	reply_init(&r);
	rc = run_route(&ctx, req, &r);
	if (rc != PKS_OK) {
		reply_error(&r, rc, ctx.why);
		if (r.retry_after > 0)
			r.status = 429;
	}
	ret = reply_queue(conn, req, method, url, &r);
	buf_free(&r.body);
	return ret;
}

/* The rightmost X-Forwarded-For address that is not a trusted proxy;
 * PKS_ERR_NOTFOUND when there is none that parses. */
static enum pks_rc
forwarded_for(struct hkp_server *srv, const char *xff, struct hkp_req *req)
{
	struct sockaddr_storage ss;
	struct hkp_addr a;
	char ip[INET6_ADDRSTRLEN];
	size_t end = strlen(xff), start;

	while (end > 0) {
		start = end;
		while (start > 0 && xff[start - 1] != ',')
			start--;
		if (hkp_addr_parse(
			xff + start, end - start, &a, ip, sizeof(ip)) != PKS_OK)
			return PKS_ERR_NOTFOUND;
		memset(&ss, 0, sizeof(ss));
		ss.ss_family = AF_INET6;
		memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr, a.b, 16);
		if (!hkp_guard_trusted(srv->guard, (struct sockaddr *)&ss)) {
			hkp_addr_from((struct sockaddr *)&ss, &req->client);
			memcpy(req->client_ip, ip, sizeof(ip));
			return PKS_OK;
		}
		end = start > 0 ? start - 1 : 0;
	}
	return PKS_ERR_NOTFOUND;
}

/* The client's address for limits and logs. */
static void
client_of(
    struct hkp_server *srv, struct MHD_Connection *conn, struct hkp_req *req)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	const char *xff;
	const void *ip;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return;
	sa = ci->client_addr;
	if (hkp_guard_trusted(srv->guard, sa)) {
		xff = MHD_lookup_connection_value(
		    conn, MHD_HEADER_KIND, "X-Forwarded-For");
		if (xff != NULL && forwarded_for(srv, xff, req) == PKS_OK)
			return;
	}
	hkp_addr_from(sa, &req->client);
	ip =
	    sa->sa_family == AF_INET
		? (const void *)&((const struct sockaddr_in *)(const void *)sa)
		      ->sin_addr
		: (const void *)&((const struct sockaddr_in6 *)(const void *)sa)
		      ->sin6_addr;
	if (inet_ntop(sa->sa_family, ip, req->client_ip,
		sizeof(req->client_ip)) == NULL)
		snprintf(req->client_ip, sizeof(req->client_ip), "?");
}

/* Reserve the announced body in the budget; 413, 503 or go on. */
static enum MHD_Result
admit_body(struct hkp_server *srv, struct MHD_Connection *conn,
    struct hkp_req *req, const char *method, const char *url)
{
	const char *cl;
	unsigned long long n;
	char *end;

	cl = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl == NULL)
		return MHD_YES; /* chunked: reserved as it comes */
	n = strtoull(cl, &end, 10);
	if (end == cl)
		return MHD_YES;
	if (n > req->body.max)
		return queue_error(
		    conn, req, method, url, 413, "request body too large");
	if (hkp_guard_reserve(srv->guard, (size_t)n) != PKS_OK) {
		hkp_guard_count_budget(srv->guard);
		return queue_error(conn, req, method, url, 503,
		    "server busy; try again later");
	}
	req->reserved = (size_t)n;
	return MHD_YES;
}

/* The cap of a route's body, the rate limit of /pks/add and the budget
 * of the announced body. */
static enum MHD_Result
begin_request(struct hkp_server *srv, struct MHD_Connection *conn,
    const char *method, const char *url, struct hkp_req *req)
{
	struct hkp_reply r;
	enum MHD_Result ret;
	size_t max = 0;
	int status, retry;

	client_of(srv, conn, req);
	req->route = route_find(url, method, &status);
	req->mop =
	    hkp_metrics_path_op(req->route != NULL ? req->route->path : NULL);
	if (req->route == NULL)
		return queue_error(conn, req, method, url, status,
		    status == 404 ? "not found" : "method not allowed");
	if (req->route->body == BODY_ADD)
		max = srv->max_post;
	else if (req->route->body == BODY_HASHQUERY)
		max = HKP_HASHQUERY_MAX_BODY;
	buf_init(&req->body, max);
	if (req->route->body == BODY_NONE)
		return MHD_YES; /* a body of a GET is read and ignored */
	hkp_guard_phase(srv->guard, req->conn, HKP_PH_BODY);
	if (req->route->body == BODY_ADD &&
	    hkp_guard_rate(srv->guard, &req->client, HKP_RATE_ADD, &retry) !=
		PKS_OK) {
		reply_init(&r);
		reply_error(&r, PKS_ERR_REFUSED,
		    "too many uploads from your address; try again later");
		r.status = 429;
		r.retry_after = retry;
		ret = reply_queue(conn, req, method, url, &r);
		buf_free(&r.body);
		return ret;
	}
	return admit_body(srv, conn, req, method, url);
}

/* Keep an uploaded piece, within the route's cap and the budget. */
static void
take_upload(
    struct hkp_server *srv, struct hkp_req *req, const char *upload, size_t n)
{
	size_t step;

	if (req->toobig || req->overbudget || req->route->body == BODY_NONE)
		return;
	if (req->body.len + n > req->reserved) {
		step = req->body.len + n - req->reserved;
		step = step < BODY_STEP ? BODY_STEP : step;
		if (hkp_guard_reserve(srv->guard, step) != PKS_OK) {
			hkp_guard_count_budget(srv->guard);
			req->overbudget = 1;
			buf_free(&req->body);
			return;
		}
		req->reserved += step;
	}
	if (buf_add(&req->body, upload, n) != PKS_OK) {
		req->toobig = 1;
		buf_free(&req->body);
	}
}

static struct hkp_conn *
conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **req_cls)
{
	struct hkp_server *srv = cls;
	struct hkp_req *req = *req_cls;

	(void)version;
	if (req == NULL) {
		req = xcalloc(1, sizeof(*req));
		req->srv = srv;
		req->t0_us = clock_us();
		hkp_form_init(&req->args);
		req->conn = conn_of(conn);
		*req_cls = req;
		return begin_request(srv, conn, method, url, req);
	}
	if (req->route == NULL) /* answered already; not reached */
		return MHD_NO;
	if (*upload_size > 0) {
		take_upload(srv, req, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->toobig)
		return queue_error(
		    conn, req, method, url, 413, "request body too large");
	if (req->overbudget)
		return queue_error(conn, req, method, url, 503,
		    "server busy; try again later");
	return dispatch(srv, conn, req, method, url);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct hkp_server *srv = cls;
	struct hkp_req *req = *req_cls;

	(void)conn;
	(void)toe;
	if (req == NULL)
		return;
	if (req->status != 0)
		hkp_metrics_observe(srv->metrics, req->mop, req->status,
		    clock_us() - req->t0_us);
	/* a kept-alive connection waits for its next header */
	hkp_guard_phase(srv->guard, req->conn, HKP_PH_HEADER);
	hkp_guard_release(srv->guard, req->reserved);
	hkp_guard_reply_give(srv->guard, &req->client, req->held);
	buf_free(&req->body);
	hkp_form_free(&req->args);
	free(req);
	*req_cls = NULL;
}

static enum MHD_Result
on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	struct hkp_server *srv = cls;

	(void)addrlen;
	if (hkp_guard_admit(srv->guard, addr))
		return MHD_YES;
	log_debug("hkp: connection refused: too many from one address");
	return MHD_NO;
}

static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
    enum MHD_ConnectionNotificationCode toe)
{
	struct hkp_server *srv = cls;
	const union MHD_ConnectionInfo *a, *f;

	if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		hkp_guard_close(srv->guard, *socket_context);
		*socket_context = NULL;
		return;
	}
	a = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	f = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (f == NULL) {
		*socket_context = NULL;
		return;
	}
	*socket_context = hkp_guard_open(
	    srv->guard, a != NULL ? a->client_addr : NULL, f->connect_fd);
}

static void __attribute__((format(printf, 2, 0)))
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	const struct hkp_server *srv = cls;
	char msg[512];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	if (srv->starting)
		log_warnx("hkp: %s", msg);
	else
		log_debug("hkp: mhd: %s", msg);
}

/* Resolve the listen address (the first of getaddrinfo's answers). */
static enum pks_rc
resolve(const char *host, uint16_t port, struct sockaddr_storage *ss, int *ipv6)
{
	struct addrinfo hints, *res = NULL;
	char portstr[8];
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	e = getaddrinfo(host, portstr, &hints, &res);
	if (e != 0 || res == NULL) {
		log_warnx("hkp: cannot resolve %s: %s", host, gai_strerror(e));
		return PKS_ERR_CONFIG;
	}
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*ipv6 = res->ai_family == AF_INET6;
	freeaddrinfo(res);
	return PKS_OK;
}

static unsigned
pool_size(const struct pks_config *cfg)
{
	long n;

	if (cfg->http_threads > 0)
		return (unsigned)cfg->http_threads;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > HKP_MAX_THREADS / 2)
		n = HKP_MAX_THREADS / 2;
	return (unsigned)(2 * n);
}

static struct MHD_Daemon *
daemon_start(
    struct hkp_server *srv, const struct sockaddr_storage *ss, int ipv6)
{
	unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;

	if (ipv6)
		flags |= MHD_USE_IPv6;
	return MHD_start_daemon(flags, srv->cfg->http_port, on_accept, srv,
	    on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
	    MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)ss,
	    MHD_OPTION_THREAD_POOL_SIZE, pool_size(srv->cfg),
	    MHD_OPTION_CONNECTION_LIMIT,
	    srv->cfg->max_connections > 0 ? (unsigned)srv->cfg->max_connections
					  : HKP_CONN_LIMIT_DEFAULT,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)srv->cfg->idle_timeout,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
	    MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv, MHD_OPTION_END);
}

static enum pks_rc
guard_start(const struct pks_config *cfg, struct hkp_guard **out)
{
	struct hkp_guard_cfg gc;

	memset(&gc, 0, sizeof(gc));
	gc.per_addr_conns = (unsigned)cfg->max_conns_per_addr;
	gc.header_ms = cfg->header_timeout * 1000;
	gc.body_ms = cfg->body_timeout * 1000;
	gc.body_budget =
	    cfg->body_budget > 0 ? cfg->body_budget : HKP_BODY_BUDGET_DEFAULT;
	gc.reply_budget = cfg->reply_budget > 0 ? cfg->reply_budget
						: HKP_REPLY_BUDGET_DEFAULT;
	gc.reply_per_addr =
	    cfg->reply_per_addr > 0 ? cfg->reply_per_addr : gc.reply_budget / 4;
	if (gc.reply_per_addr > gc.reply_budget)
		gc.reply_per_addr = gc.reply_budget;
	gc.add_per_min = (unsigned)cfg->add_per_minute;
	gc.search_per_min = (unsigned)cfg->search_per_minute;
	gc.trusted = cfg->trusted_proxies;
	if (hkp_guard_new(&gc, out) != PKS_OK) {
		log_warnx("hkp: trusted_proxies must list IP addresses");
		return PKS_ERR_CONFIG;
	}
	return PKS_OK;
}

/* The network map of /pks/trace, crawled from our own URL (its stats
 * page lists the configured peers).  A bad [network] section turns the
 * page off (logged). */
static void
watch_start(struct hkp_server *srv)
{
	const char *why = NULL;
	struct network_watch *w;

	if (network_opts_config(srv->cfg, &srv->nopts, &why) != PKS_OK) {
		log_warnx("hkp: /pks/trace is off: %s", why);
		return;
	}
	srv->self_url = network_self_url(srv->cfg, srv->port);
	w = network_watch_new(&srv->nopts, (const char *const *)&srv->self_url,
	    1, srv->cfg->net_min_interval, srv->cfg->net_trace_gap,
	    srv->cfg->net_max_keys);
	pthread_mutex_lock(&srv->lock);
	srv->watch = w;
	pthread_mutex_unlock(&srv->lock);
}

struct network_watch *
hkp_ctx_watch(const struct hkp_ctx *ctx)
{
	struct network_watch *w;

	pthread_mutex_lock(&ctx->srv->lock);
	w = ctx->srv->watch;
	pthread_mutex_unlock(&ctx->srv->lock);
	return w;
}

enum pks_rc
hkp_server_start(const struct pks_config *cfg,
    const struct ingest_sync_src *sync, struct hkp_server **out)
{
	struct hkp_server *srv;
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	const char *host =
	    cfg->http_host != NULL ? cfg->http_host : "127.0.0.1";
	int ipv6 = 0;
	enum pks_rc rc;

	*out = NULL;
	rc = resolve(host, cfg->http_port, &ss, &ipv6);
	if (rc != PKS_OK)
		return rc;
	srv = xcalloc(1, sizeof(*srv));
	srv->cfg = cfg;
	if (sync != NULL)
		srv->sync = *sync;
	srv->max_post = cfg->max_post ? cfg->max_post : PKS_MAX_POST_DEFAULT;
	srv->max_matches =
	    cfg->max_matches ? cfg->max_matches : PKS_MAX_MATCHES_DEFAULT;
	srv->cache = hkp_cache_new(cfg->armor_cache);
	srv->rcache = hkp_rcache_new(cfg->index_cache);
	if (hkp_metrics_new(cfg, &srv->metrics) != PKS_OK ||
	    guard_start(cfg, &srv->guard) != PKS_OK) {
		hkp_metrics_free(srv->metrics);
		hkp_cache_free(srv->cache);
		hkp_rcache_free(srv->rcache);
		free(srv);
		return PKS_ERR_CONFIG;
	}
	if (pthread_key_create(&srv->tls, NULL) != 0)
		fatalx("hkp: pthread_key_create");
	pthread_mutex_init(&srv->lock, NULL);
	srv->starting = 1;
	srv->daemon = daemon_start(srv, &ss, ipv6);
	srv->starting = 0;
	if (srv->daemon == NULL) {
		log_warnx("hkp: cannot listen on %s:%u", host,
		    (unsigned)cfg->http_port);
		hkp_server_stop(srv);
		return PKS_ERR_IO;
	}
	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info != NULL ? info->port : cfg->http_port;
	log_info(ipv6 ? "listening on [%s]:%u" : "listening on %s:%u", host,
	    (unsigned)srv->port);
	watch_start(srv);
	*out = srv;
	return PKS_OK;
}

void
hkp_server_stop(struct hkp_server *srv)
{
	struct hkp_guard_stats gs;
	size_t i;

	if (srv == NULL)
		return;
	if (srv->daemon != NULL)
		MHD_stop_daemon(srv->daemon);
	if (srv->guard != NULL) {
		hkp_guard_stats(srv->guard, &gs);
		log_info("hkp: refused: connections over the per-address limit "
			 "%zu, past a deadline %zu, over the body budget %zu, "
			 "over the reply budget %zu, rate limited %zu",
		    gs.refused_conns, gs.timed_out, gs.over_budget,
		    gs.over_reply, gs.rate_limited);
	}
	for (i = 0; i < srv->nstores; i++)
		store_close(srv->stores[i]);
	free(srv->stores);
	network_watch_free(srv->watch);
	network_opts_free(&srv->nopts);
	free(srv->self_url);
	hkp_cache_free(srv->cache);
	hkp_rcache_free(srv->rcache);
	hkp_guard_free(srv->guard);
	hkp_metrics_free(srv->metrics);
	pthread_key_delete(srv->tls);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
