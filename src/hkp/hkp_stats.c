/*
 * hkp_stats.c: GET /pks/lookup?op=stats.
 *
 * HTML laid out like SKS's stats page (sks-recon.md §10.2), because pool
 * crawlers and SKS's own spider read it: a Settings table of
 * "<tr><td>Name:</td><td>value</td></tr>" rows, "Gossip Peers" with one
 * "<tr><td>host port</td></tr>" row per membership line, "Outgoing
 * Mailsync Peers", "Total number of keys: N" and a daily table, then
 * "Outgoing Mail Queue": queued and failed incrementals per mail sync
 * peer (and per former peer that still has mail queued), and "Recon
 * Peer Status": the last recon with each peer, its result and the keys
 * each way.  With
 * options=mr the same facts as JSON.  The membership and mail sync files
 * are read on each request (a missing file is an empty list).
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hkp/hkp_html.h"
#include "hkp/hkp_int.h"
#include "store/store_outbox.h"
#include "store/store_ptree.h"
#include "util/log.h"
#include "util/utc.h"
#include "util/xalloc.h"

/* Lines read from a peer file; more are ignored. */
#define STATS_MAX_PEERS 1000u
/* Days in the daily table. */
#define STATS_DAYS 30

struct peer_list {
	char **v;
	size_t n;
};

struct stats {
	int64_t total;
	struct store_day *days;
	size_t ndays;
	struct peer_list gossip;         /* "host port" */
	struct peer_list mail;           /* addresses */
	struct store_outbox_peer *queue; /* outbox per recipient */
	size_t nqueue;
	int recon_port; /* -1 when recon is off */
	unsigned http_port;
	struct store_recon_peer *recon; /* last session per recon peer */
	size_t nrecon;
};

static void
peers_free(struct peer_list *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	p->v = NULL;
	p->n = 0;
}

/* The next word of *p (NUL-terminated in place), or NULL. */
static char *
next_word(char **p)
{
	char *w = *p;

	while (*w == ' ' || *w == '\t' || *w == '\r' || *w == '\n')
		w++;
	if (*w == '\0')
		return NULL;
	*p = w;
	while (**p != '\0' && **p != ' ' && **p != '\t' && **p != '\r' &&
	       **p != '\n')
		(*p)++;
	if (**p != '\0')
		*(*p)++ = '\0';
	return w;
}

/* Skip the rest of a line longer than the buffer. */
static void
skip_rest(FILE *f, const char *line)
{
	int c;

	if (strchr(line, '\n') != NULL)
		return;
	while ((c = getc(f)) != EOF && c != '\n')
		;
}

/*
 * Read up to STATS_MAX_PEERS entries: '#' starts a comment, and the
 * first 'ntok' (1 or 2) words of a line are kept, joined by one space.
 * A line with fewer words is skipped.
 */
static void
peers_read(const char *path, int ntok, struct peer_list *out)
{
	char line[1024], *p, *w1, *w2;
	FILE *f;

	out->v = NULL;
	out->n = 0;
	if (path == NULL || (f = fopen(path, "r")) == NULL) {
		if (path != NULL && errno != ENOENT)
			log_warn("hkp: stats: %s", path);
		return;
	}
	while (out->n < STATS_MAX_PEERS && fgets(line, sizeof(line), f)) {
		skip_rest(f, line);
		if ((p = strchr(line, '#')) != NULL)
			*p = '\0';
		p = line;
		w1 = next_word(&p);
		w2 = w1 != NULL && ntok == 2 ? next_word(&p) : NULL;
		if (w1 == NULL || (ntok == 2 && w2 == NULL))
			continue;
		out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
		out->v[out->n++] =
		    ntok == 2 ? xasprintf("%s %s", w1, w2) : xstrdup(w1);
	}
	fclose(f);
}

static int
recon_port(const struct pks_config *cfg)
{
	char *host = NULL;
	uint16_t port;

	if (cfg->recon_listen == NULL ||
	    config_parse_hostport(cfg->recon_listen, &host, &port) != PKS_OK)
		return -1;
	free(host);
	return port;
}

