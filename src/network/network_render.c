/*
 * network_render.c: a network map as JSON, Graphviz DOT and SVG
 * (network.h).  Strings from other servers (software, version) are
 * escaped for each format: in JSON and DOT bytes outside printable
 * ASCII become '?'; the SVG's servers are util/xml.h's nodes, their
 * labels escaped by xml_escape() (invalid UTF-8 and control characters
 * become U+FFFD), so the output is always valid UTF-8.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "network/network.h"
#include "util/utc.h"
#include "util/xml.h"

/* The SVG picture: a square, servers on a circle. */
#define SVG_SIZE 640
#define SVG_RADIUS 230
#define PI 3.14159265358979323846

static char
safe(char c)
{
	return c >= 0x20 && c < 0x7f ? c : '?';
}

static enum pks_rc
json_str(struct buf *out, const char *s)
{
	enum pks_rc rc = buf_addc(out, '"');

	for (; rc == PKS_OK && *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			rc = buf_addc(out, '\\');
		if (rc == PKS_OK)
			rc = buf_addc(out, (uint8_t)safe(*s));
	}
	return rc == PKS_OK ? buf_addc(out, '"') : rc;
}

/* "name":"value", with a comma before unless first. */
static enum pks_rc
json_field(struct buf *out, const char *name, const char *value, int first)
{
	enum pks_rc rc;

	rc = buf_printf(out, "%s\"%s\":", first ? "" : ",", name);
	return rc == PKS_OK ? json_str(out, value) : rc;
}

static enum pks_rc
json_node_trace(struct buf *out, const struct network_node *nd)
{
	enum pks_rc rc;

	rc =
	    buf_printf(out, ",\"state\":\"%s\"", network_state_name(nd->state));
	if (rc == PKS_OK && nd->first_seen > 0)
		rc = buf_printf(
		    out, ",\"firstSeen\":%lld", (long long)nd->first_seen);
	return rc;
}

static enum pks_rc
json_node(
    struct buf *out, const struct network_map *m, const struct network_node *nd)
{
	enum pks_rc rc;

	rc = buf_addc(out, '{');
	if (rc == PKS_OK)
		rc = json_field(out, "url", nd->url, 1);
	if (rc == PKS_OK)
		rc = json_field(out, "software", nd->software, 0);
	if (rc == PKS_OK)
		rc = json_field(out, "version", nd->version, 0);
	if (rc == PKS_OK)
		rc = nd->keys >= 0 ? buf_printf(out, ",\"keys\":%lld",
					 (long long)nd->keys)
				   : buf_adds(out, ",\"keys\":null");
	if (rc == PKS_OK)
		rc = buf_printf(out, ",\"reachable\":%s,\"depth\":%d",
		    nd->reachable ? "true" : "false", nd->depth);
	if (rc == PKS_OK)
		rc = json_field(out, "note", nd->note, 0);
	if (rc == PKS_OK && m->fpr[0] != '\0')
		rc = json_node_trace(out, nd);
	return rc == PKS_OK ? buf_addc(out, '}') : rc;
}

static enum pks_rc
json_links(const struct network_map *m, struct buf *out)
{
	enum pks_rc rc = PKS_OK;
	size_t i;

	for (i = 0; rc == PKS_OK && i < m->nlinks; i++) {
		rc = buf_adds(out, i > 0 ? ",{" : "{");
		if (rc == PKS_OK)
			rc = json_field(
			    out, "from", m->nodes[m->links[i].from].url, 1);
		if (rc == PKS_OK)
			rc = json_field(
			    out, "to", m->nodes[m->links[i].to].url, 0);
		if (rc == PKS_OK)
			rc = buf_printf(out, ",\"kind\":\"%s\"}",
			    network_kind_name(m->links[i].kind));
	}
	return rc;
}

enum pks_rc
network_render_json(const struct network_map *m, struct buf *out)
{
	enum pks_rc rc;
	size_t i;

	rc = buf_printf(out, "{\"taken\":%lld,", (long long)m->taken);
	if (rc == PKS_OK && m->fpr[0] != '\0')
		rc = buf_printf(out, "\"fingerprint\":\"%s\",", m->fpr);
	if (rc == PKS_OK)
		rc = buf_printf(
		    out, "\"dropped\":%zu,\"servers\":[", m->dropped);
	for (i = 0; rc == PKS_OK && i < m->n; i++) {
		if (i > 0)
			rc = buf_addc(out, ',');
		if (rc == PKS_OK)
			rc = json_node(out, m, &m->nodes[i]);
	}
	if (rc == PKS_OK)
		rc = buf_adds(out, "],\"links\":[");
	if (rc == PKS_OK)
		rc = json_links(m, out);
	return rc == PKS_OK ? buf_adds(out, "]}\n") : rc;
}

