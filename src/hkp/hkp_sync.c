/*
 * hkp_sync.c: GET /pks/sync, the page on how keys reach this server and
 * leave it (HKP, PKS e-mail, SKS recon, and the bridge between them),
 * with a picture of this server's own peers drawn from a snapshot as
 * inline SVG (no JavaScript): this node in the middle, mail sync peers
 * on the left, recon peers on the right, each coloured by its health and
 * labelled in words, so colour is never the only signal.  At most
 * SYNC_DRAW peers a side are drawn ("and N more"); the tables below the
 * picture list them all.  Every value is escaped.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "hkp/hkp_html.h"
#include "hkp/hkp_pages.h"
#include "stats/stats_render.h"
#include "util/xml.h"

/* Peers drawn on each side of the picture. */
#define SYNC_DRAW 12
/* Bytes of a name or result drawn as a label (the tables hold all). */
#define SYNC_LABEL 30
/* Geometry of the picture (SVG user units). */
#define SVG_W 720
#define SVG_ROW 46
#define SVG_TOP 40
#define SVG_MIN_H 220
#define SVG_LEFT_X 230
#define SVG_RIGHT_X 490

static const char lead[] =
    "<p>Keys reach this server in four ways, and every one of them goes "
    "through the same merge: a key that is new, or that brings new "
    "signatures or user IDs, is stored once and then passed on by every "
    "path below; a key that brings nothing new changes nothing and is "
    "sent nowhere. The picture shows this server's own peers as they "
    "are now.</p>\n";

static const char intro[] =
    "<h2>HKP uploads</h2>\n"
    "<p>People send keys with <code>gpg --send-keys</code> or the form "
    "on the front page (<code>POST /pks/add</code>). Anyone can ask for "
    "keys with <code>gpg --recv-keys</code> or a search.</p>\n"
    "<h2>PKS e-mail</h2>\n"
    "<p>The old keyserver network (PKS) trades keys by e-mail. Each "
    "change is mailed as an <em>incremental</em> to every server on this "
    "server's <em>mail sync list</em>, and incrementals from those "
    "servers are merged here. Every incremental carries an "
    "<code>X-KeyServer-Sent</code> header naming each server it has "
    "passed through; a server never mails a change to a server already "
    "named there, so mail cannot loop. Outgoing mail waits in a queue "
    "until the mail relay accepts it; mail the relay refuses for good "
    "is kept as <em>failed</em> for the operator.</p>\n"
    "<h2>SKS reconciliation</h2>\n"
    "<p>SKS and compatible servers compare their whole key sets with "
    "their <em>gossip peers</em> every few minutes. A session finds the "
    "keys one side lacks without sending the keys themselves; each side "
    "then fetches what it lacks from the other "
    "(<code>POST /pks/hashquery</code>).</p>\n"
    "<h2>The bridge</h2>\n"
    "<p>This server speaks both: a key that arrives by e-mail is offered "
    "to the recon peers at their next session, and a key fetched by "
    "recon or uploaded over HKP is mailed to the mail sync peers. So a "
    "key sent to any one of the networks reaches the other.</p>\n"
    "<form action=\"/pks/trace\" method=\"get\"><p>"
    "<label>Watch one key travel beyond this server's peers: "
    "fingerprint <input name=\"search\" size=\"44\" "
    "placeholder=\"0x...\"></label> <button>Trace</button></p>"
    "</form>\n";

static const char legend[] =
    "<p class=\"hint\">Colours: <strong>green</strong> means ok (mail "
    "delivered, nothing waiting; or the last recon session succeeded), "
    "<strong>amber</strong> means waiting (mail queued, none failed), "
    "<strong>red</strong> means failing (mail failed, or the last recon "
    "session failed), <strong>grey</strong> means idle (nothing sent or "
    "no session yet). Each peer is labelled with the same word.</p>\n";

static const char *
health_colour(enum stats_health h)
{
	switch (h) {
	case STATS_HEALTH_OK:
		return "#2e7d32";
	case STATS_HEALTH_WAIT:
		return "#b26a00";
	case STATS_HEALTH_FAILING:
		return "#c62828";
	default:
		return "#757575";
	}
}

