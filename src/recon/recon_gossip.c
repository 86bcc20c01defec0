/*
 * recon_gossip.c: the recon thread of "pksync serve": listener,
 * membership, partner choice, sessions, fetching, peer status.
 *
 * Sessions and fetches run in one thread (the recon thread; a fetch
 * reads the peer's answers in a helper thread while this one merges),
 * so there is never more than one session.  A second thread, the acceptor, is
 * the only one that accepts: when the recon thread is idle it marks it
 * busy and hands the connection over (a byte on a pipe); when it is
 * busy, in a session, a fetch or an outgoing connect, the acceptor
 * refuses at once (our Config, then a "failed" verdict saying we are
 * busy, as SKS words its refusals).  The recon thread marks itself busy
 * before it connects out.  So an incoming peer never waits behind an
 * outgoing session, and two peers that connect to each other at the
 * same moment both hear "busy" at once instead of each waiting for the
 * other's Config: each then retries a few times, 1-3 s apart at random,
 * which breaks the tie.  Member names are resolved when the membership
 * file is (re)loaded, and again hourly, never per connection.
 * recon_gossip_stop() wakes both threads through a pipe and shuts the
 * socket of a running session down, so it ends at once.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "peers/peers_recon.h"
#include "recon/recon_fetch.h"
#include "recon/recon_gossip.h"
#include "recon/recon_msg.h"
#include "store/store_ptree.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Addresses kept per member name; names are resolved again hourly. */
#define MEMBER_ADDRS 8
#define RESOLVE_EVERY_MS (3600 * 1000)
/* How long a refused peer gets to read the refusal. */
#define REFUSE_LINGER_MS 2000
/* After a peer turned us away as busy: this many quick retries, each
 * 1 s + up to BUSY_RETRY_JITTER_MS later (never later than the regular
 * gossip), before the regular interval again. */
#define BUSY_RETRIES 3
#define BUSY_RETRY_JITTER_MS 2000

struct member_addrs {
	struct sockaddr_storage a[MEMBER_ADDRS];
	socklen_t len[MEMBER_ADDRS];
	size_t n;
};

struct recon_gossip {
	struct recon_gossip_cfg cfg;
	char *listen, *dbfile;
	char *host;    /* our listen host (bind address) */
	uint16_t port; /* our listen port */
	int lfd;
	int wake[2];    /* stop pipe */
	int handoff[2]; /* acceptor -> recon thread: in_fd is set */
	pthread_t th;
	pthread_t acceptor;
	int acceptor_started;
	pthread_mutex_t mu;
	int active_fd; /* running session, or -1 */
	int stopping;
	int busy;  /* connecting, in a session or a fetch: refuse */
	int in_fd; /* accepted connection handed over, or -1 */
	struct sockaddr_storage in_peer;
	socklen_t in_plen;
	struct store *st;
	struct peers_recon *membership;     /* the file, followed */
	struct peers_recon_member *members; /* as last taken from it */
	struct member_addrs *addrs;         /* members[i]'s addresses */
	size_t nmembers;
	int64_t resolved_at; /* ms of the last resolution */
	unsigned seed;
};

/* ---- membership ---- */

static void resolve_members(struct recon_gossip *g);

/* Take the membership again when the file changed (and resolve the
 * names again); resolve them again when the last time is an hour ago.
 * A file that cannot be read keeps the last membership. */
static void
membership_load(struct recon_gossip *g)
{
	struct peers_recon_list *l = NULL;
	int fresh = 0;

	if (peers_recon_get(g->membership, &l, &fresh) != PKS_OK)
		return;
	if (!fresh) {
		peers_recon_list_free(l);
		if (clock_ms() - g->resolved_at > RESOLVE_EVERY_MS)
			resolve_members(g);
		return;
	}
	free(g->members);
	g->members = l->v;
	g->nmembers = l->n;
	l->v = NULL;
	peers_recon_list_free(l);
	resolve_members(g);
}

static int
same_ip(const struct sockaddr *a, const struct sockaddr *b)
{
	const struct sockaddr_in6 *a6, *b6;

	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	a6 = (const struct sockaddr_in6 *)a;
	b6 = (const struct sockaddr_in6 *)b;
	return a->sa_family == AF_INET6 &&
	       memcmp(&a6->sin6_addr, &b6->sin6_addr, 16) == 0;
}