static const char *
str_or_empty(const char *s)
{
	return s != NULL ? s : "";
}

static enum pks_rc
html_row(struct buf *out, const char *name, const char *value)
{
	enum pks_rc rc;

	rc = buf_printf(out, "<tr><td>%s:</td><td>", name);
	if (rc == PKS_OK)
		rc = hkp_html_escapes(out, value);
	if (rc == PKS_OK)
		rc = buf_adds(out, "</td></tr>\n");
	return rc;
}

static enum pks_rc
html_settings(
    struct buf *out, const struct pks_config *cfg, const struct stats *s)
{
	char http[16], recon[16];
	enum pks_rc rc;

	snprintf(http, sizeof(http), "%u", s->http_port);
	if (s->recon_port >= 0)
		snprintf(recon, sizeof(recon), "%d", s->recon_port);
	else
		snprintf(recon, sizeof(recon), "off");
	rc = buf_adds(out, "<h2>Settings</h2>\n<table summary=\"Keyserver "
			   "Settings\">\n");
	if (rc == PKS_OK)
		rc = html_row(out, "Hostname", str_or_empty(cfg->hostname));
	if (rc == PKS_OK)
		rc = html_row(out, "Nodename", str_or_empty(cfg->nodename));
	if (rc == PKS_OK)
		rc = html_row(out, "Version", PACKAGE_VERSION);
	if (rc == PKS_OK)
		rc =
		    html_row(out, "Server contact", str_or_empty(cfg->contact));
	if (rc == PKS_OK)
		rc = html_row(out, "HTTP port", http);
	if (rc == PKS_OK)
		rc = html_row(out, "Recon port", recon);
	if (rc == PKS_OK)
		rc = html_row(out, "Software", "pksync");
	if (rc == PKS_OK)
		rc = buf_adds(out, "</table>\n");
	return rc;
}

static enum pks_rc
html_list(struct buf *out, const char *title, const struct peer_list *p)
{
	size_t i;
	enum pks_rc rc;

	rc = buf_printf(
	    out, "<h2>%s</h2>\n<table summary=\"%s\">\n", title, title);
	for (i = 0; i < p->n && rc == PKS_OK; i++) {
		rc = buf_adds(out, "<tr><td>");
		if (rc == PKS_OK)
			rc = hkp_html_escapes(out, p->v[i]);
		if (rc == PKS_OK)
			rc = buf_adds(out, "</td></tr>\n");
	}
	if (rc == PKS_OK)
		rc = buf_adds(out, "</table>\n");
	return rc;
}

static enum pks_rc
html_days(struct buf *out, const struct stats *s)
{
	size_t i;
	enum pks_rc rc;

	rc = buf_printf(out,
	    "<h2>Statistics</h2><p>Total number of keys: "
	    "%lld</p>\n<h2>Daily Histogram</h2>\n<table summary=\"Daily "
	    "Histogram\" border=\"1\">\n<tr><td>Time</td><td>New Keys</td>"
	    "<td>Updated Keys</td></tr>\n",
	    (long long)s->total);
	for (i = 0; i < s->ndays && rc == PKS_OK; i++) {
		rc = buf_adds(out, "<tr><td>");
		if (rc == PKS_OK)
			rc = hkp_html_escapes(out, s->days[i].day);
		if (rc == PKS_OK)
			rc = buf_printf(out,
			    "</td><td>%lld</td><td>%lld</td>"
			    "</tr>\n",
			    (long long)s->days[i].nnew,
			    (long long)s->days[i].nupdated);
	}
	if (rc == PKS_OK)
		rc = buf_adds(out, "</table>\n");
	return rc;
}

