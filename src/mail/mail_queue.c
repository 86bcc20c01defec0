/*
 * mail_queue.c: the queue runner (see mail_queue.h): claim, group,
 * compose, send, end the rows.
 */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mail/mail_outgoing.h"
#include "mail/mail_queue.h"
#include "mail/mail_send.h"
#include "store/store_outbox.h"
#include "util/clock.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/xalloc.h"

/* The largest composed incremental (keys grow by a third as armor). */
#define MAX_MESSAGE (96u * 1024 * 1024)

/* One message: rows[first .. first + n) of the round. */
struct group {
	size_t first;
	size_t n;
	struct buf text; /* the composed incremental */
	size_t nkeys;
	int item;        /* index in the send items, -1: not sent */
	const char *why; /* item -1: why it could not be composed */
};

/* One round of a run. */
struct round {
	const struct pks_config *cfg;
	struct store_outbox_row *rows;
	size_t nrows;
	struct group *groups;
	size_t ngroups;
	struct mail_send_item *items;
	struct store_outbox_done *done; /* the end of each row */
};

static int
same_path(const char *a, const char *b)
{
	return strcmp(a != NULL ? a : "", b != NULL ? b : "") == 0;
}

/* Whether row r may join the incremental of group g. */
static int
joins(const struct round *rd, const struct group *g,
    const struct store_outbox_row *r, size_t *bytes)
{
	const struct store_outbox_row *f = &rd->rows[g->first];

	if (f->reply || r->reply || strcmp(f->recipient, r->recipient) != 0 ||
	    !same_path(f->sent, r->sent))
		return 0;
	return *bytes + r->len <= rd->cfg->max_incremental_size;
}

/* Cut the claimed rows into messages. */
static void
group_rows(struct round *rd)
{
	struct group *g = NULL;
	size_t i, bytes = 0;

	rd->groups = xreallocarray(NULL, rd->nrows + 1, sizeof(*rd->groups));
	for (i = 0; i < rd->nrows; i++) {
		if (g != NULL && joins(rd, g, &rd->rows[i], &bytes)) {
			g->n++;
			bytes += rd->rows[i].len;
			continue;
		}
		g = &rd->groups[rd->ngroups++];
		memset(g, 0, sizeof(*g));
		g->first = i;
		g->n = 1;
		g->item = -1;
		bytes = rd->rows[i].len;
	}
}

/* Compose the incremental of group g into g->text. */
static enum pks_rc
compose(struct round *rd, struct group *g)
{
	const struct store_outbox_row *f = &rd->rows[g->first];
	struct buf keys;
	enum pks_rc rc = PKS_OK;
	size_t i;

	buf_init(&keys, MAX_MESSAGE);
	buf_init(&g->text, MAX_MESSAGE);
	for (i = 0; i < g->n && rc == PKS_OK; i++)
		rc = mail_out_pks_keys(rd->rows[g->first + i].body,
		    rd->rows[g->first + i].len, &keys, &g->nkeys);
	if (rc == PKS_OK && g->nkeys > 0)
		rc = mail_out_incremental(rd->cfg->maintainer, f->recipient,
		    f->sent != NULL ? f->sent : "", keys.data, keys.len,
		    &g->text);
	buf_free(&keys);
	return rc;
}

/*
 * Compose the message of group gi into rd->items[gi] (g->item = gi), or
 * leave it unsent (g->item = -1, g->why the reason).  Touches only the
 * group, its item and its rows: sessions compose their groups at once.
 */
static void
make_item(struct round *rd, size_t gi)
{
	struct group *g = &rd->groups[gi];
	struct mail_send_item *it = &rd->items[gi];
	const struct store_outbox_row *f = &rd->rows[g->first];
	enum pks_rc rc;

	if (f->reply) {
		it->rev_path = "";
		it->msg = f->body;
		it->len = f->len;
	} else {
		if ((rc = compose(rd, g)) != PKS_OK)
			g->why = pks_rc_str(rc);
		else if (g->nkeys == 0)
			g->why = "no key PKS can read (v5/v6 keys or "
				 "photo IDs only)";
		if (g->why != NULL)
			return;
		it->rev_path = rd->cfg->maintainer_addr;
		it->msg = g->text.data;
		it->len = g->text.len;
	}
	it->rcpt = f->recipient;
	g->item = (int)gi;
}

