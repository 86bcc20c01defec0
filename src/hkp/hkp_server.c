/*
 * hkp_server.c: the HKP front end on libmicrohttpd.
 *
 * MHD runs an internal polling thread per worker of a thread pool
 * (cfg->http_threads, or 2 x cores); keep-alive and HTTP/1.0 are MHD's.
 * A request is routed by the table below {method, path, op, handler}.
 * Per-request state (struct hkp_req: route, the capped POST body, the
 * decoded query arguments) lives in *req_cls and is freed only in the
 * MHD_OPTION_NOTIFY_COMPLETED callback.  Every response is created,
 * queued and destroyed in reply_queue().  A POST body over its cap gets
 * 413 without being kept: a Content-Length over the cap is refused
 * before the body is read, and a longer chunked body is read and
 * dropped.  Each worker thread opens its own store connection on first
 * use (thread-specific data); hkp_server_stop() closes them all.
 */
#include <config.h>

#include <netdb.h>
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

#include "hkp/hkp_hashquery.h"
#include "hkp/hkp_cache.h"
#include "hkp/hkp_int.h"
#include "hkp/hkp_server.h"
#include "util/log.h"
#include "util/xalloc.h"

#define HKP_CONN_LIMIT 1024u
#define HKP_CONN_TIMEOUT 60u
#define HKP_MAX_THREADS 64

struct hkp_server {
	const struct pks_config *cfg;
	struct ingest_sync_src sync; /* get NULL: no mail sync */
	struct MHD_Daemon *daemon;
	uint16_t port;
	size_t max_post;
	size_t max_matches;
	atomic_int starting;     /* MHD messages are warnings */
	struct hkp_cache *cache; /* armored keys for op=get, or NULL */
	pthread_key_t tls;       /* this thread's struct store */
	pthread_mutex_t lock;    /* guards stores */
	struct store **stores;
	size_t nstores;
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
};

#define NROUTES (sizeof(routes) / sizeof(routes[0]))

/* Per-request state, in *req_cls. */
struct hkp_req {
	const struct route *route; /* first row for path and method */
	struct buf body;
	int toobig; /* body passed its cap: dropped */
	struct hkp_form args;
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
	struct hkp_server *srv = ctx->srv;
	struct store *st;
	enum pks_rc rc;

