/*
 * hkp_prom.h: writing the Prometheus text exposition format, version
 * 0.0.4 (Content-Type "text/plain; version=0.0.4; charset=utf-8").
 *
 * A family is its "# HELP" and "# TYPE" lines followed by its samples,
 * one "name{label="value",...} number" line each.  Metric and label
 * names are the caller's constants (not checked); label values come
 * from configuration and peers, so they are escaped: backslash, double
 * quote and newline as \\, \" and \n; bytes that are not UTF-8 and other
 * control characters become U+FFFD.  Pure: text into a struct buf (whose
 * cap gives PKS_ERR_TOOBIG).
 */
#ifndef PKS_HKP_PROM_H
#define PKS_HKP_PROM_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/rc.h"

/* Labels of one sample, at most PROM_MAX_LABELS (a histogram adds le). */
#define PROM_MAX_LABELS 7

struct prom_label {
	const char *name;  /* [a-zA-Z_][a-zA-Z0-9_]* */
	const char *value; /* any bytes, NUL-terminated */
};

/* "# HELP name help" (help escaped: \\ and \n) and "# TYPE name type"
 * (counter, gauge, histogram). */
enum pks_rc prom_head(
    struct buf *out, const char *name, const char *type, const char *help);

/* One sample with labels l[0..nl) and an integer or a float value
 * (floats as %.15g; infinities as +Inf and -Inf, NaN as NaN). */
enum pks_rc prom_int(struct buf *out, const char *name,
    const struct prom_label *l, size_t nl, int64_t v);
enum pks_rc prom_double(struct buf *out, const char *name,
    const struct prom_label *l, size_t nl, double v);

/*
 * One histogram: bounds[0..nb) are the ascending upper bounds of the
 * buckets, counts[0..nb] the observations that fell in each bucket (not
 * cumulative; counts[nb] above the last bound), sum the sum of the
 * observed values.  Writes name_bucket lines with cumulative counts and
 * an le label (the bound as %g, then "+Inf"), name_sum and name_count
 * (the +Inf count), each with labels l[0..nl) first.
 */
struct prom_hist {
	const double *bounds;
	const uint64_t *counts;
	size_t nb;
	double sum;
};
enum pks_rc prom_histogram(struct buf *out, const char *name,
    const struct prom_label *l, size_t nl, const struct prom_hist *h);

#endif