static struct addrinfo *
resolve(const char *host)
{
	struct addrinfo hints, *ai = NULL;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0)
		return NULL;
	return ai;
}

/* Resolve every member's name into g->addrs (a name that does not
 * resolve has none until the next time). */
static void
resolve_members(struct recon_gossip *g)
{
	struct addrinfo *ai, *p;
	struct member_addrs *m;
	size_t i;

	free(g->addrs);
	g->addrs = xcalloc(g->nmembers ? g->nmembers : 1, sizeof(*g->addrs));
	for (i = 0; i < g->nmembers; i++) {
		m = &g->addrs[i];
		ai = resolve(g->members[i].host);
		for (p = ai; p != NULL && m->n < MEMBER_ADDRS; p = p->ai_next) {
			if (p->ai_addrlen > sizeof(m->a[0]))
				continue;
			memcpy(&m->a[m->n], p->ai_addr, p->ai_addrlen);
			m->len[m->n++] = p->ai_addrlen;
		}
		if (ai != NULL)
			freeaddrinfo(ai);
		if (m->n == 0)
			log_info("recon: member %s does not resolve",
			    g->members[i].host);
	}
	g->resolved_at = clock_ms();
}

/* Index of the first member whose name resolved to the IP of sa. */
static int
member_of(struct recon_gossip *g, const struct sockaddr *sa)
{
	size_t i, k;

	membership_load(g);
	for (i = 0; i < g->nmembers; i++)
		for (k = 0; k < g->addrs[i].n; k++)
			if (same_ip((struct sockaddr *)&g->addrs[i].a[k], sa))
				return (int)i;
	return -1;
}

/* Nonzero when (sa, port) is our own listener. */
static int
is_self(struct recon_gossip *g, const struct sockaddr *sa, uint16_t port)
{
	struct addrinfo *ai, *p;
	int self = 0;

	if (port != g->port)
		return 0;
	ai = resolve(g->host);
	for (p = ai; p != NULL && !self; p = p->ai_next)
		self = same_ip(p->ai_addr, sa);
	if (ai != NULL)
		freeaddrinfo(ai);
	return self;
}

/* Pick a random member other than ourselves; its address in *addr. */
static int
choose(struct recon_gossip *g, struct sockaddr_storage *addr, socklen_t *len)
{
	size_t i, k, start;
	int found = -1;

	membership_load(g);
	if (g->nmembers == 0)
		return -1;
	start = (size_t)rand_r(&g->seed) % g->nmembers;
	for (k = 0; k < g->nmembers && found < 0; k++) {
		i = (start + k) % g->nmembers;
		if (g->addrs[i].n == 0)
			continue;
		if (!is_self(g, (struct sockaddr *)&g->addrs[i].a[0],
			g->members[i].port)) {
			*addr = g->addrs[i].a[0];
			*len = g->addrs[i].len[0];
			found = (int)i;
		}
	}
	return found;
}

/* ---- one session ---- */

/* Sleep up to ms unless stopped; nonzero when stopping. */
static int
pause_ms(struct recon_gossip *g, int ms)
{
	struct pollfd pfd = { g->wake[0], POLLIN, 0 };

	return poll(&pfd, 1, ms) > 0;
}

static void
addr_text(const struct sockaddr_storage *a, char *out, size_t n)
{
	const void *ip =
	    a->ss_family == AF_INET
		? (const void *)&((const struct sockaddr_in *)a)->sin_addr
		: (const void *)&((const struct sockaddr_in6 *)a)->sin6_addr;

	if (inet_ntop(a->ss_family, ip, out, (socklen_t)n) == NULL)
		snprintf(out, n, "?");
}

static int
is_stopping(struct recon_gossip *g)
{
	int v;

	pthread_mutex_lock(&g->mu);
	v = g->stopping;
	pthread_mutex_unlock(&g->mu);
	return v;
}