/* The end of every row of group g, from its message's outcome. */
static void
end_group(struct round *rd, const struct group *g, struct store_outbox_done *d,
    struct mail_queue_stats *stats)
{
	const struct mail_send_item *it;
	const struct store_outbox_row *f = &rd->rows[g->first];
	enum store_outbox_end end = STORE_OUTBOX_SENT;
	const char *why = NULL;
	size_t i;

	if (g->item < 0) {
		/* Never handed to the relay, so never deleted: kept as
		 * failed with the reason, for the admin (pksync stats). */
		end = STORE_OUTBOX_FAILED;
		why = g->why;
		log_warnx("mail: incremental to %s cannot be composed, %zu "
			  "row(s) kept as failed: %s",
		    f->recipient, g->n, why);
		stats->unsendable += g->n;
	} else {
		it = &rd->items[g->item];
		why = it->why;
		if (it->status == MAIL_SEND_OK) {
			stats->sent++;
			log_info("mail: %s to %s sent (%zu keys): %s",
			    f->reply ? "reply" : "incremental", f->recipient,
			    g->nkeys, why);
		} else if (it->status == MAIL_SEND_TEMP) {
			end = STORE_OUTBOX_RETRY;
			stats->deferred++;
			log_warnx("mail: %s to %s deferred: %s",
			    f->reply ? "reply" : "incremental", f->recipient,
			    why);
		} else {
			end = STORE_OUTBOX_FAILED;
			stats->failed++;
			log_warnx("mail: %s to %s failed: %s",
			    f->reply ? "reply" : "incremental", f->recipient,
			    why);
		}
	}
	for (i = 0; i < g->n; i++) {
		d[g->first + i].id = rd->rows[g->first + i].id;
		d[g->first + i].end = end;
		d[g->first + i].why = why;
	}
}

static void
round_free(struct round *rd)
{
	size_t i;

	for (i = 0; i < rd->ngroups; i++)
		buf_free(&rd->groups[i].text);
	free(rd->groups);
	free(rd->items);
	free(rd->done);
	store_outbox_rows_free(rd->rows, rd->nrows);
}

/* After a session that could not start, the rest of the round waits. */
static void
defer_items(struct mail_send_item *items, size_t n, const char *why)
{
	size_t i;

	for (i = 0; i < n; i++) {
		items[i].status = MAIL_SEND_TEMP;
		snprintf(items[i].why, sizeof(items[i].why), "%s", why);
	}
}

/* One SMTP session: the messages of groups [g0, g1) of a round. */
struct session {
	struct round *rd;
	size_t g0, g1;
	char down_why[256]; /* non-empty: do not try, defer with this */
	size_t n;           /* messages handed to the relay */
	enum pks_rc rc;
	char fail[256]; /* rc PKS_ERR_IO: why no session could be had */
	pthread_t tid;
	int started;  /* runs in thread tid */
	int finished; /* set under pool->lock when over */
	struct pool *pool;
};

/* The sessions of a round that run at once, and how each says it is over. */
struct pool {
	pthread_mutex_t lock;
	pthread_cond_t over;
};

/*
 * Compose the session's messages and send them in one SMTP session.
 * Runs in a thread of its own: it uses its groups, their items and
 * rows, never the database.
 */