/* Queue counts of a sync peer (recipients compared ignoring case). */
static void
queue_counts(
    const struct stats *s, const char *peer, int64_t *queued, int64_t *failed)
{
	size_t i;

	*queued = *failed = 0;
	for (i = 0; i < s->nqueue; i++) {
		if (strcasecmp(s->queue[i].recipient, peer) != 0)
			continue;
		*queued += s->queue[i].queued;
		*failed += s->queue[i].failed;
	}
}

/* Whether a queue recipient is on the sync list. */
static int
in_list(const struct peer_list *p, const char *addr)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcasecmp(p->v[i], addr) == 0)
			return 1;
	return 0;
}

/* Unix time t as UTC text, "never" for 0. */
static void
when_text(int64_t t, char *out, size_t n)
{
	utc_text(t, UTC_SECOND, "never", out, n);
}

/* One peer's row: the last attempt (time, role, result), then the last
 * good session (time, keys each way; keys out as responder are a lower
 * bound, shown as "&gt;=N"). */
static enum pks_rc
html_recon_row(struct buf *out, const struct store_recon_peer *p)
{
	char when[32], ok[32];
	enum pks_rc rc;

	when_text(p->last, when, sizeof(when));
	when_text(p->ok_last, ok, sizeof(ok));
	rc = buf_adds(out, "<tr><td>");
	if (rc == PKS_OK)
		rc = hkp_html_escapes(out, p->peer);
	if (rc == PKS_OK)
		rc = buf_printf(out, "</td><td>%s</td><td>%s</td><td>", when,
		    p->role[0] ? p->role : "-");
	if (rc == PKS_OK)
		rc = hkp_html_escapes(out, p->result);
	if (rc == PKS_OK)
		rc = buf_printf(out,
		    "</td><td>%s</td><td>%lld</td><td>%s%lld"
		    "</td><td>%lld</td></tr>\n",
		    ok, (long long)p->ok_keys_in,
		    strcmp(p->ok_role, "responder") == 0 ? "&gt;=" : "",
		    (long long)p->ok_keys_out, (long long)p->ok_fetched);
	return rc;
}

/* The recon peers: last attempt and last good session, keys each way. */
static enum pks_rc
html_recon(struct buf *out, const struct stats *s)
{
	size_t i;
	enum pks_rc rc;

	rc =
	    buf_adds(out, "<h2>Recon Peer Status</h2>\n<table summary=\""
			  "Recon Peer Status\" border=\"1\">\n<tr><td>Peer</td>"
			  "<td>Last recon (UTC)</td><td>As</td><td>Result</td>"
			  "<td>Last good recon (UTC)</td><td>Keys in</td>"
			  "<td>Keys out</td><td>Fetched</td></tr>\n");
	for (i = 0; i < s->nrecon && rc == PKS_OK; i++)
		rc = html_recon_row(out, &s->recon[i]);
	if (rc == PKS_OK)
		rc = buf_adds(out, "</table>\n");
	return rc;
}

/* One row per peer, then per former peer with mail still queued. */
static enum pks_rc
html_queue(struct buf *out, const struct stats *s)
{
	int64_t q, f;
	size_t i;
	enum pks_rc rc;

	rc = buf_adds(out,
	    "<h2>Outgoing Mail Queue</h2>\n<table summary=\""
	    "Outgoing Mail Queue\" border=\"1\">\n<tr><td>Peer</td>"
	    "<td>Queued</td><td>Failed</td></tr>\n");
	for (i = 0; i < s->mail.n + s->nqueue && rc == PKS_OK; i++) {
		if (i >= s->mail.n &&
		    in_list(&s->mail, s->queue[i - s->mail.n].recipient))
			continue;
		rc = buf_adds(out, "<tr><td>");
		if (rc == PKS_OK)
			rc = hkp_html_escapes(out,
			    i < s->mail.n ? s->mail.v[i]
					  : s->queue[i - s->mail.n].recipient);
		queue_counts(s,
		    i < s->mail.n ? s->mail.v[i]
				  : s->queue[i - s->mail.n].recipient,
		    &q, &f);
		if (rc == PKS_OK)
			rc = buf_printf(out,
			    "</td><td>%lld</td><td>%lld</td>"
			    "</tr>\n",
			    (long long)q, (long long)f);
	}
	if (rc == PKS_OK)
		rc = buf_adds(out, "</table>\n");
	return rc;
}

