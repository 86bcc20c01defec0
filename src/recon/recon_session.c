/*
 * recon_session.c: both roles of an SKS recon session over a socket.
 *
 * The socket layer (struct io) reads into a capped buffer with poll()
 * timeouts and writes only on io_flush(), so replies and requests are
 * buffered exactly where SKS buffers them.  The config exchange is
 * shared; then the initiator answers (answer_loop) and the responder
 * drives the tree walk (drive_loop).  Elements this side lacks collect
 * in a vector that is sorted and made unique at the end.
 */
#include <config.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "recon/recon_msg.h"
#include "recon/recon_session.h"
#include "util/clock.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/xalloc.h"

/* A node below this many elements is sent whole (SKS: 30 * mbar). */
#define SMALL_NODE (30 * PTREE_MBAR)
/* Requests in flight before the responder flushes (SKS: 100). */
#define MAX_OUTSTANDING 100
/* Bound on queued requests (a hostile peer can make many SyncFails). */
#define MAX_QUEUE (1u << 20)
#define READ_CHUNK 65536

struct zvec {
	struct zzp *v;
	size_t n, cap;
};

struct io {
	int fd;
	struct buf in;    /* read, not yet decoded */
	struct buf out;   /* written on io_flush */
	int64_t deadline; /* monotonic ms; 0: none */
	int timeout_ms;   /* per read */
	struct recon_result *res;
};

/* A responder queue entry: a request in flight or a flush marker. */
struct pending {
	struct ptree_prefix pfx;
	int full;  /* ReconRqst_Full (else Poly) */
	int flush; /* a flush marker */
};

struct sess {
	struct io io;
	const struct ptree_ops *tree;
	struct zvec lack;
	size_t max_lack;         /* bound on lack.n */
	size_t full_pending;     /* initiator: FullElements not yet answered */
	struct ptree_prefix *rq; /* responder: request queue */
	size_t rq_head, rq_n, rq_cap;
	struct pending *bq; /* responder: outstanding requests */
	size_t bq_head, bq_n, bq_cap;
};

