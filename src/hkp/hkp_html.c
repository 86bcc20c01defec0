/*
 * hkp_html.c: HTML escaping (util/xml.h's, the one escaper of every
 * page and picture), table rows, and the page frame (head with the
 * shared stylesheet, the links at the top of every page).
 */
#include <config.h>

#include <string.h>

#include "hkp/hkp_html.h"
#include "util/json.h"
#include "util/xml.h"

enum pks_rc
hkp_html_escape(struct buf *out, const void *s, size_t len)
{
	return xml_escape(out, s, len);
}

enum pks_rc
hkp_html_escapes(struct buf *out, const char *s)
{
	return xml_escapes(out, s);
}

enum pks_rc
hkp_html_wrap(
    struct buf *out, const char *before, const char *s, const char *after)
{
	enum pks_rc rc = buf_adds(out, before);

	if (rc == PKS_OK)
		rc = hkp_html_escapes(out, s);
	return rc == PKS_OK ? buf_adds(out, after) : rc;
}

enum pks_rc
hkp_html_row(
    struct buf *out, const char *cls, const char *const *cells, size_t n)
{
	enum pks_rc rc;
	size_t i;

	rc = cls != NULL ? buf_printf(out, "<tr class=\"%s\">", cls)
			 : buf_adds(out, "<tr>");
	for (i = 0; i < n && rc == PKS_OK; i++)
		rc = hkp_html_wrap(out, "<td>", cells[i], "</td>");
	return rc == PKS_OK ? buf_adds(out, "</tr>\n") : rc;
}

enum pks_rc
hkp_json_string(struct buf *out, const void *s, size_t len)
{
	return json_string(out, s, len);
}

/* The links at the top of every page: {href, label}. */
static const char *const nav[][2] = {
	{ "/", "Search" },
	{ "/pks/lookup?op=stats", "Statistics" },
	{ HKP_SYNC_PATH, "Synchronisation" },
};

static enum pks_rc
html_nav(struct buf *out)
{
	size_t i;
	enum pks_rc rc;

	rc = buf_adds(out, "<nav>");
	for (i = 0; i < sizeof(nav) / sizeof(nav[0]) && rc == PKS_OK; i++)
		rc = buf_printf(
		    out, "<a href=\"%s\">%s</a>\n", nav[i][0], nav[i][1]);
	if (rc == PKS_OK)
		rc = buf_adds(out, "</nav>\n");
	return rc;
}

enum pks_rc
hkp_html_begin(struct buf *out, const char *title)
{
	return hkp_html_begin_refresh(out, title, 0);
}

enum pks_rc
hkp_html_begin_refresh(struct buf *out, const char *title, int refresh)
{
	enum pks_rc rc;

	rc = buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
			   "<meta charset=\"utf-8\">\n");
	if (rc == PKS_OK && refresh > 0)
		rc = buf_printf(out,
		    "<meta http-equiv=\"refresh\" content=\"%d\">\n", refresh);
	if (rc == PKS_OK)
		rc = buf_adds(out,
		    "<meta name=\"viewport\" "
		    "content=\"width=device-width, initial-scale=1\">\n"
		    "<link rel=\"stylesheet\" href=\"" HKP_STYLE_URL
		    "\">\n<title>");
	if (rc == PKS_OK)
		rc = hkp_html_escapes(out, title);
	if (rc == PKS_OK)
		rc = buf_adds(out, "</title>\n</head>\n<body>\n");
	if (rc == PKS_OK)
		rc = html_nav(out);
	if (rc == PKS_OK)
		rc = buf_adds(out, "<h1>");
	if (rc == PKS_OK)
		rc = hkp_html_escapes(out, title);
	if (rc == PKS_OK)
		rc = buf_adds(out, "</h1>\n");
	return rc;
}

enum pks_rc
hkp_html_end(struct buf *out)
{
	return buf_adds(out, HKP_HTML_END);
}