/* Fetch what we lack and record the peer's row. */
static void
after_session(struct recon_gossip *g, const char *name, enum recon_role role,
    const struct sockaddr_storage *peer, socklen_t plen,
    const struct recon_result *res, enum pks_rc rc)
{
	struct recon_fetch_cfg fc;
	struct recon_fetch_stats fs;
	struct store_recon_peer row;
	int64_t t0 = clock_ms();

	memset(&row, 0, sizeof(row));
	memset(&fs, 0, sizeof(fs));
	if (res->nlack > 0 && res->peer_http_port != 0 && !is_stopping(g)) {
		memset(&fc, 0, sizeof(fc));
		fc.peer = *peer;
		fc.peerlen = plen;
		fc.http_port = (uint16_t)res->peer_http_port;
		fc.bind_host = g->host;
		fc.timeout_ms = g->cfg.fetch_timeout_ms;
		fc.deadline_ms = g->cfg.fetch_deadline_ms;
		fc.sync = g->cfg.sync;
		(void)recon_fetch(g->st, &fc, res->lack, res->nlack, &fs);
		log_info(
		    "recon: fetched from %s: asked=%zu returned=%zu "
		    "new=%zu updated=%zu unchanged=%zu refused=%zu "
		    "skipped=%zu (http %lld ms, merge %lld ms, cpu %lld ms), "
		    "%lld ms",
		    name, fs.asked, fs.returned, fs.merged.nnew,
		    fs.merged.nupdated, fs.merged.nunchanged,
		    fs.merged.nrefused, fs.skipped, (long long)fs.http_ms,
		    (long long)fs.merge_ms, (long long)fs.merge_cpu_ms,
		    (long long)(clock_ms() - t0));
	}
	snprintf(row.peer, sizeof(row.peer), "%s", name);
	row.last = (int64_t)time(NULL);
	snprintf(row.role, sizeof(row.role), "%s",
	    role == RECON_INITIATOR ? "initiator" : "responder");
	if (rc == PKS_OK)
		snprintf(row.result, sizeof(row.result), "ok");
	else
		snprintf(
		    row.result, sizeof(row.result), "failed: %.110s", res->why);
	row.keys_in = (int64_t)res->nlack;
	row.keys_out = (int64_t)res->npeer_lack;
	row.fetched = (int64_t)(fs.merged.nnew + fs.merged.nupdated);
	if (store_recon_peer_set(g->st, &row) != PKS_OK)
		log_warnx("recon: cannot record the session with %s: %s", name,
		    store_errmsg(g->st));
}

/* Claim the recon thread for an outgoing session: 0 when busy. */
static int
begin_busy(struct recon_gossip *g)
{
	int ok;

	pthread_mutex_lock(&g->mu);
	ok = !g->busy && !g->stopping;
	if (ok)
		g->busy = 1;
	pthread_mutex_unlock(&g->mu);
	return ok;
}

static void
end_busy(struct recon_gossip *g)
{
	pthread_mutex_lock(&g->mu);
	g->busy = 0;
	pthread_mutex_unlock(&g->mu);
}

/*
 * Run a session on fd (closed here), then fetch; the caller has made
 * the thread busy.  Returns nonzero when the peer turned us away as
 * busy before the session began.
 */