static enum pks_rc fail(struct sess *s, enum pks_rc rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record the first failure reason; returns rc. */
static enum pks_rc
fail(struct sess *s, enum pks_rc rc, const char *fmt, ...)
{
	va_list ap;

	if (s->io.res->why[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(s->io.res->why, sizeof(s->io.res->why), fmt, ap);
		va_end(ap);
	}
	return rc;
}

static void
zvec_add(struct zvec *z, const struct zzp *e, size_t n)
{
	if (n == 0)
		return;
	if (z->n + n > z->cap) {
		z->cap = z->cap * 2 > z->n + n ? z->cap * 2 : z->n + n + 64;
		z->v = xreallocarray(z->v, z->cap, sizeof(*z->v));
	}
	memcpy(z->v + z->n, e, n * sizeof(*e));
	z->n += n;
}

/* lack += e[0..n), within the session's bound. */
static enum pks_rc
lack_add(struct sess *s, const struct zzp *e, size_t n)
{
	if (n > s->max_lack - s->lack.n)
		return fail(s, PKS_ERR_TOOBIG,
		    "peer sent element lists over the session limit of %zu "
		    "elements",
		    s->max_lack);
	zvec_add(&s->lack, e, n);
	return PKS_OK;
}

/* Sort and drop duplicates. */
static void
zvec_unique(struct zvec *z)
{
	size_t i, j = 0;

	if (z->n == 0)
		return;
	qsort(z->v, z->n, sizeof(*z->v), zzp_qsort_cmp);
	for (i = 1; i < z->n; i++)
		if (!zzp_eq(&z->v[i], &z->v[j]))
			z->v[++j] = z->v[i];
	z->n = j + 1;
}

/* out = a - b, both sorted ascending. */
static void
set_minus(const struct zzp *a, size_t na, const struct zzp *b, size_t nb,
    struct zvec *out)
{
	size_t i = 0, j = 0;
	int c;

	while (i < na) {
		c = j < nb ? zzp_cmp(&a[i], &b[j]) : -1;
		if (c < 0)
			zvec_add(out, &a[i++], 1);
		else if (c > 0)
			j++;
		else
			i++;
	}
}

/* ---- socket layer ---- */

/* Wait up to the per-read timeout (and the session deadline) for input
 * and read what is there.  wait_ms 0 polls once without blocking. */
static enum pks_rc
io_fill(struct sess *s, int wait_ms, int *got)
{
	struct io *io = &s->io;
	struct pollfd pfd = { io->fd, POLLIN, 0 };
	uint8_t *p;
	ssize_t r;
	int n;

	*got = 0;
	if (wait_ms > 0 && io->deadline != 0) {
		int64_t left = io->deadline - clock_ms();

		if (left <= 0)
			return fail(s, PKS_ERR_IO, "session timeout");
		if (left < wait_ms)
			wait_ms = (int)left;
	}
	do {
		n = poll(&pfd, 1, wait_ms);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return fail(s, PKS_ERR_IO, "poll: %s", strerror(errno));
	if (n == 0)
		return wait_ms == 0 ? PKS_OK
				    : fail(s, PKS_ERR_IO, "read timeout");
	if (buf_reserve(&io->in, READ_CHUNK, &p) != PKS_OK &&
	    buf_reserve(&io->in, 1, &p) != PKS_OK)
		return fail(s, PKS_ERR_TOOBIG, "input buffer full");
	do {
		r = read(io->fd, p,
		    io->in.cap - io->in.len < READ_CHUNK
			? io->in.cap - io->in.len
			: READ_CHUNK);
	} while (r == -1 && errno == EINTR);
	if (r == 0)
		return fail(s, PKS_ERR_IO, "connection closed by peer");
	if (r < 0)
		return fail(s, PKS_ERR_IO, "read: %s", strerror(errno));
	io->in.len += (size_t)r;
	io->res->bytes_in += (size_t)r;
	*got = 1;
	return PKS_OK;
}

static void
io_consume(struct io *io, size_t n)
{
	memmove(io->in.data, io->in.data + n, io->in.len - n);
	io->in.len -= n;
}

/*
 * Next message into *m.  wait: block (with timeouts) until one is
 * complete; otherwise return at once with *got = 0 when none is.
 */
static enum pks_rc
io_read(struct sess *s, struct recon_msg *m, int wait, int *got)
{
	struct pks_err err = { 0, NULL };
	enum pks_rc rc;
	size_t used;
	int more;

	*got = 0;
	for (;;) {
		rc = recon_msg_decode(
		    s->io.in.data, s->io.in.len, &used, m, &err);
		if (rc != PKS_OK)
			return fail(s, rc, "bad message from peer: %s",
			    err.why ? err.why : pks_rc_str(rc));
		if (used > 0) {
			io_consume(&s->io, used);
			s->io.res->msgs_in++;
			*got = 1;
			log_debug(
			    "recon: got %s", recon_msg_type_name(m->type));
			return PKS_OK;
		}
		rc = io_fill(s, wait ? s->io.timeout_ms : 0, &more);
		if (rc != PKS_OK || !more)
			return rc;
	}
}

static enum pks_rc
io_send(struct sess *s, const struct recon_msg *m)
{
	enum pks_rc rc;

	if ((rc = recon_msg_encode(m, &s->io.out)) != PKS_OK)
		return fail(s, rc, "cannot encode %s: %s",
		    recon_msg_type_name(m->type), pks_rc_str(rc));
	s->io.res->msgs_out++;
	return PKS_OK;
}

static enum pks_rc
io_send_empty(struct sess *s, enum recon_msg_type type)
{
	struct recon_msg m;

	recon_msg_init(&m, type);
	return io_send(s, &m);
}

/* Write everything buffered, waiting for the socket within timeouts. */
static enum pks_rc
io_flush(struct sess *s)
{
	struct io *io = &s->io;
	struct pollfd pfd = { io->fd, POLLOUT, 0 };
	size_t off = 0;
	ssize_t w;
	int n;

	while (off < io->out.len) {
		do {
			n = poll(&pfd, 1, io->timeout_ms);
		} while (n == -1 && errno == EINTR);
		if (n <= 0)
			return fail(s, PKS_ERR_IO, "write timeout");
		w = write(io->fd, io->out.data + off, io->out.len - off);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w < 0)
			return fail(
			    s, PKS_ERR_IO, "write: %s", strerror(errno));
		off += (size_t)w;
	}
	io->res->bytes_out += io->out.len;
	buf_reset(&io->out);
	return PKS_OK;
}

/* ---- config exchange ---- */

/* Append "[ a b ]" for a comma-separated list. */
static void
list_words(struct buf *b, const uint8_t *v, size_t n)
{
	size_t i;

	buf_adds(b, "[ ");
	for (i = 0; i < n && i < 200; i++)
		buf_addc(b, v[i] == ',' ? ' ' : v[i]);
	buf_adds(b, " ]");
}

/* SKS's reason texts for the usual refusals (reconCS.ml). */
static void
refusal_text(const char *why, const struct recon_msg *mine,
    const struct recon_msg *peer, struct buf *b)
{
	const struct recon_config_entry *lf, *rf, *v;

	lf = recon_config_get(mine, "filters");
	rf = recon_config_get(peer, "filters");
	v = recon_config_get(peer, "version");
	if (strcmp(why, "filters do not match") == 0 && lf && rf) {
		buf_adds(b, "filters do not match.\n\tlocal filters: ");
		list_words(b, lf->val, lf->vallen);
		buf_adds(b, "\n\tremote filters: ");
		list_words(b, rf->val, rf->vallen);
	} else if (strncmp(why, "Requires version", 16) == 0 && v) {
		/* the peer's string is shown cut, so the text always fits */
		buf_printf(b, "%s.  %.*s provided ", why,
		    (int)(v->vallen > 64 ? 64 : v->vallen),
		    (const char *)v->val);
	} else {
		buf_adds(b, why);
	}
}

static enum pks_rc
read_verdict(struct sess *s, struct recon_verdict *v)
{
	struct pks_err err = { 0, NULL };
	enum pks_rc rc;
	size_t used;
	int more;

	for (;;) {
		rc = recon_verdict_decode(
		    s->io.in.data, s->io.in.len, &used, v, &err);
		if (rc != PKS_OK)
			return fail(s, rc, "bad verdict from peer: %s",
			    err.why ? err.why : pks_rc_str(rc));
		if (used > 0) {
			io_consume(&s->io, used);
			return PKS_OK;
		}
		if ((rc = io_fill(s, s->io.timeout_ms, &more)) != PKS_OK)
			return rc;
	}
}

/* Nonzero when a "failed" reason says the peer is busy: ours, or
 * Hockeypuck's "sync not available, currently mutating". */
static int
busy_reason(const char *why)
{
	return why != NULL && (strncmp(why, "busy", 4) == 0 ||
				  strstr(why, "currently mutating") != NULL);
}

/* Send our verdict on the peer's config, then read the peer's. */
static enum pks_rc
verdicts(
    struct sess *s, const struct recon_msg *mine, const struct recon_msg *peer)
{
	struct recon_verdict v;
	struct buf why;
	const char *reason = "config refused", *text;
	enum pks_rc rc;

	memset(&v, 0, sizeof(v));
	buf_init(&why, 4096);
	if (recon_config_check(mine, peer, &reason) != PKS_OK) {
		refusal_text(reason, mine, peer, &why);
		text = why.len > 0 ? (const char *)why.data : reason;
		rc = recon_verdict_encode(&s->io.out, 0, text);
		if (rc == PKS_OK)
			rc = io_flush(s);
		rc = fail(
		    s, PKS_ERR_REFUSED, "refused the peer's config: %s", text);
		goto out;
	}
	rc = recon_verdict_encode(&s->io.out, 1, NULL);
	if (rc == PKS_OK)
		rc = io_flush(s);
	if (rc == PKS_OK)
		rc = read_verdict(s, &v);
	if (rc == PKS_OK && !v.passed) {
		s->io.res->peer_busy = busy_reason(v.reason);
		rc = fail(s, PKS_ERR_REFUSED, "peer refused our config: %s",
		    v.reason ? v.reason : "");
	}
	if (rc == PKS_OK)
		s->io.res->config_passed = 1;
out:
	recon_verdict_free(&v);
	buf_free(&why);
	return rc;
}

static enum pks_rc
exchange_config(struct sess *s, const struct recon_session_cfg *cfg)
{
	struct recon_msg mine, peer;
	enum pks_rc rc;
	int got;

	recon_msg_init(&mine, RECON_MSG_CONFIG);
	recon_msg_init(&peer, RECON_MSG_CONFIG);
	recon_config_sks(&mine, cfg->http_port);
	s->io.deadline = clock_ms() + cfg->config_timeout_ms;
	s->io.timeout_ms = cfg->config_timeout_ms;
	rc = io_send(s, &mine);
	if (rc == PKS_OK)
		rc = io_flush(s);
	if (rc == PKS_OK) {
		rc = io_read(s, &peer, 1, &got);
		/* SKS accepts and closes at once while it fetches keys */
		if (rc == PKS_ERR_IO && s->io.in.len == 0 &&
		    strcmp(s->io.res->why, "connection closed by peer") == 0)
			s->io.res->peer_busy = 1;
	}
	if (rc == PKS_OK && peer.type != RECON_MSG_CONFIG)
		rc = fail(s, PKS_ERR_PARSE, "expected Config, got %s",
		    recon_msg_type_name(peer.type));
	if (rc == PKS_OK && recon_config_get_int(&peer, "http port",
				&s->io.res->peer_http_port) != PKS_OK)
		s->io.res->peer_http_port = 0;
	if (rc == PKS_OK)
		rc = verdicts(s, &mine, &peer);
	recon_msg_free(&mine);
	recon_msg_free(&peer);
	return rc;
}

/* ---- tree helpers ---- */

/* Nonzero when x is in the tree. */
static int
tree_has(struct sess *s, const struct zzp *x)
{
	struct ptree_node *n = xmalloc(sizeof(*n));
	struct ptree_prefix p;
	int found = 0;

	ptree_prefix_root(&p);
	while (ptree_get(s->tree, &p, n) == PKS_OK) {
		if (n->leaf) {
			found = ptree_node_find(n, x) >= 0;
			break;
		}
		if (ptree_prefix_child(&p, &p,
			ptree_child_index(x, ptree_node_depth(n))) != PKS_OK)
			break;
	}
	free(n);
	return found;
}

/* Send Elements(e[0..n)). */
static enum pks_rc
send_elements(
    struct sess *s, enum recon_msg_type type, const struct zzp *e, size_t n)
{
	struct recon_msg m;
	enum pks_rc rc;

	recon_msg_init(&m, type);
	recon_msg_set_elems(&m, e, n);
	rc = io_send(s, &m);
	recon_msg_free(&m);
	return rc;
}

/* Our elements L under pfx; send Elements(L - R), lack += R - L. */
static enum pks_rc
exchange_full(
    struct sess *s, const struct ptree_prefix *pfx, const struct recon_msg *m)
{
	struct zzp *l = NULL, *r;
	struct zvec mine = { NULL, 0, 0 };
	size_t nl = 0;
	enum pks_rc rc;

	if ((rc = ptree_elements(s->tree, pfx, &l, &nl)) != PKS_OK)
		return fail(s, rc, "cannot read the prefix tree");
	r = xcalloc(m->nelems + 1, sizeof(*r));
	if (m->nelems > 0)
		memcpy(r, m->elems, m->nelems * sizeof(*r));
	qsort(r, m->nelems, sizeof(*r), zzp_qsort_cmp);
	set_minus(l, nl, r, m->nelems, &mine);
	set_minus(r, m->nelems, l, nl, &s->lack);
	rc = s->lack.n > s->max_lack ? lack_add(s, NULL, 1) : PKS_OK;
	if (rc == PKS_OK)
		rc = send_elements(s, RECON_MSG_ELEMENTS, mine.v, mine.n);
	s->io.res->npeer_lack += mine.n;
	free(mine.v);
	free(l);
	free(r);
	return rc;
}

/* ---- initiator: answer requests, flush on Flush ---- */

/* Node at pfx for a request; Error to the peer when missing. */
static enum pks_rc
request_node(
    struct sess *s, const struct ptree_prefix *pfx, struct ptree_node *n)
{
	enum pks_rc rc = ptree_get(s->tree, pfx, n);
	struct recon_msg e;
	static const char text[] = "Node not found in prefix tree";

	if (rc != PKS_ERR_NOTFOUND)
		return rc == PKS_OK
			   ? rc
			   : fail(s, rc, "cannot read the prefix tree");
	recon_msg_init(&e, RECON_MSG_ERROR);
	recon_msg_set_text(&e, text, sizeof(text) - 1);
	if (io_send(s, &e) == PKS_OK)
		(void)io_flush(s);
	recon_msg_free(&e);
	return fail(s, PKS_ERR_PARSE,
	    "peer asked for a node we do not have "
	    "(depth %u)",
	    pfx->nbits / PTREE_BITQUANTUM);
}

static enum pks_rc
answer_poly(struct sess *s, const struct recon_msg *m)
{
	struct ptree_node *n = xmalloc(sizeof(*n));
	struct zzp ronly[PTREE_MBAR], lonly[PTREE_MBAR], *all = NULL;
	size_t nr = 0, nl = 0, i, k = 0, na = 0;
	enum pks_rc rc;

	if ((rc = request_node(s, &m->prefix, n)) != PKS_OK)
		goto out;
	rc = ptree_solve(
	    m->samples, m->size, n->sv, n->size, ronly, &nr, lonly, &nl);
	if (rc == PKS_OK) {
		/* The peer's input is hostile: offer only what we hold. */
		for (i = 0; i < nl; i++)
			if (tree_has(s, &lonly[i]))
				lonly[k++] = lonly[i];
		if ((rc = lack_add(s, ronly, nr)) != PKS_OK)
			goto out;
		s->io.res->npeer_lack += k;
		rc = send_elements(s, RECON_MSG_ELEMENTS, lonly, k);
	} else if (n->leaf || n->size < SMALL_NODE) {
		rc = ptree_elements(s->tree, &m->prefix, &all, &na);
		if (rc == PKS_OK)
			rc = send_elements(s, RECON_MSG_FULL_ELEMENTS, all, na);
		else
			rc = fail(s, rc, "cannot read the prefix tree");
		if (rc == PKS_OK)
			s->full_pending++;
	} else {
		rc = io_send_empty(s, RECON_MSG_SYNC_FAIL);
	}
out:
	free(all);
	free(n);
	return rc;
}

static enum pks_rc
answer_full(struct sess *s, const struct recon_msg *m)
{
	struct ptree_node *n = xmalloc(sizeof(*n));
	enum pks_rc rc;

	rc = request_node(s, &m->prefix, n);
	if (rc == PKS_OK)
		rc = exchange_full(s, &m->prefix, m);
	free(n);
	return rc;
}

/* One message; *done set on Done. */
static enum pks_rc
answer_one(struct sess *s, const struct recon_msg *m, int *done)
{
	switch (m->type) {
	case RECON_MSG_POLY:
		return answer_poly(s, m);
	case RECON_MSG_FULL:
		return answer_full(s, m);
	case RECON_MSG_ELEMENTS:
		/* only as the answer to a FullElements of ours */
		if (s->full_pending == 0)
			return fail(s, PKS_ERR_PARSE,
			    "peer sent Elements we did not ask for");
		s->full_pending--;
		return lack_add(s, m->elems, m->nelems);
	case RECON_MSG_FLUSH:
		return io_flush(s);
	case RECON_MSG_DONE:
		*done = 1;
		return io_flush(s);
	case RECON_MSG_ERROR:
		return fail(s, PKS_ERR_PARSE, "peer sent Error: %.*s",
		    (int)(m->textlen > 200 ? 200 : m->textlen), m->text);
	default:
		return fail(s, PKS_ERR_PARSE, "unexpected %s from peer",
		    recon_msg_type_name(m->type));
	}
}

static enum pks_rc
answer_loop(struct sess *s)
{
	struct recon_msg m;
	enum pks_rc rc;
	int got, done = 0;

	while (!done) {
		if ((rc = io_read(s, &m, 1, &got)) != PKS_OK)
			return rc;
		rc = answer_one(s, &m, &done);
		recon_msg_free(&m);
		if (rc != PKS_OK)
			return rc;
	}
	return PKS_OK;
}

/* ---- responder: drive the walk ---- */

static enum pks_rc
rq_push(struct sess *s, const struct ptree_prefix *p)
{
	if (s->rq_n >= MAX_QUEUE)
		return fail(s, PKS_ERR_TOOBIG, "request queue full");
	if (s->rq_head + s->rq_n == s->rq_cap) {
		if (s->rq_head > 0) {
			memmove(s->rq, s->rq + s->rq_head,
			    s->rq_n * sizeof(*s->rq));
			s->rq_head = 0;
		}
		if (s->rq_n == s->rq_cap) {
			s->rq_cap = s->rq_cap ? 2 * s->rq_cap : 64;
			s->rq = xreallocarray(s->rq, s->rq_cap, sizeof(*s->rq));
		}
	}
	s->rq[s->rq_head + s->rq_n++] = *p;
	return PKS_OK;
}

static void
bq_push(struct sess *s, const struct pending *e)
{
	if (s->bq_head + s->bq_n == s->bq_cap) {
		if (s->bq_head > 0) {
			memmove(s->bq, s->bq + s->bq_head,
			    s->bq_n * sizeof(*s->bq));
			s->bq_head = 0;
		}
		if (s->bq_n == s->bq_cap) {
			s->bq_cap = s->bq_cap ? 2 * s->bq_cap : 128;
			s->bq = xreallocarray(s->bq, s->bq_cap, sizeof(*s->bq));
		}
	}
	s->bq[s->bq_head + s->bq_n++] = *e;
}

static struct pending
bq_pop(struct sess *s)
{
	struct pending e = s->bq[s->bq_head++];

	s->bq_n--;
	return e;
}

/* Send the request for the next queued node. */
static enum pks_rc
send_request(struct sess *s)
{
	struct ptree_node *n = xmalloc(sizeof(*n));
	struct pending e;
	struct recon_msg m;
	enum pks_rc rc;
	struct zzp *all = NULL;
	size_t na = 0;

	memset(&e, 0, sizeof(e));
	e.pfx = s->rq[s->rq_head++];
	s->rq_n--;
	if ((rc = ptree_get(s->tree, &e.pfx, n)) != PKS_OK) {
		rc = fail(s, rc, "cannot read the prefix tree");
		goto out;
	}
	e.full = n->leaf || n->size < SMALL_NODE;
	recon_msg_init(&m, e.full ? RECON_MSG_FULL : RECON_MSG_POLY);
	m.prefix = e.pfx;
	if (e.full) {
		rc = ptree_elements(s->tree, &e.pfx, &all, &na);
		if (rc == PKS_OK)
			recon_msg_set_elems(&m, all, na);
	} else {
		m.size = n->size;
		memcpy(m.samples, n->sv, sizeof(m.samples));
	}
	if (rc == PKS_OK)
		rc = io_send(s, &m);
	else
		rc = fail(s, rc, "cannot read the prefix tree");
	recon_msg_free(&m);
	if (rc == PKS_OK)
		bq_push(s, &e);
out:
	free(all);
	free(n);
	return rc;
}

/* Handle the reply to the oldest outstanding request. */
static enum pks_rc
handle_reply(struct sess *s, const struct recon_msg *m)
{
	struct pending e = bq_pop(s);
	struct ptree_prefix c;
	enum pks_rc rc = PKS_OK;
	unsigned i;

	switch (m->type) {
	case RECON_MSG_SYNC_FAIL:
		if (e.full)
			return fail(s, PKS_ERR_PARSE,
			    "SyncFail in reply to ReconRqst_Full");
		for (i = 0; rc == PKS_OK && i < PTREE_NCHILD; i++) {
			rc = ptree_prefix_child(&c, &e.pfx, i);
			if (rc == PKS_OK)
				rc = rq_push(s, &c);
		}
		return rc == PKS_ERR_TOOBIG && s->io.res->why[0] == '\0'
			   ? fail(s, PKS_ERR_PARSE,
				 "SyncFail below the deepest "
				 "node")
			   : rc;
	case RECON_MSG_ELEMENTS:
		/* the answer to a Poly holds at most mbar elements */
		if (!e.full && m->nelems > PTREE_MBAR)
			return fail(s, PKS_ERR_PARSE,
			    "peer answered a polynomial request with %zu "
			    "elements",
			    m->nelems);
		return lack_add(s, m->elems, m->nelems);
	case RECON_MSG_FULL_ELEMENTS:
		return exchange_full(s, &e.pfx, m);
	case RECON_MSG_ERROR:
		return fail(s, PKS_ERR_PARSE, "peer sent Error: %.*s",
		    (int)(m->textlen > 200 ? 200 : m->textlen), m->text);
	default:
		return fail(s, PKS_ERR_PARSE, "unexpected %s from peer",
		    recon_msg_type_name(m->type));
	}
}

/* Read one reply (blocking or not) and handle it; *got if one came. */
static enum pks_rc
take_reply(struct sess *s, int wait, int *got)
{
	struct recon_msg m;
	enum pks_rc rc;

	if ((rc = io_read(s, &m, wait, got)) != PKS_OK || !*got)
		return rc;
	rc = handle_reply(s, &m);
	recon_msg_free(&m);
	return rc;
}

/* One step of SKS's connection_manager loop. */
static enum pks_rc
drive_step(struct sess *s, int *flushing)
{
	struct pending mark;
	enum pks_rc rc;
	int got;

	if (s->bq_n == 0)
		return send_request(s);
	if (s->bq[s->bq_head].flush) {
		(void)bq_pop(s);
		*flushing = 0;
		return PKS_OK;
	}
	if ((rc = take_reply(s, 0, &got)) != PKS_OK || got)
		return rc;
	if (s->bq_n <= MAX_OUTSTANDING && s->rq_n > 0)
		return send_request(s);
	if (*flushing)
		return take_reply(s, 1, &got);
	memset(&mark, 0, sizeof(mark));
	mark.flush = 1;
	if ((rc = io_send_empty(s, RECON_MSG_FLUSH)) == PKS_OK &&
	    (rc = io_flush(s)) == PKS_OK) {
		bq_push(s, &mark);
		*flushing = 1;
	}
	return rc;
}

static enum pks_rc
drive_loop(struct sess *s)
{
	struct ptree_prefix root;
	enum pks_rc rc;
	int flushing = 0;

	ptree_prefix_root(&root);
	if ((rc = rq_push(s, &root)) != PKS_OK)
		return rc;
	while (s->rq_n > 0 || s->bq_n > 0)
		if ((rc = drive_step(s, &flushing)) != PKS_OK)
			return rc;
	if ((rc = io_send_empty(s, RECON_MSG_DONE)) != PKS_OK)
		return rc;
	return io_flush(s);
}

/* ---- the session ---- */

void
recon_session_cfg_default(struct recon_session_cfg *c, uint32_t http_port)
{
	c->http_port = http_port;
	c->config_timeout_ms = 10000;
	c->read_timeout_ms = 300000;
	c->session_timeout_s = 3600;
	c->max_lack = RECON_MAX_LACK_DEFAULT;
}

enum pks_rc
recon_session_run(int fd, enum recon_role role, const struct ptree_ops *tree,
    const struct recon_session_cfg *cfg, struct recon_result *res)
{
	struct sess s;
	enum pks_rc rc;
	int one = 1;

	memset(res, 0, sizeof(*res));
	memset(&s, 0, sizeof(s));
	/* Writes are already batched (io_flush); without this a small
	 * write behind an unacknowledged one (the verdict after Config,
	 * Done after the last reply) waits ~40 ms for a delayed ACK.  Not
	 * a socket (a test pipe) is fine. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s.io.fd = fd;
	s.io.res = res;
	s.tree = tree;
	s.max_lack = cfg->max_lack > 0 ? cfg->max_lack : RECON_MAX_LACK_DEFAULT;
	buf_init(&s.io.in, PKS_MAX_RECON_MSG + 4 + READ_CHUNK);
	buf_init(&s.io.out, 4u * PKS_MAX_RECON_MSG);
	rc = exchange_config(&s, cfg);
	if (rc == PKS_OK) {
		s.io.deadline =
		    clock_ms() + (int64_t)cfg->session_timeout_s * 1000;
		s.io.timeout_ms = cfg->read_timeout_ms;
		rc = role == RECON_INITIATOR ? answer_loop(&s) : drive_loop(&s);
	}
	/* As SKS: keep what was found when the connection failed, drop
	 * everything on a protocol error. */
	if (rc == PKS_OK || (rc == PKS_ERR_IO && res->config_passed)) {
		zvec_unique(&s.lack);
		res->lack = s.lack.v;
		res->nlack = s.lack.n;
	} else {
		free(s.lack.v);
	}
	free(s.rq);
	free(s.bq);
	buf_free(&s.io.in);
	buf_free(&s.io.out);
	return rc;
}

void
recon_result_free(struct recon_result *res)
{
	free(res->lack);
	res->lack = NULL;
	res->nlack = 0;
}
