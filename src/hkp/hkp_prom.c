/*
 * hkp_prom.c: the Prometheus text format writer (escaping, samples,
 * histograms with cumulative buckets).
 */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hkp/hkp_prom.h"
#include "util/utf8.h"

/* U+FFFD REPLACEMENT CHARACTER in UTF-8. */
#define REPLACEMENT "\xef\xbf\xbd"

/* One ASCII byte of a label value. */
static enum pks_rc
esc_ascii(struct buf *out, unsigned char c)
{
	if (c == '\\')
		return buf_adds(out, "\\\\");
	if (c == '"')
		return buf_adds(out, "\\\"");
	if (c == '\n')
		return buf_adds(out, "\\n");
	if (c < 0x20 || c == 0x7f)
		return buf_adds(out, REPLACEMENT);
	return buf_addc(out, c);
}

static enum pks_rc
esc_value(struct buf *out, const char *v)
{
	const unsigned char *s = (const unsigned char *)v;
	enum pks_rc rc = PKS_OK;
	size_t left = strlen(v), n;

	while (left > 0 && rc == PKS_OK) {
		if (*s < 0x80) {
			rc = esc_ascii(out, *s);
			n = 1;
		} else if ((n = utf8_seq(s, left)) == 0) {
			rc = buf_adds(out, REPLACEMENT);
			n = 1;
		} else {
			rc = buf_add(out, s, n);
		}
		s += n;
		left -= n;
	}
	return rc;
}

enum pks_rc
prom_head(struct buf *out, const char *name, const char *type, const char *help)
{
	enum pks_rc rc;

	rc = buf_printf(out, "# HELP %s ", name);
	for (; rc == PKS_OK && *help != '\0'; help++) {
		if (*help == '\\')
			rc = buf_adds(out, "\\\\");
		else if (*help == '\n')
			rc = buf_adds(out, "\\n");
		else
			rc = buf_addc(out, (uint8_t)*help);
	}
	if (rc == PKS_OK)
		rc = buf_printf(out, "\n# TYPE %s %s\n", name, type);
	return rc;
}

/* "name{a="x",b="y"} " (no braces without labels). */
static enum pks_rc
sample_start(
    struct buf *out, const char *name, const struct prom_label *l, size_t nl)
{
	enum pks_rc rc;
	size_t i;

	rc = buf_adds(out, name);
	for (i = 0; rc == PKS_OK && i < nl; i++) {
		rc = buf_printf(out, "%s%s=\"", i == 0 ? "{" : ",", l[i].name);
		if (rc == PKS_OK)
			rc = esc_value(out, l[i].value);
		if (rc == PKS_OK)
			rc = buf_addc(out, '"');
	}
	if (rc == PKS_OK && nl > 0)
		rc = buf_addc(out, '}');
	if (rc == PKS_OK)
		rc = buf_addc(out, ' ');
	return rc;
}

enum pks_rc
prom_int(struct buf *out, const char *name, const struct prom_label *l,
    size_t nl, int64_t v)
{
	enum pks_rc rc = sample_start(out, name, l, nl);

	return rc != PKS_OK ? rc : buf_printf(out, "%lld\n", (long long)v);
}

enum pks_rc
prom_double(struct buf *out, const char *name, const struct prom_label *l,
    size_t nl, double v)
{
	enum pks_rc rc = sample_start(out, name, l, nl);

	if (rc != PKS_OK)
		return rc;
	if (isnan(v))
		return buf_adds(out, "NaN\n");
	if (isinf(v))
		return buf_adds(out, v > 0 ? "+Inf\n" : "-Inf\n");
	return buf_printf(out, "%.15g\n", v);
}

/* Suffixed name into dst ("name_bucket"...). */
static void
suffixed(char *dst, size_t size, const char *name, const char *suffix)
{
	snprintf(dst, size, "%s%s", name, suffix);
}

enum pks_rc
prom_histogram(struct buf *out, const char *name, const struct prom_label *l,
    size_t nl, const struct prom_hist *h)
{
	struct prom_label lb[PROM_MAX_LABELS + 1];
	char full[128], le[32];
	uint64_t cum = 0;
	enum pks_rc rc = PKS_OK;
	size_t i;

	if (nl > PROM_MAX_LABELS || strlen(name) + 8 >= sizeof(full))
		return PKS_ERR_INTERNAL;
	if (nl > 0)
		memcpy(lb, l, nl * sizeof(*l));
	lb[nl].name = "le";
	lb[nl].value = le;
	suffixed(full, sizeof(full), name, "_bucket");
	for (i = 0; rc == PKS_OK && i <= h->nb; i++) {
		cum += h->counts[i];
		if (i < h->nb)
			snprintf(le, sizeof(le), "%g", h->bounds[i]);
		else
			snprintf(le, sizeof(le), "+Inf");
		rc = prom_int(out, full, lb, nl + 1, (int64_t)cum);
	}
	suffixed(full, sizeof(full), name, "_sum");
	if (rc == PKS_OK)
		rc = prom_double(out, full, l, nl, h->sum);
	suffixed(full, sizeof(full), name, "_count");
	if (rc == PKS_OK)
		rc = prom_int(out, full, l, nl, (int64_t)cum);
	return rc;
}