enum pks_rc
network_render_dot(const struct network_map *m, struct buf *out)
{
	const struct network_node *nd;
	enum pks_rc rc;
	size_t i;

	rc = buf_adds(out, "digraph keyservers {\n");
	for (i = 0; rc == PKS_OK && i < m->n; i++) {
		nd = &m->nodes[i];
		rc = buf_printf(out, "  n%zu [label=", i);
		if (rc == PKS_OK)
			rc = json_str(out, nd->url);
		if (rc == PKS_OK)
			rc = buf_printf(out, ", style=%s%s%s];\n",
			    nd->reachable ? "solid" : "dashed",
			    m->fpr[0] ? ", xlabel=" : "",
			    m->fpr[0] ? network_state_name(nd->state) : "");
	}
	for (i = 0; rc == PKS_OK && i < m->nlinks; i++)
		rc = buf_printf(out, "  n%zu -> n%zu [label=\"%s\"%s];\n",
		    m->links[i].from, m->links[i].to,
		    network_kind_name(m->links[i].kind),
		    m->links[i].kind == NETWORK_MAIL ? ", style=dashed" : "");
	return rc == PKS_OK ? buf_adds(out, "}\n") : rc;
}

static const char *
fill(const struct network_map *m, const struct network_node *nd)
{
	if (m->fpr[0] == '\0')
		return nd->reachable ? "#cde" : "#ddd";
	switch (nd->state) {
	case NETWORK_CURRENT:
		return "#7c7";
	case NETWORK_OLDER:
		return "#fc6";
	case NETWORK_MISSING:
		return "#f88";
	default:
		return "#ccc";
	}
}

/* sin and cos of a (radians, 0 <= a < 2 pi) by their series after
 * folding a into [-pi, pi]: enough for placing dots. */
static void
sincos_approx(double a, double *s, double *c)
{
	double term_s, term_c, a2;
	int k;

	if (a > PI)
		a -= 2 * PI;
	a2 = a * a;
	term_s = a, term_c = 1;
	*s = a, *c = 1;
	for (k = 1; k < 12; k++) {
		term_s *= -a2 / ((2 * k) * (2 * k + 1));
		term_c *= -a2 / ((2 * k - 1) * (2 * k));
		*s += term_s;
		*c += term_c;
	}
}

/* Where node i sits: on a circle, the first at the top. */
static void
pos(const struct network_map *m, size_t i, int *x, int *y)
{
	double a = m->n > 0 ? 2 * PI * (double)i / (double)m->n : 0, s, c;

	sincos_approx(a, &s, &c);
	*x = SVG_SIZE / 2 + (int)(SVG_RADIUS * s + 0.5);
	*y = SVG_SIZE / 2 - (int)(SVG_RADIUS * c - 0.5);
}

static enum pks_rc
svg_links(const struct network_map *m, struct buf *out)
{
	enum pks_rc rc = PKS_OK;
	int x1, y1, x2, y2;
	size_t i;

	for (i = 0; rc == PKS_OK && i < m->nlinks; i++) {
		pos(m, m->links[i].from, &x1, &y1);
		pos(m, m->links[i].to, &x2, &y2);
		rc = buf_printf(out,
		    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		    "class=\"%s\" stroke=\"%s\" stroke-width=\"2\"%s "
		    "marker-end=\"url(#arrow)\"><title>%s "
		    "link</title></line>\n",
		    x1, y1, x2, y2, network_kind_name(m->links[i].kind),
		    m->links[i].kind == NETWORK_MAIL ? "#a50" : "#36a",
		    m->links[i].kind == NETWORK_MAIL
			? " stroke-dasharray=\"6 4\""
			: "",
		    network_kind_name(m->links[i].kind));
	}
	return rc;
}

static enum pks_rc
svg_server(const struct network_map *m, size_t i, struct buf *out)
{
	const struct network_node *nd = &m->nodes[i];
	const char *state = m->fpr[0] != '\0' ? network_state_name(nd->state)
			    : nd->reachable   ? "reachable"
					      : "unreachable";
	char cls[64], lead[64];
	struct svg_node n = {
		.r = 18, .fill = fill(m, nd), .stroke = "#333", .cls = cls
	};

	pos(m, i, &n.x, &n.y);
	snprintf(cls, sizeof(cls), "server %s", state);
	snprintf(lead, sizeof(lead), "%s%s", state,
	    nd->software[0] != '\0' ? " \xc2\xb7 " : "");
	n.label[0] =
	    (struct svg_label){ n.x, n.y + 32, "middle", 11, NULL, nd->url, 0 };
	n.label[1] = (struct svg_label){ n.x, n.y + 45, "middle", 10, lead,
		nd->software, 0 };
	return svg_node(out, &n);
}

enum pks_rc
network_render_svg(const struct network_map *m, struct buf *out)
{
	enum pks_rc rc;
	size_t i;

	rc = buf_printf(out,
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"keyserver network\">\n<defs><marker id=\"arrow\" "
	    "viewBox=\"0 0 10 10\" refX=\"28\" refY=\"5\" markerWidth=\"6\" "
	    "markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 "
	    "z\" fill=\"#555\"/></marker></defs>\n",
	    SVG_SIZE, SVG_SIZE + 40, SVG_SIZE, SVG_SIZE + 40);
	if (rc == PKS_OK)
		rc = svg_links(m, out);
	for (i = 0; rc == PKS_OK && i < m->n; i++)
		rc = svg_server(m, i, out);
	return rc == PKS_OK ? buf_adds(out, "</svg>\n") : rc;
}