static void *
session_main(void *arg)
{
	struct session *se = arg;
	struct round *rd = se->rd;
	struct mail_send_item *send;
	int64_t t0 = clock_ms();
	size_t g, k = 0;

	send = xcalloc(se->g1 - se->g0 + 1, sizeof(*send));
	for (g = se->g0; g < se->g1; g++) {
		make_item(rd, g);
		if (rd->groups[g].item >= 0)
			send[k++] = rd->items[g];
	}
	se->n = k;
	se->rc = PKS_OK;
	if (k > 0 && se->down_why[0] != '\0')
		defer_items(send, k, se->down_why);
	else if (k > 0)
		se->rc = mail_send(rd->cfg->relay, rd->cfg->hostname, send, k);
	if (se->rc == PKS_ERR_IO)
		snprintf(se->fail, sizeof(se->fail), "%s", send[0].why);
	for (g = se->g0, k = 0; g < se->g1; g++)
		if (rd->groups[g].item >= 0)
			rd->items[g] = send[k++];
	free(send);
	log_debug("mail: session of %zu message(s) took %lld ms", se->n,
	    (long long)(clock_ms() - t0));
	pthread_mutex_lock(&se->pool->lock);
	se->finished = 1;
	pthread_cond_signal(&se->pool->over);
	pthread_mutex_unlock(&se->pool->lock);
	return NULL;
}

/* Start session se in a thread of its own (or run it here if none). */
static void
session_start(struct session *se)
{
	se->started = pthread_create(&se->tid, NULL, session_main, se) == 0;
	if (!se->started)
		session_main(se);
}

/*
 * Wait until one of the n started sessions se[] is over (not yet
 * collected: tid joined, slot free); its index, or n when none runs.
 */