static int
session(struct recon_gossip *g, int fd, enum recon_role role, const char *name,
    const struct sockaddr_storage *peer, socklen_t plen)
{
	struct recon_result res;
	struct ptree_ops ops;
	enum pks_rc rc;
	int64_t t0 = clock_ms(), c0 = recon_thread_cpu_ms();
	int peer_busy;

	pthread_mutex_lock(&g->mu);
	g->active_fd = g->stopping ? -1 : fd;
	pthread_mutex_unlock(&g->mu);
	store_ptree_ops(g->st, &ops);
	if ((rc = store_ptree_snapshot(g->st)) == PKS_OK) {
		rc = recon_session_run(fd, role, &ops, &g->cfg.session, &res);
		store_ptree_snapshot_end(g->st);
	} else {
		memset(&res, 0, sizeof(res));
		snprintf(res.why, sizeof(res.why), "database: %s",
		    store_errmsg(g->st));
	}
	pthread_mutex_lock(&g->mu);
	g->active_fd = -1;
	pthread_mutex_unlock(&g->mu);
	close(fd);
	log_info("recon: session with %s as %s %s%s%s: we lack %zu, peer "
		 "lacks %zu; messages in=%zu out=%zu, bytes in=%zu out=%zu, "
		 "%lld ms (cpu %lld ms)",
	    name, role == RECON_INITIATOR ? "initiator" : "responder",
	    rc == PKS_OK ? "done" : "failed", rc == PKS_OK ? "" : ": ",
	    rc == PKS_OK ? "" : res.why, res.nlack, res.npeer_lack, res.msgs_in,
	    res.msgs_out, res.bytes_in, res.bytes_out,
	    (long long)(clock_ms() - t0),
	    (long long)(recon_thread_cpu_ms() - c0));
	/* SKS's responder waits 10 s before it fetches (reconserver.ml,
	 * recon_handler: "Unix.gettimeofday () +. 10.0", there since SKS's
	 * first import in 2008, with no comment or setting); its initiator
	 * fetches at once.  All the wait does there, as far as the source
	 * shows, is stagger two single-threaded "sks db" processes that
	 * would otherwise serve each other's hashquery while merging, and
	 * SKS refuses recon all that time (gossip_disabled).  pksync
	 * serves hashquery while it merges, so fetch_delay defaults to 0. */
	if (role != RECON_RESPONDER || res.nlack == 0 ||
	    !pause_ms(g, g->cfg.fetch_delay_ms))
		after_session(g, name, role, peer, plen, &res, rc);
	peer_busy = rc != PKS_OK && res.peer_busy;
	recon_result_free(&res);
	return peer_busy;
}

/* The connection the acceptor handed over (the thread is busy). */
static void
accept_one(struct recon_gossip *g)
{
	struct sockaddr_storage peer;
	socklen_t plen;
	char ip[INET6_ADDRSTRLEN], name[300], c;
	int fd, i;

	if (read(g->handoff[0], &c, 1) != 1)
		return;
	pthread_mutex_lock(&g->mu);
	fd = g->in_fd;
	g->in_fd = -1;
	peer = g->in_peer;
	plen = g->in_plen;
	pthread_mutex_unlock(&g->mu);
	if (fd == -1) {
		end_busy(g);
		return;
	}
	addr_text(&peer, ip, sizeof(ip));
	if ((i = member_of(g, (struct sockaddr *)&peer)) < 0) {
		log_warnx("recon: reconciliation attempt from unauthorized "
			  "host %s",
		    ip);
		close(fd);
		end_busy(g);
		return;
	}
	snprintf(name, sizeof(name), "%s %u", g->members[i].host,
	    g->members[i].port);
	log_info("recon: %s (%s) connected", name, ip);
	(void)session(g, fd, RECON_RESPONDER, name, &peer, plen);
	end_busy(g);
}

/* One outgoing recon (the thread is busy); nonzero when the peer was
 * busy. */
static int
gossip_once(struct recon_gossip *g)
{
	struct sockaddr_storage addr;
	socklen_t len = 0;
	char name[300];
	int i, fd;

	if ((i = choose(g, &addr, &len)) < 0)
		return 0;
	snprintf(name, sizeof(name), "%s %u", g->members[i].host,
	    g->members[i].port);
	if (recon_connect(&addr, len, g->members[i].port, g->host,
		g->cfg.session.config_timeout_ms, &fd) != PKS_OK) {
		log_info("recon: cannot connect to %s", name);
		return 0;
	}
	return session(g, fd, RECON_INITIATOR, name, &addr, len);
}

/* ---- the thread ---- */

/* Milliseconds to the next outgoing recon: interval +- 10 %. */
static int64_t
next_gossip(struct recon_gossip *g)
{
	int64_t ms = (int64_t)g->cfg.gossip_interval * 1000;

	return clock_ms() + ms * 9 / 10 +
	       (int64_t)((double)rand_r(&g->seed) / RAND_MAX * (double)ms / 5);
}

/* Outgoing recon when due: *due and *retries for the next one.  A
 * peer that was busy is tried again soon (another member may be
 * chosen), BUSY_RETRIES times at most. */
