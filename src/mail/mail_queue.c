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
	size_t nitems;
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

/* Turn the groups into send items; unsendable groups get none. */
static void
make_items(struct round *rd)
{
	struct mail_send_item *it;
	struct store_outbox_row *f;
	struct group *g;
	size_t i;
	enum pks_rc rc;

	rd->items = xcalloc(rd->ngroups + 1, sizeof(*rd->items));
	for (i = 0; i < rd->ngroups; i++) {
		g = &rd->groups[i];
		f = &rd->rows[g->first];
		it = &rd->items[rd->nitems];
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
				continue;
			it->rev_path = rd->cfg->maintainer_addr;
			it->msg = g->text.data;
			it->len = g->text.len;
		}
		it->rcpt = f->recipient;
		g->item = (int)rd->nitems++;
	}
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

/* Groups [g0, *g1) whose items fill one session of at most max items. */
static void
session_groups(const struct round *rd, size_t g0, size_t max, size_t *g1,
    size_t *first, size_t *n)
{
	size_t g;

	*n = 0;
	*first = 0;
	for (g = g0; g < rd->ngroups; g++) {
		if (rd->groups[g].item < 0)
			continue;
		if (*n == max)
			break;
		if (*n == 0)
			*first = (size_t)rd->groups[g].item;
		(*n)++;
	}
	*g1 = g;
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

/* One SMTP session: groups [g0, g1) of a round, items [first, first+n). */
struct session {
	const struct pks_config *cfg;
	size_t g0, g1;
	struct mail_send_item *items;
	size_t n;
	enum pks_rc rc;
	pthread_t tid;
	int started;
};

static void *
session_main(void *arg)
{
	struct session *se = arg;
	int64_t t0 = clock_ms();

	se->rc = mail_send(se->cfg->relay, se->cfg->hostname, se->items, se->n);
	log_debug("mail: session of %zu message(s) took %lld ms", se->n,
	    (long long)(clock_ms() - t0));
	return NULL;
}

/*
 * Run the sessions se[0..n) at once, one thread each (a thread that
 * cannot be started runs its session here).  When no session could be
 * had, down_why gets the reason and later sessions of the round are
 * deferred without trying.
 */
static void
run_sessions(struct session *se, size_t n, char *down_why, size_t why_size)
{
	size_t i;

	for (i = 0; i < n; i++) {
		se[i].rc = PKS_OK;
		if (se[i].n == 0)
			continue;
		if (down_why[0] != '\0')
			defer_items(se[i].items, se[i].n, down_why);
		else if (n > 1 && pthread_create(&se[i].tid, NULL, session_main,
				      &se[i]) == 0)
			se[i].started = 1;
		else
			session_main(&se[i]);
	}
	for (i = 0; i < n; i++)
		if (se[i].started)
			pthread_join(se[i].tid, NULL);
	for (i = 0; i < n; i++)
		if (se[i].rc == PKS_ERR_IO && down_why[0] == '\0')
			snprintf(down_why, why_size, "%s", se[i].items[0].why);
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
	char down_why[256] = "";
	enum pks_rc rc = PKS_OK;
	size_t gi = 0, i, ns, first, par = 1;

	int64_t t0 = clock_ms();

	group_rows(rd);
	make_items(rd);
	log_debug("mail: composed %zu message(s) in %lld ms", rd->nitems,
	    (long long)(clock_ms() - t0));
	rd->done = xcalloc(rd->nrows + 1, sizeof(*rd->done));
	if (rd->cfg->smtp_sessions > 1)
		par = (size_t)rd->cfg->smtp_sessions;
	if (par > MAIL_QUEUE_MAX_SESSIONS)
		par = MAIL_QUEUE_MAX_SESSIONS;
	while (gi < rd->ngroups && rc == PKS_OK) {
		memset(se, 0, sizeof(se));
		for (ns = 0; ns < par && gi < rd->ngroups; ns++) {
			se[ns].cfg = rd->cfg;
			se[ns].g0 = gi;
			session_groups(rd, gi,
			    (size_t)rd->cfg->messages_per_session, &gi, &first,
			    &se[ns].n);
			se[ns].g1 = gi;
			se[ns].items = &rd->items[first];
		}
		run_sessions(se, ns, down_why, sizeof(down_why));
		for (i = 0; i < ns && rc == PKS_OK; i++)
			rc = end_session(rd, &se[i], st, owner, stats);
	}
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
	/* A round fills smtp_sessions sessions at once. */
	c.max_rows = (size_t)cfg->messages_per_session *
		     (size_t)(cfg->smtp_sessions > 1 ? cfg->smtp_sessions : 1);
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
