/*
 * hkp_html.c: HTML and JSON escaping and the page frame (head with
 * the shared stylesheet, the links at the top of every page).
 */
#include <config.h>

#include <string.h>

#include "hkp/hkp_html.h"

#define REPLACEMENT "\xef\xbf\xbd"

static int
cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

size_t
hkp_utf8_seq(const unsigned char *s, size_t len)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (!cont(s[i]))
			return 0;
	return n;
}

static const char *
html_entity(unsigned char c)
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
hkp_html_escape(struct buf *out, const void *s, size_t len)
{
	const unsigned char *p = s;
	const char *ent;
	size_t i = 0, n;
	enum pks_rc rc = PKS_OK;

	while (i < len && rc == PKS_OK) {
		n = hkp_utf8_seq(p + i, len - i);
		ent = html_entity(p[i]);
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
hkp_html_escapes(struct buf *out, const char *s)
{
	return hkp_html_escape(out, s, strlen(s));
}

static enum pks_rc
json_char(struct buf *out, unsigned char c)
{
	switch (c) {
	case '"':
		return buf_adds(out, "\\\"");
	case '\\':
		return buf_adds(out, "\\\\");
	case '\n':
		return buf_adds(out, "\\n");
	case '\r':
		return buf_adds(out, "\\r");
	case '\t':
		return buf_adds(out, "\\t");
	default:
		if (c < 0x20 || c == 0x7f)
			return buf_printf(out, "\\u%04x", c);
		return buf_addc(out, c);
	}
}

enum pks_rc
hkp_json_string(struct buf *out, const void *s, size_t len)
{
	const unsigned char *p = s;
	size_t i = 0, n;
	enum pks_rc rc;

	rc = buf_addc(out, '"');
	while (i < len && rc == PKS_OK) {
		n = hkp_utf8_seq(p + i, len - i);
		if (n == 0) {
			rc = buf_adds(out, "\\ufffd");
			n = 1;
		} else if (n == 1) {
			rc = json_char(out, p[i]);
		} else {
			rc = buf_add(out, p + i, n);
		}
		i += n;
	}
	if (rc == PKS_OK)
		rc = buf_addc(out, '"');
	return rc;
}

/* The links at the top of every page: {href, label}. */
static const char *const nav[][2] = {
	{ "/", "Search" },
	{ "/pks/lookup?op=stats", "Statistics" },
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