static void
gossip_due(struct recon_gossip *g, int64_t *due, int *retries)
{
	int64_t next, soon;
	int peer_busy;

	if (!begin_busy(g))
		return; /* a connection was handed over: it goes first */
	peer_busy = gossip_once(g);
	end_busy(g);
	next = next_gossip(g);
	soon = clock_ms() + 1000 + rand_r(&g->seed) % BUSY_RETRY_JITTER_MS;
	if (peer_busy && *retries < BUSY_RETRIES && soon < next) {
		(*retries)++;
		*due = soon;
		log_info("recon: peer busy; trying again in %lld ms",
		    (long long)(soon - clock_ms()));
	} else {
		*retries = 0;
		*due = next;
	}
}

static void *
run(void *arg)
{
	struct recon_gossip *g = arg;
	struct pollfd pfd[2];
	int64_t due = next_gossip(g), left;
	int n, retries = 0;

	pfd[0].fd = g->wake[0];
	pfd[0].events = POLLIN;
	pfd[1].fd = g->handoff[0];
	pfd[1].events = POLLIN;
	for (;;) {
		left = g->cfg.gossip_interval > 0 ? due - clock_ms() : 60000;
		if (left < 0)
			left = 0;
		n = poll(pfd, 2, (int)(left > 60000 ? 60000 : left));
		if (n > 0 && pfd[0].revents != 0)
			break;
		if (n > 0 && pfd[1].revents != 0)
			accept_one(g);
		if (g->cfg.gossip_interval > 0 && clock_ms() >= due)
			gossip_due(g, &due, &retries);
	}
	return NULL;
}

/* Our Config and a "failed" verdict, then close (after the peer read
 * them, or REFUSE_LINGER_MS). */
