/*
 * hkp_stats.c: GET /pks/lookup?op=stats, one view of a snapshot
 * (stats/stats_snapshot.h) taken for each request.
 *
 * HTML laid out like SKS's stats page (sks-recon.md §10.2), because pool
 * crawlers and SKS's own spider read it: a Settings table of
 * "<tr><td>Name:</td><td>value</td></tr>" rows, "Gossip Peers" with one
 * "<tr><td>host port</td></tr>" row per membership line, "Outgoing
 * Mailsync Peers", "Total number of keys: N" and a daily table, then
 * "Outgoing Mail Queue": queued and failed incrementals and the last
 * delivery per mail sync peer (and per former peer that still has mail
 * queued), and "Recon Peer Status": the last recon with each peer, its
 * result and the keys each way.  With options=mr the JSON of
 * stats_render_json, the same text "pksync stats --json" prints.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "hkp/hkp_html.h"
#include "hkp/hkp_int.h"
#include "hkp/hkp_pages.h"
#include "stats/stats_render.h"
#include "util/utc.h"

enum pks_rc
hkp_stats_take(struct hkp_ctx *ctx, struct stats_snapshot **out)
{
	struct store *st;
	enum pks_rc rc;

	*out = NULL;
	rc = hkp_ctx_store(ctx, &st);
	if (rc == PKS_OK)
		rc = stats_snapshot_take(st, ctx->cfg, out);
	if (rc == PKS_ERR_BUSY)
		return hkp_fail(ctx, rc, "database busy; try again later");
	if (rc != PKS_OK)
		return hkp_fail(ctx, rc, "cannot read the statistics");
	(*out)->http_port = hkp_ctx_port(ctx);
	return PKS_OK;
}

static enum pks_rc
html_row(struct buf *out, const char *name, const char *value)
{
	char label[32];
	const char *cells[2] = { label, value };

	snprintf(label, sizeof(label), "%s:", name);
	return hkp_html_row(out, NULL, cells, 2);
}

static enum pks_rc
html_settings(struct buf *out, const struct stats_snapshot *s)
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
		rc = html_row(out, "Hostname", s->hostname);
	if (rc == PKS_OK)
		rc = html_row(out, "Nodename", s->nodename);
	if (rc == PKS_OK)
		rc = html_row(out, "Version", s->version);
	if (rc == PKS_OK)
		rc = html_row(out, "Server contact", s->contact);
	if (rc == PKS_OK)
		rc = html_row(out, "HTTP port", http);
	if (rc == PKS_OK)
		rc = html_row(out, "Recon port", recon);
	if (rc == PKS_OK)
		rc = html_row(out, "Software", s->software);
	if (rc == PKS_OK)
		rc = buf_adds(out, "</table>\n");
	return rc;
}

static enum pks_rc
one_cell_row(struct buf *out, const char *v)
{
	return hkp_html_row(out, NULL, &v, 1);
}

/* "Gossip Peers" and "Outgoing Mailsync Peers": the files' lines. */
static enum pks_rc
html_lists(struct buf *out, const struct stats_snapshot *s)
{
	enum pks_rc rc;
	size_t i;

	rc = buf_adds(out, "<h2>Gossip Peers</h2>\n"
			   "<table summary=\"Gossip Peers\">\n");
	for (i = 0; i < s->nrecon && rc == PKS_OK; i++)
		if (s->recon[i].listed)
			rc = one_cell_row(out, s->recon[i].name);
	if (rc == PKS_OK)
		rc =
		    buf_adds(out, "</table>\n<h2>Outgoing Mailsync Peers</h2>\n"
				  "<table summary=\"Outgoing Mailsync "
				  "Peers\">\n");
	for (i = 0; i < s->nmail && rc == PKS_OK; i++)
		if (s->mail[i].listed)
			rc = one_cell_row(out, s->mail[i].address);
	if (rc == PKS_OK)
		rc = buf_adds(out, "</table>\n");
	return rc;
}

static enum pks_rc
html_days(struct buf *out, const struct stats_snapshot *s)
{
	char nnew[24], nupd[24];
	const char *cells[3] = { NULL, nnew, nupd };
	size_t i;
	enum pks_rc rc;

	rc = buf_printf(out,
	    "<h2>Statistics</h2><p>Total number of keys: "
	    "%lld</p>\n<h2>Daily Histogram</h2>\n<table summary=\"Daily "
	    "Histogram\" border=\"1\">\n<tr><td>Time</td><td>New Keys</td>"
	    "<td>Updated Keys</td></tr>\n",
	    (long long)s->keys);
	for (i = 0; i < s->ndays && rc == PKS_OK; i++) {
		snprintf(
		    nnew, sizeof(nnew), "%lld", (long long)s->days[i].nnew);
		snprintf(
		    nupd, sizeof(nupd), "%lld", (long long)s->days[i].nupdated);
		cells[0] = s->days[i].day;
		rc = hkp_html_row(out, NULL, cells, 3);
	}
	if (rc == PKS_OK)
		rc = buf_adds(out, "</table>\n");
	return rc;
}

/* Unix time t as UTC text, "never" for 0. */
static const char *
when_text(int64_t t, char out[32])
{
	return utc_text(t, UTC_SECOND, "never", out, 32);
}

