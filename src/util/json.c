/*
 * json.c: JSON string escaping with UTF-8 validation, shared by the
 * HKP answers and the stats renderers.
 */
#include <config.h>

#include "util/json.h"

static int
cont(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

size_t
json_utf8_seq(const unsigned char *s, size_t len)
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
json_string(struct buf *out, const void *s, size_t len)
{
	const unsigned char *p = s;
	size_t i = 0, n;
	enum pks_rc rc;

	rc = buf_addc(out, '"');
	while (i < len && rc == PKS_OK) {
		n = json_utf8_seq(p + i, len - i);
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