	st = pthread_getspecific(srv->tls);
	if (st == NULL) {
		rc = store_open(
		    srv->cfg->dbfile, 0, srv->cfg->busy_timeout_ms, &st);
		if (rc != PKS_OK) {
			log_warnx("hkp: cannot open %s: %s", srv->cfg->dbfile,
			    pks_rc_str(rc));
			return hkp_fail(ctx, rc, "cannot open the database");
		}
		if (pthread_setspecific(srv->tls, st) != 0) {
			store_close(st);
			return hkp_fail(ctx, PKS_ERR_NOMEM, "out of memory");
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
	r->body.max = HKP_MAX_REPLY;
	r->status = pks_rc_http(rc);
	r->type = "text/plain; charset=utf-8";
	r->have_count = 0;
	if (buf_printf(&r->body, "%s\n", why != NULL ? why : pks_rc_str(rc)) !=
	    PKS_OK)
		buf_reset(&r->body);
}

static enum MHD_Result
reply_queue(struct MHD_Connection *conn, const char *method, const char *url,
    struct hkp_reply *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	uint8_t *data;
	size_t len;
	char num[32];

	data = buf_steal(&r->body, &len);
	resp =
	    MHD_create_response_from_buffer_with_free_callback(len, data, free);
	if (resp == NULL) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->type);
	MHD_add_response_header(
	    resp, MHD_HTTP_HEADER_SERVER, "pksync/" PACKAGE_VERSION);
	if (r->cors)
		MHD_add_response_header(
		    resp, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, "*");
	if (r->have_count) {
		snprintf(num, sizeof(num), "%zu", r->count);
		MHD_add_response_header(resp, "X-HKP-Results-Count", num);
	}
	if (r->status == 503) {
		snprintf(num, sizeof(num), "%d", HKP_RETRY_AFTER);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, num);
	}
	if (r->status == 405)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		    strcmp(url, "/pks/lookup") == 0 ? "GET, HEAD" : "POST");
	/* 501 (an op we do not have) is the client's doing, not ours */
	if (r->status >= 500 && r->status != 501)
		log_warnx("hkp: %s %s: %d %.*s", method, url, r->status,
		    (int)(len > 200 ? 200 : len), (const char *)data);
	else
		log_debug(
		    "hkp: %s %s: %d bytes=%zu", method, url, r->status, len);
	ret = MHD_queue_response(conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Answer with a one-line error (routing and size errors). */
static enum MHD_Result
queue_error(struct MHD_Connection *conn, const char *method, const char *url,
    int status, const char *why)
{
	struct hkp_reply r;
	enum MHD_Result ret;

	reply_init(&r);
	reply_error(&r, PKS_ERR_PARSE, why);
	r.status = status;
	ret = reply_queue(conn, method, url, &r);
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

static enum pks_rc
run_route(struct hkp_ctx *ctx, const struct route *rt, struct hkp_reply *r)
{
	struct hkp_query q;
	struct pks_err err = { 0, NULL };
	enum pks_rc rc;

	if (rt->op < 0)
		return rt->handle(ctx, NULL, r);
	r->cors = 1;
	rc = hkp_query_parse(ctx->args, &q, &err);
	if (rc != PKS_OK)
		return hkp_fail(ctx, rc, err.why);
	rt = route_for_op(rt, q.op);
	if (rt == NULL)
		return hkp_fail(ctx, PKS_ERR_UNSUPPORTED, "op not implemented");
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
	reply_init(&r);
	rc = run_route(&ctx, req->route, &r);
	if (rc != PKS_OK)
		reply_error(&r, rc, ctx.why);
	ret = reply_queue(conn, method, url, &r);
	buf_free(&r.body);
	return ret;
}

/* The cap of a route's body, and a Content-Length check against it. */
static enum MHD_Result
begin_request(struct hkp_server *srv, struct MHD_Connection *conn,
    const char *method, const char *url, struct hkp_req *req)
{
	const char *cl;
	unsigned long long n;
	char *end;
	size_t max = 0;
	int status;

	req->route = route_find(url, method, &status);
	if (req->route == NULL)
		return queue_error(conn, method, url, status,
		    status == 404 ? "not found" : "method not allowed");
	if (req->route->body == BODY_ADD)
		max = srv->max_post;
	else if (req->route->body == BODY_HASHQUERY)
		max = HKP_HASHQUERY_MAX_BODY;
	buf_init(&req->body, max);
	if (req->route->body == BODY_NONE)
		return MHD_YES; /* a body of a GET is read and ignored */
	cl = MHD_lookup_connection_value(
	    conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl != NULL) {
		n = strtoull(cl, &end, 10);
		if (end != cl && n > max)
			return queue_error(
			    conn, method, url, 413, "request body too large");
	}
	return MHD_YES;
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
		hkp_form_init(&req->args);
		*req_cls = req;
		return begin_request(srv, conn, method, url, req);
	}
	if (req->route == NULL) /* answered already; not reached */
		return MHD_NO;
	if (*upload_size > 0) {
		if (!req->toobig && req->route->body != BODY_NONE &&
		    buf_add(&req->body, upload, *upload_size) != PKS_OK) {
			req->toobig = 1;
			buf_free(&req->body);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (req->toobig)
		return queue_error(
		    conn, method, url, 413, "request body too large");
	return dispatch(srv, conn, req, method, url);
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct hkp_req *req = *req_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (req == NULL)
		return;
	buf_free(&req->body);
	hkp_form_free(&req->args);
	free(req);
	*req_cls = NULL;
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
	return MHD_start_daemon(flags, srv->cfg->http_port, NULL, NULL,
	    on_request, srv, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv,
	    MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)ss,
	    MHD_OPTION_THREAD_POOL_SIZE, pool_size(srv->cfg),
	    MHD_OPTION_CONNECTION_LIMIT, HKP_CONN_LIMIT,
	    MHD_OPTION_CONNECTION_TIMEOUT, HKP_CONN_TIMEOUT,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv, MHD_OPTION_END);
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
	*out = srv;
	return PKS_OK;
}

void
hkp_server_stop(struct hkp_server *srv)
{
	size_t i;

	if (srv == NULL)
		return;
	if (srv->daemon != NULL)
		MHD_stop_daemon(srv->daemon);
	for (i = 0; i < srv->nstores; i++)
		store_close(srv->stores[i]);
	free(srv->stores);
	hkp_cache_free(srv->cache);
	pthread_key_delete(srv->tls);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