enum pks_rc
hkp_mail_peer_row(
    struct buf *out, const struct stats_mail_peer *p, int with_state)
{
	char queued[24], failed[24], when[32];
	const char *cells[5];
	size_t n = 0;

	snprintf(queued, sizeof(queued), "%lld", (long long)p->queued);
	snprintf(failed, sizeof(failed), "%lld", (long long)p->failed);
	cells[n++] = p->address;
	if (with_state)
		cells[n++] = stats_health_word(stats_mail_health(p));
	cells[n++] = queued;
	cells[n++] = failed;
	cells[n++] = when_text(p->last_delivered, when);
	return hkp_html_row(out, NULL, cells, n);
}

/* The recon row's numbers: keys in, keys out (as responder a lower
 * bound, ">=N"), fetched. */
struct recon_nums {
	char in[24], out[32], fetched[24];
};

static void
recon_nums(const struct stats_recon_peer *p, struct recon_nums *v)
{
	snprintf(v->in, sizeof(v->in), "%lld", (long long)p->keys_in);
	snprintf(v->out, sizeof(v->out), "%s%lld",
	    p->keys_out_at_least ? ">=" : "", (long long)p->keys_out);
	snprintf(v->fetched, sizeof(v->fetched), "%lld", (long long)p->fetched);
}

enum pks_rc
hkp_recon_peer_row(
    struct buf *out, const struct stats_recon_peer *p, int with_state)
{
	char last[32], good[32];
	struct recon_nums v;
	const char *cells[8];
	size_t n = 0;

	recon_nums(p, &v);
	cells[n++] = p->name;
	if (with_state)
		cells[n++] = stats_health_word(stats_recon_health(p));
	cells[n++] = when_text(p->last, last);
	if (!with_state)
		cells[n++] = p->role[0] ? p->role : "-";
	cells[n++] = with_state && !p->result[0] ? "-" : p->result;
	cells[n++] = when_text(p->last_good, good);
	cells[n++] = v.in;
	cells[n++] = v.out;
	if (!with_state)
		cells[n++] = v.fetched;
	return hkp_html_row(out, NULL, cells, n);
}

/* One row per sync peer, then per former peer with mail queued. */
static enum pks_rc
html_queue(struct buf *out, const struct stats_snapshot *s)
{
	size_t i;
	enum pks_rc rc;

	rc = buf_adds(out,
	    "<h2>Outgoing Mail Queue</h2>\n<table summary=\""
	    "Outgoing Mail Queue\" border=\"1\">\n<tr><td>Peer</td>"
	    "<td>Queued</td><td>Failed</td>"
	    "<td>Last delivered (UTC)</td></tr>\n");
	for (i = 0; i < s->nmail && rc == PKS_OK; i++)
		rc = hkp_mail_peer_row(out, &s->mail[i], 0);
	if (rc == PKS_OK)
		rc = buf_adds(out, "</table>\n");
	return rc;
}

/* The recon peers with a session on record. */
static enum pks_rc
html_recon(struct buf *out, const struct stats_snapshot *s)
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
		if (s->recon[i].last != 0)
			rc = hkp_recon_peer_row(out, &s->recon[i], 0);
	if (rc == PKS_OK)
		rc = buf_adds(out, "</table>\n");
	return rc;
}

static enum pks_rc
stats_html(struct buf *out, const struct stats_snapshot *s)
{
	char when[32];
	enum pks_rc rc;

	rc = hkp_html_begin(out, "pksync OpenPGP Keyserver statistics");
	if (rc == PKS_OK)
		rc = buf_printf(out, "<p>Taken at %s UTC</p>\n",
		    utc_text(s->taken, UTC_SECOND, "", when, sizeof(when)));
	if (rc == PKS_OK)
		rc = buf_adds(out,
		    "<form action=\"/pks/trace\" method=\"get\"><p>"
		    "<label>Where is a key on the network? Fingerprint: "
		    "<input name=\"search\" size=\"44\" "
		    "placeholder=\"0x...\"></label> <button>Trace</button>"
		    "</p></form>\n");
	if (rc == PKS_OK)
		rc = html_settings(out, s);
	if (rc == PKS_OK)
		rc = html_lists(out, s);
	if (rc == PKS_OK)
		rc = html_days(out, s);
	if (rc == PKS_OK)
		rc = html_queue(out, s);
	if (rc == PKS_OK)
		rc = html_recon(out, s);
	if (rc == PKS_OK)
		rc = buf_adds(out,
		    "<p>How keys reach this server and leave "
		    "it, and a picture of its peers: <a href=\"" HKP_SYNC_PATH
		    "\">Synchronisation</a>.</p>\n");
	if (rc == PKS_OK)
		rc = hkp_html_end(out);
	return rc;
}

enum pks_rc
hkp_stats(struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r)
{
	struct stats_snapshot *s = NULL;
	enum pks_rc rc;

	rc = hkp_stats_take(ctx, &s);
	if (rc == PKS_OK && (q->opts & HKP_OPT_MR)) {
		r->type = "application/json";
		rc = stats_render_json(s, &r->body);
	} else if (rc == PKS_OK) {
		rc = stats_html(&r->body, s);
	}
	stats_snapshot_free(s);
	return rc;
}