static enum pks_rc
json_queue(struct buf *out, const struct stats *s)
{
	const char *a;
	int64_t q, f;
	size_t i;
	enum pks_rc rc;
	int first = 1;

	rc = buf_adds(out, "\"mailQueue\":[");
	for (i = 0; i < s->mail.n + s->nqueue && rc == PKS_OK; i++) {
		a = i < s->mail.n ? s->mail.v[i]
				  : s->queue[i - s->mail.n].recipient;
		if (i >= s->mail.n && in_list(&s->mail, a))
			continue;
		queue_counts(s, a, &q, &f);
		rc = buf_adds(out, first ? "{\"peer\":" : ",{\"peer\":");
		first = 0;
		if (rc == PKS_OK)
			rc = hkp_json_string(out, a, strlen(a));
		if (rc == PKS_OK)
			rc =
			    buf_printf(out, ",\"queued\":%lld,\"failed\":%lld}",
				(long long)q, (long long)f);
	}
	if (rc == PKS_OK)
		rc = buf_adds(out, "],");
	return rc;
}

static enum pks_rc
stats_html(struct buf *out, const struct pks_config *cfg, const struct stats *s)
{
	char when[64];
	time_t now = time(NULL);
	struct tm tm;
	enum pks_rc rc;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		when[0] = '\0';
	rc = hkp_html_begin(out, "pksync OpenPGP Keyserver statistics");
	if (rc == PKS_OK)
		rc = buf_printf(out, "<p>Taken at %s</p>\n", when);
	if (rc == PKS_OK)
		rc = buf_adds(out,
		    "<form action=\"/pks/trace\" method=\"get\"><p>"
		    "<label>Where is a key on the network? Fingerprint: "
		    "<input name=\"search\" size=\"44\" "
		    "placeholder=\"0x...\"></label> <button>Trace</button>"
		    "</p></form>\n");
	if (rc == PKS_OK)
		rc = html_settings(out, cfg, s);
	if (rc == PKS_OK)
		rc = html_list(out, "Gossip Peers", &s->gossip);
	if (rc == PKS_OK)
		rc = html_list(out, "Outgoing Mailsync Peers", &s->mail);
	if (rc == PKS_OK)
		rc = html_days(out, s);
	if (rc == PKS_OK)
		rc = html_queue(out, s);
	if (rc == PKS_OK)
		rc = html_recon(out, s);
	if (rc == PKS_OK)
		rc = hkp_html_end(out);
	return rc;
}

static enum pks_rc
json_field(struct buf *out, const char *name, const char *value)
{
	enum pks_rc rc;

	rc = buf_printf(out, "\"%s\":", name);
	if (rc == PKS_OK)
		rc = hkp_json_string(out, value, strlen(value));
	if (rc == PKS_OK)
		rc = buf_addc(out, ',');
	return rc;
}

static enum pks_rc
json_list(struct buf *out, const char *name, const struct peer_list *p)
{
	size_t i;
	enum pks_rc rc;

	rc = buf_printf(out, "\"%s\":[", name);
	for (i = 0; i < p->n && rc == PKS_OK; i++) {
		if (i > 0)
			rc = buf_addc(out, ',');
		if (rc == PKS_OK)
			rc = hkp_json_string(out, p->v[i], strlen(p->v[i]));
	}
	if (rc == PKS_OK)
		rc = buf_adds(out, "],");
	return rc;
}