static size_t
session_wait(struct pool *p, struct session *se, size_t n)
{
	size_t i, found = n;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		for (i = 0; i < n && found == n; i++)
			if (se[i].rd != NULL && se[i].finished)
				found = i;
		if (found < n)
			break;
		for (i = 0; i < n && se[i].rd == NULL; i++)
			;
		if (i == n)
			break;
		pthread_cond_wait(&p->over, &p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	if (found < n && se[found].started)
		pthread_join(se[found].tid, NULL);
	return found;
}

/* The end of all rows of session se, in one transaction. */
static enum pks_rc
end_session(struct round *rd, const struct session *se, struct store *st,
    const char *owner, struct mail_queue_stats *stats)
{
	struct store_outbox_backoff b;
	size_t g, r0, r1;
	int64_t t0;
	enum pks_rc rc;

	stats->messages += se->n;
	for (g = se->g0; g < se->g1; g++)
		end_group(rd, &rd->groups[g], rd->done, stats);
	r0 = rd->groups[se->g0].first;
	r1 = rd->groups[se->g1 - 1].first + rd->groups[se->g1 - 1].n;
	b.now = (int64_t)time(NULL);
	b.base = rd->cfg->queue_retry;
	b.max = rd->cfg->queue_retry_max;
	t0 = clock_ms();
	rc = store_outbox_finish(st, owner, rd->done + r0, r1 - r0, &b);
	log_debug("mail: ended %zu row(s) in %lld ms", r1 - r0,
	    (long long)(clock_ms() - t0));
	return rc;
}

/* The sessions a run keeps open at once ([mail] smtp_sessions). */
static size_t
session_count(const struct pks_config *cfg)
{
	size_t n = cfg->smtp_sessions > 1 ? (size_t)cfg->smtp_sessions : 1;

	return n < MAIL_QUEUE_MAX_SESSIONS ? n : MAIL_QUEUE_MAX_SESSIONS;
}

/* Start a session for the next messages_per_session groups from *gi. */
static void
session_new(struct round *rd, struct session *se, struct pool *p, size_t *gi,
    const char *down_why)
{
	size_t per = (size_t)rd->cfg->messages_per_session;

	memset(se, 0, sizeof(*se));
	se->rd = rd;
	se->pool = p;
	snprintf(se->down_why, sizeof(se->down_why), "%s", down_why);
	se->g0 = *gi;
	*gi += rd->ngroups - *gi < per ? rd->ngroups - *gi : per;
	se->g1 = *gi;
	session_start(se);
}

/*
 * Send the claimed rows of one round: [mail] messages_per_session
 * messages per SMTP session, up to [mail] smtp_sessions sessions at
 * once, and end the rows of each session as soon as it is over.  A run
 * killed mid-round leaves only the rows of the sessions not yet ended
 * claimed: they are sent again when their leases end, never lost.
 */
static enum pks_rc
send_round(struct round *rd, struct store *st, const char *owner,
    struct mail_queue_stats *stats)
{
	struct session se[MAIL_QUEUE_MAX_SESSIONS];
	struct pool pool;
	char down_why[256] = "";
	enum pks_rc rc = PKS_OK;
	size_t gi = 0, i, par;

	group_rows(rd);
	rd->items = xcalloc(rd->ngroups + 1, sizeof(*rd->items));
	rd->done = xcalloc(rd->nrows + 1, sizeof(*rd->done));
	par = session_count(rd->cfg);
	memset(se, 0, sizeof(se));
	pthread_mutex_init(&pool.lock, NULL);
	pthread_cond_init(&pool.over, NULL);
	for (;;) {
		/* Fill every free slot while there is work and no error. */
		for (i = 0; i < par && gi < rd->ngroups && rc == PKS_OK; i++)
			if (se[i].rd == NULL)
				session_new(rd, &se[i], &pool, &gi, down_why);
		if ((i = session_wait(&pool, se, par)) == par)
			break;
		/* A session that could not start: the round waits. */
		if (se[i].rc == PKS_ERR_IO && down_why[0] == '\0')
			snprintf(down_why, sizeof(down_why), "%s", se[i].fail);
		if (rc == PKS_OK)
			rc = end_session(rd, &se[i], st, owner, stats);
		se[i].rd = NULL;
	}
	pthread_cond_destroy(&pool.over);
	pthread_mutex_destroy(&pool.lock);
	return rc;
}

enum pks_rc
mail_queue_run(const struct pks_config *cfg, struct store *st,
    struct mail_queue_stats *stats)
{
	struct store_outbox_claim c;
	struct round rd;
	char host[128] = "localhost", owner[200];
	size_t nexpired;
	int64_t t0;
	enum pks_rc rc;

	memset(stats, 0, sizeof(*stats));
	(void)gethostname(host, sizeof(host) - 1);
	memset(&c, 0, sizeof(c));
	c.due_by = (int64_t)time(NULL);
	snprintf(owner, sizeof(owner), "%s:%ld:%lld", host, (long)getpid(),
	    (long long)c.due_by);
	c.owner = owner;
	c.lease = MAIL_QUEUE_LEASE;
	c.max_age = cfg->queue_max_age;
	/* A round keeps smtp_sessions sessions busy several times over
	 * (its last sessions end one by one, leaving slots idle). */
	c.max_rows = (size_t)cfg->messages_per_session * session_count(cfg) * 4;
	if (c.max_rows > MAIL_QUEUE_ROUND_ROWS)
		c.max_rows = MAIL_QUEUE_ROUND_ROWS;
	c.max_bytes = MAIL_QUEUE_ROUND_BYTES;
	for (;;) {
		memset(&rd, 0, sizeof(rd));
		rd.cfg = cfg;
		c.now = (int64_t)time(NULL);
		t0 = clock_ms();
		rc = store_outbox_claim(st, &c, &rd.rows, &rd.nrows, &nexpired);
		log_debug("mail: claimed %zu row(s) in %lld ms", rd.nrows,
		    (long long)(clock_ms() - t0));
		stats->expired += nexpired;
		if (nexpired > 0)
			log_warnx("mail: %zu queued message(s) given up after "
				  "%d s (see pksync stats)",
			    nexpired, cfg->queue_max_age);
		if (rc != PKS_OK || rd.nrows == 0)
			break;
		stats->rows += rd.nrows;
		rc = send_round(&rd, st, owner, stats);
		round_free(&rd);
		if (rc != PKS_OK)
			break;
	}
	return rc;
}
