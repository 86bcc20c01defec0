/*
 * json.c: JSON string escaping with UTF-8 validation, shared by the
 * HKP answers and the stats renderers.
 */
#include <config.h>

#include "util/json.h"
#include "util/utf8.h"

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
		n = utf8_seq(p + i, len - i);
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