static enum pks_rc
json_days(struct buf *out, const struct stats *s)
{
	size_t i;
	enum pks_rc rc;

	rc = buf_adds(out, "\"daily\":[");
	for (i = 0; i < s->ndays && rc == PKS_OK; i++) {
		rc = buf_adds(out, i > 0 ? ",{\"day\":" : "{\"day\":");
		if (rc == PKS_OK)
			rc = hkp_json_string(
			    out, s->days[i].day, strlen(s->days[i].day));
		if (rc == PKS_OK)
			rc = buf_printf(out, ",\"new\":%lld,\"updated\":%lld}",
			    (long long)s->days[i].nnew,
			    (long long)s->days[i].nupdated);
	}
	if (rc == PKS_OK)
		rc = buf_adds(out, "]");
	return rc;
}

static enum pks_rc
stats_json(struct buf *out, const struct pks_config *cfg, const struct stats *s)
{
	enum pks_rc rc;

	rc = buf_addc(out, '{');
	if (rc == PKS_OK)
		rc = json_field(out, "hostname", str_or_empty(cfg->hostname));
	if (rc == PKS_OK)
		rc = json_field(out, "nodename", str_or_empty(cfg->nodename));
	if (rc == PKS_OK)
		rc = json_field(out, "version", PACKAGE_VERSION);
	if (rc == PKS_OK)
		rc = json_field(out, "software", "pksync");
	if (rc == PKS_OK)
		rc = json_field(out, "contact", str_or_empty(cfg->contact));
	if (rc == PKS_OK)
		rc = buf_printf(out, "\"httpPort\":%u,", s->http_port);
	if (rc == PKS_OK && s->recon_port >= 0)
		rc = buf_printf(out, "\"reconPort\":%d,", s->recon_port);
	else if (rc == PKS_OK)
		rc = buf_adds(out, "\"reconPort\":null,");
	if (rc == PKS_OK)
		rc = buf_printf(out, "\"total\":%lld,", (long long)s->total);
	if (rc == PKS_OK)
		rc = json_list(out, "peers", &s->gossip);
	if (rc == PKS_OK)
		rc = json_list(out, "mailsyncPeers", &s->mail);
	if (rc == PKS_OK)
		rc = json_queue(out, s);
	if (rc == PKS_OK)
		rc = json_days(out, s);
	if (rc == PKS_OK)
		rc = buf_adds(out, "}\n");
	return rc;
}

static enum pks_rc
stats_load(struct hkp_ctx *ctx, struct stats *s)
{
	struct store *st;
	enum pks_rc rc;

	rc = hkp_ctx_store(ctx, &st);
	if (rc == PKS_OK)
		rc = store_count_keys(st, &s->total);
	if (rc == PKS_OK)
		rc = store_stats_days(st, STATS_DAYS, &s->days, &s->ndays);
	if (rc == PKS_OK)
		rc = store_outbox_peers(st, &s->queue, &s->nqueue);
	if (rc == PKS_OK)
		rc = store_recon_peer_list(st, &s->recon, &s->nrecon);
	if (rc == PKS_ERR_BUSY)
		return hkp_fail(ctx, rc, "database busy; try again later");
	if (rc != PKS_OK)
		return hkp_fail(ctx, rc, "cannot read the statistics");
	peers_read(ctx->cfg->membership_file, 2, &s->gossip);
	peers_read(ctx->cfg->peers_file, 1, &s->mail);
	s->recon_port = recon_port(ctx->cfg);
	s->http_port = hkp_ctx_port(ctx);
	return PKS_OK;
}

enum pks_rc
hkp_stats(struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r)
{
	struct stats s;
	enum pks_rc rc;

	memset(&s, 0, sizeof(s));
	rc = stats_load(ctx, &s);
	if (rc == PKS_OK && (q->opts & HKP_OPT_MR)) {
		r->type = "application/json";
		rc = stats_json(&r->body, ctx->cfg, &s);
	} else if (rc == PKS_OK) {
		rc = stats_html(&r->body, ctx->cfg, &s);
	}
	free(s.days);
	store_outbox_peers_free(s.queue, s.nqueue);
	free(s.recon);
	peers_free(&s.gossip);
	peers_free(&s.mail);
	return rc;
}
