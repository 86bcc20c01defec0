/*
 * clock.h: the monotonic clock in milliseconds, for deadlines and
 * timeouts (never for dates: utc.h formats those).
 */
#ifndef PKS_UTIL_CLOCK_H
#define PKS_UTIL_CLOCK_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC: only differences mean anything. */
int64_t clock_ms(void);

/* The same in microseconds (latencies). */
int64_t clock_us(void);

#endif
