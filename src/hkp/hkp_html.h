/*
 * hkp_html.h: the small HTML pages of the HKP server, and JSON strings.
 *
 * Every text that comes from a user (search terms, user IDs, config
 * strings) goes through hkp_html_escape() or hkp_json_string().  Both
 * replace invalid UTF-8 and control characters (except tab and newline
 * in HTML) by U+FFFD, so a page is always valid UTF-8.  The HTML
 * escaping is util/xml.h's xml_escape(), shared with the SVG pictures.
 * Pure: no I/O.
 */
#ifndef PKS_HKP_HTML_H
#define PKS_HKP_HTML_H

#include <stddef.h>

#include "util/buf.h"
#include "util/rc.h"

/* Append s[0..len) with & < > " ' escaped.  PKS_ERR_TOOBIG at the cap. */
enum pks_rc hkp_html_escape(struct buf *out, const void *s, size_t len);

/* The same for a C string. */
enum pks_rc hkp_html_escapes(struct buf *out, const char *s);

/* before, s escaped, after (before and after are markup, written as
 * they are): a table cell is hkp_html_wrap(out, "<td>", v, "</td>"). */
enum pks_rc hkp_html_wrap(
    struct buf *out, const char *before, const char *s, const char *after);

/* One table row: <tr> (<tr class="cls"> unless cls is NULL; cls is
 * markup), each of cells[0..n) escaped as <td>..</td>, "</tr>\n". */
enum pks_rc hkp_html_row(
    struct buf *out, const char *cls, const char *const *cells, size_t n);

/* Append s[0..len) as a quoted JSON string ("\"...\""). */
enum pks_rc hkp_json_string(struct buf *out, const void *s, size_t len);

/*
 * The stylesheet every page links to (hkp_pages.c serves it at the path
 * without the query).  The version in the query lets it be cached for
 * long: a new release is a new URL.
 */
#define HKP_STYLE_PATH "/pks/style.css"
#define HKP_STYLE_URL HKP_STYLE_PATH "?v=" PACKAGE_VERSION

/* The page on how keys travel, with a picture of the peers. */
#define HKP_SYNC_PATH "/pks/sync"

/* Page head: doctype, charset, viewport, the stylesheet, the title
 * (escaped) as title, the links to the front, stats and sync pages,
 * the title again as h1. */
enum pks_rc hkp_html_begin(struct buf *out, const char *title);

/* The same with a <meta http-equiv="refresh"> of refresh seconds in the
 * head (a page that follows something as it happens, without script). */
enum pks_rc hkp_html_begin_refresh(
    struct buf *out, const char *title, int refresh);

/* What hkp_html_end() appends. */
#define HKP_HTML_END "</body>\n</html>\n"

/* Page foot. */
enum pks_rc hkp_html_end(struct buf *out);

#endif