/* y of row i of n in a picture h high. */
static int
row_y(size_t i, size_t n, int h)
{
	return SVG_TOP + (int)((2 * i + 1) * (size_t)(h - SVG_TOP - 20) /
			       (2 * (n ? n : 1)));
}

static size_t
drawn(size_t n)
{
	return n > SYNC_DRAW ? SYNC_DRAW : n;
}

static enum stats_health
mail_peer(
    const struct stats_snapshot *s, size_t i, const char **name, char *state)
{
	const struct stats_mail_peer *p = &s->mail[i];

	*name = p->address;
	snprintf(state, 96, "%lld queued, %lld failed", (long long)p->queued,
	    (long long)p->failed);
	return stats_mail_health(p);
}

static enum stats_health
recon_peer(
    const struct stats_snapshot *s, size_t i, const char **name, char *state)
{
	const struct stats_recon_peer *p = &s->recon[i];

	*name = p->name;
	snprintf(state, 96, "%lld in, %lld out", (long long)p->keys_in,
	    (long long)p->keys_out);
	return stats_recon_health(p);
}

/* One side of the picture: n peers in a column at x, each a dot joined
 * to the centre, its name above its state ("and N more" past
 * SYNC_DRAW); left: the labels end at the dot.  peer: what the side
 * knows of its peer i, its health, its name and a short state (state
 * holds 96 bytes). */
struct side {
	size_t n;
	int x, left;
	enum stats_health (*peer)(const struct stats_snapshot *s, size_t i,
	    const char **name, char *state);
};

static enum pks_rc
draw_side(struct buf *out, const struct stats_snapshot *s,
    const struct side *sd, int h)
{
	const char *anchor = sd->left ? "end" : "start";
	int tx = sd->left ? sd->x - 16 : sd->x + 16;
	size_t i, n = drawn(sd->n);
	char state[96], word[32];
	const char *name;
	struct svg_node d = { .x = sd->x,
		.r = 10,
		.line = 1,
		.from_x = SVG_W / 2,
		.from_y = h / 2 };
	enum stats_health health;
	enum pks_rc rc = PKS_OK;

	for (i = 0; i < n && rc == PKS_OK; i++) {
		health = sd->peer(s, i, &name, state);
		snprintf(word, sizeof(word), "%s: ", stats_health_word(health));
		d.y = row_y(i, n, h);
		d.fill = health_colour(health);
		d.label[0] = (struct svg_label){ tx, d.y - 2, anchor, 0, NULL,
			name, SYNC_LABEL };
		d.label[1] = (struct svg_label){ tx, d.y + 12, anchor, 11, word,
			state, SYNC_LABEL };
		rc = svg_node(out, &d);
	}
	if (rc == PKS_OK && sd->n > SYNC_DRAW)
		rc = buf_printf(out,
		    "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\">and %zu "
		    "more</text>\n",
		    sd->x, h - 6, anchor, sd->n - SYNC_DRAW);
	return rc;
}

