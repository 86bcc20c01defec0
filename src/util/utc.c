/*
 * utc.c: Unix times as UTC text.
 */
#include <config.h>

#include <stdio.h>
#include <time.h>

#include "util/utc.h"

const char *
utc_text(int64_t t, const char *fmt, const char *none, char *out, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (n == 0)
		return out;
		/* fmt is checked at every call site (format(strftime) in
		 * utc.h). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (t <= 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, n, fmt, &tm) == 0)
		snprintf(out, n, "%s", none);
#pragma GCC diagnostic pop
	return out;
}
