/*
 * hkp_trace.c: GET /pks/trace?search=0xFINGERPRINT, where a key stands
 * on the keyserver network: the map drawn as SVG, each server coloured
 * by the state of this server's version of the key there (current,
 * older, missing, unreachable), each link by kind (recon, mail), and a
 * table of the same with the time each server was first seen current.
 *
 * The page refreshes itself (no script).  It takes one argument, the
 * fingerprint; the servers asked are the ones the crawl from this
 * server found (network_watch.h), within the [network] limits, and the
 * result is cached and shared between viewers.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "hkp/hkp_html.h"
#include "hkp/hkp_int.h"
#include "network/network.h"
#include "network/network_watch.h"
#include "util/utc.h"

/* The only argument taken. */
static enum pks_rc
trace_arg(struct hkp_ctx *ctx, char *hex, uint8_t *bin, size_t *len)
{
	const struct hkp_field *f;
	size_t i;

	for (i = 0; i < ctx->args->n; i++)
		if (strcmp(ctx->args->v[i].name, "search") != 0)
			return hkp_fail(ctx, PKS_ERR_PARSE,
			    "only search=0xFINGERPRINT is taken");
	f = hkp_form_get(ctx->args, "search");
	if (f == NULL || f->len != strlen(f->value) ||
	    network_fpr_parse(f->value, hex, bin, len) != PKS_OK)
		return hkp_fail(ctx, PKS_ERR_PARSE,
		    "search must be 0x and a key's fingerprint");
	return PKS_OK;
}

static enum pks_rc
local_hash(
    struct hkp_ctx *ctx, const uint8_t *bin, size_t len, uint8_t hash[16])
{
	struct store *st;
	struct store_key k;
	enum pks_rc rc;

	if ((rc = hkp_ctx_store(ctx, &st)) != PKS_OK)
		return rc;
	memset(&k, 0, sizeof(k));
	rc = store_key_find(st, bin, len, &k);
	if (rc == PKS_OK)
		memcpy(hash, k.hash, 16);
	store_key_clear(&k);
	if (rc == PKS_ERR_NOTFOUND)
		return hkp_fail(ctx, rc, "no key with this fingerprint here");
	if (rc == PKS_ERR_BUSY)
		return hkp_fail(ctx, rc, "database busy; try again later");
	return rc == PKS_OK ? rc : hkp_fail(ctx, rc, NULL);
}

static enum pks_rc
table_row(struct buf *out, const struct network_node *nd)
{
	char keys[32], seen[40];
	const char *cells[7];

	if (nd->keys >= 0)
		snprintf(keys, sizeof(keys), "%lld", (long long)nd->keys);
	else
		snprintf(keys, sizeof(keys), "-");
	utc_text(nd->first_seen, UTC_SECOND, "-", seen, sizeof(seen));
	cells[0] = nd->url;
	cells[1] = network_state_name(nd->state);
	cells[2] = seen;
	cells[3] = nd->software[0] ? nd->software : "-";
	cells[4] = nd->version[0] ? nd->version : "-";
	cells[5] = keys;
	cells[6] = nd->note;
	return hkp_html_row(out, network_state_name(nd->state), cells, 7);
}

static enum pks_rc
table(struct buf *out, const struct network_map *m)
{
	enum pks_rc rc;
	size_t i;

	rc = buf_adds(out,
	    "<table class=\"trace\">\n<tr><th>Server</th><th>This key</th>"
	    "<th>First seen current (UTC)</th><th>Software</th>"
	    "<th>Version</th><th>Keys</th><th>Note</th></tr>\n");
	for (i = 0; rc == PKS_OK && i < m->n; i++)
		rc = table_row(out, &m->nodes[i]);
	if (rc == PKS_OK)
		rc = buf_adds(out, "</table>\n<h2>Links</h2>\n<ul>\n");
	for (i = 0; rc == PKS_OK && i < m->nlinks; i++) {
		rc = buf_adds(out, "<li>");
		if (rc == PKS_OK)
			rc = hkp_html_escapes(
			    out, m->nodes[m->links[i].from].url);
		if (rc == PKS_OK)
			rc = buf_printf(out, " &rarr; ");
		if (rc == PKS_OK)
			rc =
			    hkp_html_escapes(out, m->nodes[m->links[i].to].url);
		if (rc == PKS_OK)
			rc = buf_printf(out, " (%s)</li>\n",
			    network_kind_name(m->links[i].kind));
	}
	return rc == PKS_OK ? buf_adds(out, "</ul>\n") : rc;
}

static enum pks_rc
trace_page(struct hkp_ctx *ctx, const char *hex, const struct network_map *m,
    struct buf *out)
{
	char when[40];
	enum pks_rc rc;

	rc = hkp_html_begin_refresh(
	    out, "Where is this key?", ctx->cfg->net_min_interval);
	if (rc == PKS_OK)
		rc = buf_printf(out,
		    "<p>Key <code>%s</code>: this server's version of it on "
		    "every keyserver reached from here. The page refreshes "
		    "itself; the network is asked at most every %d s.</p>\n",
		    hex, ctx->cfg->net_min_interval);
	if (rc == PKS_OK && m == NULL)
		return buf_adds(out,
		    "<p>The network is being mapped; the "
		    "answer comes with a later refresh.</p>\n" HKP_HTML_END);
	utc_text(m->taken, UTC_SECOND, "-", when, sizeof(when));
	if (rc == PKS_OK)
		rc = buf_printf(out,
		    "<p>Asked at %s UTC. Green: current; yellow: an older "
		    "version; red: missing; grey: unreachable. Blue lines "
		    "are recon links, dashed brown lines mail links.</p>\n"
		    "<figure>\n",
		    when);
	if (rc == PKS_OK)
		rc = network_render_svg(m, out);
	if (rc == PKS_OK)
		rc = buf_adds(out, "</figure>\n");
	if (rc == PKS_OK)
		rc = table(out, m);
	return rc == PKS_OK ? hkp_html_end(out) : rc;
}

enum pks_rc
hkp_trace(struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r)
{
	struct network_watch *w = hkp_ctx_watch(ctx);
	struct network_map *m = NULL;
	char hex[65];
	uint8_t bin[32], hash[16];
	size_t len;
	enum pks_rc rc;

	(void)q;
	if ((rc = trace_arg(ctx, hex, bin, &len)) != PKS_OK)
		return rc;
	if ((rc = local_hash(ctx, bin, len, hash)) != PKS_OK)
		return rc;
	if (w == NULL)
		return hkp_fail(ctx, PKS_ERR_UNSUPPORTED,
		    "the network map is off (see the log)");
	rc = network_watch_trace(w, hex, hash, &m);
	if (rc != PKS_OK && rc != PKS_ERR_BUSY) {
		network_map_free(m);
		return hkp_fail(ctx, rc, "the network could not be mapped");
	}
	r->type = "text/html; charset=utf-8";
	rc = trace_page(ctx, hex, m, &r->body);
	network_map_free(m);
	return rc == PKS_OK ? PKS_OK : hkp_fail(ctx, rc, NULL);
}