/* The picture: this node in the middle, the peers on both sides. */
static enum pks_rc
draw(struct buf *out, const struct stats_snapshot *s)
{
	size_t rows = drawn(s->nmail) > drawn(s->nrecon) ? drawn(s->nmail)
							 : drawn(s->nrecon);
	int h = SVG_TOP + 20 + (int)rows * SVG_ROW + 24;
	struct side mail = { s->nmail, SVG_LEFT_X, 1, mail_peer };
	struct side recon = { s->nrecon, SVG_RIGHT_X, 0, recon_peer };
	struct svg_label name = { SVG_W / 2, 0, "middle", 0, NULL, s->hostname,
		SYNC_LABEL };
	enum pks_rc rc;

	if (h < SVG_MIN_H)
		h = SVG_MIN_H;
	name.y = h / 2 + 44;
	rc = buf_printf(out,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
	    "width=\"100%%\" role=\"img\">\n"
	    "<title>This server and its peers: %zu mail sync peers, %zu "
	    "recon peers</title>\n"
	    "<g font-family=\"sans-serif\" font-size=\"13\" "
	    "fill=\"currentColor\">\n"
	    "<text x=\"%d\" y=\"20\" text-anchor=\"end\">Mail sync "
	    "peers</text>\n<text x=\"%d\" y=\"20\">Recon peers</text>\n",
	    SVG_W, h, s->nmail, s->nrecon, SVG_LEFT_X, SVG_RIGHT_X);
	if (rc == PKS_OK)
		rc = draw_side(out, s, &mail, h);
	if (rc == PKS_OK)
		rc = draw_side(out, s, &recon, h);
	if (rc == PKS_OK)
		rc = buf_printf(out,
		    "<circle cx=\"%d\" cy=\"%d\" r=\"26\" fill=\"#1d5ea8\"/>\n"
		    "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
		    "fill=\"#fff\" font-size=\"11\">this</text>\n",
		    SVG_W / 2, h / 2, SVG_W / 2, h / 2 + 4);
	if (rc == PKS_OK)
		rc = svg_text(out, &name);
	if (rc == PKS_OK)
		rc = buf_adds(out, "\n</g>\n</svg>\n");
	return rc;
}

static enum pks_rc
mail_table(struct buf *out, const struct stats_snapshot *s)
{
	enum pks_rc rc;
	size_t i;

	rc = buf_adds(out,
	    "<h2>This server's mail sync peers</h2>\n<table id=\"mail-peers\">"
	    "\n<tr><th>Peer</th><th>State</th><th>Queued</th>"
	    "<th>Failed</th><th>Last delivered (UTC)</th></tr>\n");
	for (i = 0; i < s->nmail && rc == PKS_OK; i++)
		rc = hkp_mail_peer_row(out, &s->mail[i], 1);
	if (rc == PKS_OK)
		rc = buf_adds(out, "</table>\n");
	return rc;
}

static enum pks_rc
recon_table(struct buf *out, const struct stats_snapshot *s)
{
	enum pks_rc rc;
	size_t i;

	rc = buf_adds(out,
	    "<h2>This server's recon peers</h2>\n<table id=\"recon-peers\">"
	    "\n<tr><th>Peer</th><th>State</th>"
	    "<th>Last session (UTC)</th><th>Result</th>"
	    "<th>Last good (UTC)</th><th>Keys in</th>"
	    "<th>Keys out</th></tr>\n");
	for (i = 0; i < s->nrecon && rc == PKS_OK; i++)
		rc = hkp_recon_peer_row(out, &s->recon[i], 1);
	if (rc == PKS_OK)
		rc = buf_adds(out, "</table>\n");
	return rc;
}

static enum pks_rc
sync_page(struct buf *out, const struct stats_snapshot *s)
{
	enum pks_rc rc;

	rc = hkp_html_begin(out, "How keys travel");
	if (rc == PKS_OK)
		rc = buf_adds(out, lead);
	if (rc == PKS_OK)
		rc = draw(out, s);
	if (rc == PKS_OK)
		rc = buf_adds(out, legend);
	if (rc == PKS_OK)
		rc = buf_adds(out, intro);
	if (rc == PKS_OK)
		rc = mail_table(out, s);
	if (rc == PKS_OK)
		rc = recon_table(out, s);
	if (rc == PKS_OK)
		rc = buf_adds(out, "<p>The numbers behind this picture: <a "
				   "href=\"/pks/lookup?op=stats\">Statistics"
				   "</a>.</p>\n");
	if (rc == PKS_OK)
		rc = hkp_html_end(out);
	return rc;
}

enum pks_rc
hkp_page_sync(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r)
{
	struct stats_snapshot *s = NULL;
	enum pks_rc rc;

	(void)q;
	if ((rc = hkp_stats_take(ctx, &s)) != PKS_OK)
		return rc;
	rc = sync_page(&r->body, s);
	stats_snapshot_free(s);
	r->type = "text/html; charset=utf-8";
	return rc == PKS_OK ? PKS_OK : hkp_fail(ctx, rc, NULL);
}