static void
refuse(struct recon_gossip *g, int fd)
{
	struct recon_msg mine;
	struct pollfd pfd = { fd, POLLIN, 0 };
	struct buf b;
	char sink[4096];
	int64_t end = clock_ms() + REFUSE_LINGER_MS;
	ssize_t r;

	buf_init(&b, 65536);
	recon_msg_init(&mine, RECON_MSG_CONFIG);
	recon_config_sks(&mine, g->cfg.session.http_port);
	if (recon_msg_encode(&mine, &b) == PKS_OK &&
	    recon_verdict_encode(&b, 0, RECON_BUSY_REASON) == PKS_OK)
		(void)send(fd, b.data, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
	recon_msg_free(&mine);
	buf_free(&b);
	shutdown(fd, SHUT_WR);
	while (clock_ms() < end && poll(&pfd, 1, 100) >= 0) {
		if ((pfd.revents & POLLIN) == 0)
			continue;
		r = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			break;
	}
	close(fd);
}

/* Hand fd to an idle recon thread (which becomes busy): nonzero when
 * handed over. */
static int
hand_over(struct recon_gossip *g, int fd, const struct sockaddr_storage *peer,
    socklen_t plen)
{
	int ok;

	pthread_mutex_lock(&g->mu);
	ok = !g->busy && !g->stopping && g->in_fd == -1;
	if (ok) {
		g->busy = 1;
		g->in_fd = fd;
		g->in_peer = *peer;
		g->in_plen = plen;
	}
	pthread_mutex_unlock(&g->mu);
	if (ok && write(g->handoff[1], "a", 1) != 1) {
		log_warn("recon: cannot wake the recon thread");
		pthread_mutex_lock(&g->mu);
		g->in_fd = -1;
		g->busy = 0;
		pthread_mutex_unlock(&g->mu);
		ok = 0;
	}
	return ok;
}

/* Accept everyone: to the recon thread when it is idle, else refused
 * at once. */
static void *
acceptor_run(void *arg)
{
	struct recon_gossip *g = arg;
	struct pollfd pfd[2];
	struct sockaddr_storage peer;
	socklen_t plen;
	char ip[INET6_ADDRSTRLEN];
	int fd;

	pfd[0].fd = g->wake[0];
	pfd[0].events = POLLIN;
	pfd[1].fd = g->lfd;
	pfd[1].events = POLLIN;
	for (;;) {
		if (poll(pfd, 2, -1) > 0 && pfd[0].revents != 0)
			break;
		if ((pfd[1].revents & POLLIN) == 0)
			continue;
		plen = sizeof(peer);
		fd = accept4(
		    g->lfd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
		if (fd == -1 || hand_over(g, fd, &peer, plen))
			continue;
		addr_text(&peer, ip, sizeof(ip));
		log_info("recon: %s connected while busy: refused", ip);
		refuse(g, fd);
	}
	return NULL;
}

/* Bind and listen on host:port. */
static enum pks_rc
listen_on(struct recon_gossip *g)
{
	struct addrinfo hints, *ai = NULL;
	char port[8];
	int one = 1, fd;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	snprintf(port, sizeof(port), "%u", g->port);
	if (getaddrinfo(g->host, port, &hints, &ai) != 0 || ai == NULL)
		return PKS_ERR_CONFIG;
	/* non-blocking: a connection gone before accept() is no hang */
	fd = socket(
	    ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd != -1)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd == -1 || bind(fd, ai->ai_addr, ai->ai_addrlen) == -1 ||
	    listen(fd, 16) == -1) {
		log_warn("recon: cannot listen on %s", g->listen);
		if (fd != -1)
			close(fd);
		freeaddrinfo(ai);
		return PKS_ERR_IO;
	}
	freeaddrinfo(ai);
	g->lfd = fd;
	return PKS_OK;
}

static void
gossip_free(struct recon_gossip *g)
{
	if (g->lfd != -1)
		close(g->lfd);
	if (g->wake[0] != -1) {
		close(g->wake[0]);
		close(g->wake[1]);
	}
	if (g->handoff[0] != -1) {
		close(g->handoff[0]);
		close(g->handoff[1]);
	}
	if (g->in_fd != -1)
		close(g->in_fd);
	if (g->st != NULL)
		store_close(g->st);
	pthread_mutex_destroy(&g->mu);
	free(g->members);
	free(g->addrs);
	free(g->listen);
	peers_recon_free(g->membership);
	free(g->dbfile);
	free(g->host);
	free(g);
}

enum pks_rc
recon_gossip_start(
    const struct recon_gossip_cfg *cfg, struct recon_gossip **out)
{
	struct recon_gossip *g = xcalloc(1, sizeof(*g));
	enum pks_rc rc;

	g->cfg = *cfg;
	g->listen = xstrdup(cfg->listen);
	g->membership = peers_recon_new(cfg->membership_file);
	g->dbfile = xstrdup(cfg->dbfile);
	g->lfd = g->wake[0] = g->wake[1] = g->active_fd = -1;
	g->handoff[0] = g->handoff[1] = g->in_fd = -1;
	g->seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	pthread_mutex_init(&g->mu, NULL);
	rc = config_parse_hostport(g->listen, &g->host, &g->port);
	if (rc == PKS_OK)
		rc = listen_on(g);
	if (rc == PKS_OK && (pipe(g->wake) == -1 || pipe(g->handoff) == -1))
		rc = PKS_ERR_IO;
	if (rc == PKS_OK)
		rc = store_open(g->dbfile, 0, cfg->busy_ms, &g->st);
	if (rc == PKS_OK && pthread_create(&g->th, NULL, run, g) != 0)
		rc = PKS_ERR_IO;
	if (rc == PKS_OK &&
	    pthread_create(&g->acceptor, NULL, acceptor_run, g) == 0)
		g->acceptor_started = 1;
	if (rc == PKS_OK && !g->acceptor_started) {
		/* nobody would accept: stop the recon thread again */
		recon_gossip_stop(g);
		return PKS_ERR_IO;
	}
	if (rc != PKS_OK) {
		gossip_free(g);
		return rc;
	}
	log_info("recon: listening on %s, gossip every %d s", g->listen,
	    cfg->gossip_interval);
	*out = g;
	return PKS_OK;
}

void
recon_gossip_stop(struct recon_gossip *g)
{
	if (g == NULL)
		return;
	pthread_mutex_lock(&g->mu);
	g->stopping = 1;
	if (g->active_fd != -1)
		shutdown(g->active_fd, SHUT_RDWR);
	pthread_mutex_unlock(&g->mu);
	if (write(g->wake[1], "x", 1) != 1)
		log_warn("recon: cannot wake the recon thread");
	pthread_join(g->th, NULL);
	if (g->acceptor_started)
		pthread_join(g->acceptor, NULL);
	gossip_free(g);
}
