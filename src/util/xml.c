/*
 * xml.c: XML/HTML escaping and the SVG node (xml.h).
 */
#include <config.h>

#include <string.h>

#include "util/utf8.h"
#include "util/xml.h"

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
#define REPLACEMENT "\xef\xbf\xbd"

static const char *
entity(unsigned char c)
{
	switch (c) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

enum pks_rc
xml_escape(struct buf *out, const void *s, size_t len)
{
	const unsigned char *p = s;
	const char *ent;
	size_t i = 0, n;
	enum pks_rc rc = PKS_OK;

	while (i < len && rc == PKS_OK) {
		n = utf8_seq(p + i, len - i);
		ent = entity(p[i]);
		if (n == 0) {
			rc = buf_adds(out, REPLACEMENT);
			n = 1;
		} else if (ent != NULL) {
			rc = buf_adds(out, ent);
		} else if ((p[i] < 0x20 && p[i] != '\n' && p[i] != '\t') ||
			   p[i] == 0x7f) {
			rc = buf_adds(out, REPLACEMENT);
		} else {
			rc = buf_add(out, p + i, n);
		}
		i += n;
	}
	return rc;
}

enum pks_rc
xml_escapes(struct buf *out, const char *s)
{
	return xml_escape(out, s, strlen(s));
}

enum pks_rc
xml_escape_cut(struct buf *out, const char *s, size_t max)
{
	size_t n = strlen(s);
	enum pks_rc rc;

	rc = xml_escape(out, s, n > max ? max : n);
	if (rc == PKS_OK && n > max)
		rc = buf_adds(out, "...");
	return rc;
}

enum pks_rc
svg_text(struct buf *out, const struct svg_label *l)
{
	enum pks_rc rc;

	rc = buf_printf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\"", l->x,
	    l->y, l->anchor);
	if (rc == PKS_OK && l->font_size > 0)
		rc = buf_printf(out, " font-size=\"%d\"", l->font_size);
	if (rc == PKS_OK)
		rc = buf_printf(out, ">%s", l->lead != NULL ? l->lead : "");
	if (rc == PKS_OK)
		rc = l->max > 0 ? xml_escape_cut(out, l->text, l->max)
				: xml_escapes(out, l->text);
	return rc == PKS_OK ? buf_adds(out, "</text>") : rc;
}

enum pks_rc
svg_node(struct buf *out, const struct svg_node *n)
{
	enum pks_rc rc;
	size_t i;

	rc = n->cls != NULL ? buf_printf(out, "<g class=\"%s\">", n->cls)
			    : buf_adds(out, "<g>");
	if (rc == PKS_OK && n->line)
		rc = buf_printf(out,
		    "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		    "stroke=\"%s\" stroke-width=\"2\"/>\n",
		    n->from_x, n->from_y, n->x, n->y, n->fill);
	if (rc == PKS_OK)
		rc = buf_printf(out,
		    "<circle cx=\"%d\" cy=\"%d\" r=\"%d\" fill=\"%s\"", n->x,
		    n->y, n->r, n->fill);
	if (rc == PKS_OK && n->stroke != NULL)
		rc = buf_printf(out, " stroke=\"%s\"", n->stroke);
	if (rc == PKS_OK)
		rc = buf_adds(out, "/>");
	for (i = 0; i < 2 && rc == PKS_OK; i++) {
		if (n->label[i].text == NULL)
			continue;
		rc = buf_addc(out, '\n');
		if (rc == PKS_OK)
			rc = svg_text(out, &n->label[i]);
	}
	return rc == PKS_OK ? buf_adds(out, "</g>\n") : rc;
}
