/*
 * xml.h: escaping text for HTML, SVG and XML, and the one piece of SVG
 * drawn by more than one page: a node (a dot, an optional line to it,
 * up to two labels), used by the sync page (hkp) and the network map
 * (network).
 *
 * Every text from outside (user IDs, peer names, other servers' strings)
 * goes through xml_escape(): & < > " ' become entities, invalid UTF-8
 * and control characters (except tab and newline) become U+FFFD, so
 * what is written is always valid UTF-8 and never markup.  Pure: no I/O.
 */
#ifndef PKS_UTIL_XML_H
#define PKS_UTIL_XML_H

#include <stddef.h>

#include "util/buf.h"
#include "util/rc.h"

/* Append s[0..len) escaped.  Errors: PKS_ERR_TOOBIG (out's cap). */
enum pks_rc xml_escape(struct buf *out, const void *s, size_t len);

/* The same for a C string. */
enum pks_rc xml_escapes(struct buf *out, const char *s);

/* At most max bytes of s escaped, then "..." if s was longer (a label
 * that must stay short; a cut UTF-8 sequence becomes U+FFFD). */
enum pks_rc xml_escape_cut(struct buf *out, const char *s, size_t max);

/* One line of text in an SVG picture. */
struct svg_label {
	int x, y;
	const char *anchor; /* text-anchor: start, middle, end */
	int font_size;      /* 0: inherited */
	const char *lead;   /* markup written before the text, as it is */
	const char *text;   /* escaped; NULL: no label */
	size_t max;         /* 0: all of text, else xml_escape_cut() */
};

/* <text x=.. y=.. text-anchor=.. [font-size=..]>lead text</text> */
enum pks_rc svg_text(struct buf *out, const struct svg_label *l);

/* A node: a dot at (x, y) of radius r, with its labels. */
struct svg_node {
	int x, y, r;
	const char *fill;
	const char *stroke; /* the dot's outline; NULL: none */
	const char *cls;    /* the group's class; NULL: none */
	int line;           /* 1: a line from (from_x, from_y) in fill */
	int from_x, from_y;
	struct svg_label label[2]; /* label[i].text NULL: not drawn */
};

/* <g>[<line/>]<circle/> and the labels, one a line, then </g>. */
enum pks_rc svg_node(struct buf *out, const struct svg_node *n);

#endif
