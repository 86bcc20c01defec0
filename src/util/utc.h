/*
 * utc.h: Unix times as UTC text, the one place pksync formats dates
 * for people (stats pages, listings, command output).
 */
#ifndef PKS_UTIL_UTC_H
#define PKS_UTIL_UTC_H

#include <stddef.h>
#include <stdint.h>

/* Formats for utc_text(). */
#define UTC_DAY "%Y-%m-%d"
#define UTC_SECOND "%Y-%m-%d %H:%M:%S"

/*
 * Write t (Unix seconds) formatted by strftime's fmt in UTC into out
 * (n bytes); t <= 0, or a time that cannot be shown, gives 'none'.
 * Returns out.
 */
const char *utc_text(int64_t t, const char *fmt, const char *none, char *out,
    size_t n) __attribute__((format(strftime, 2, 0)));

#endif
