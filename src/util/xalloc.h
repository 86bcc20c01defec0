/*
 * xalloc.h: allocation that never returns NULL.  On out-of-memory these
 * log and exit (the OpenSMTPD rule); request input never reaches here
 * with an unbounded size, because every buffer has a cap (limits.h).
 * All results are owned by the caller and released with free().
 */
#ifndef PKS_UTIL_XALLOC_H
#define PKS_UTIL_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xreallocarray(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xmemdup(const void *p, size_t n);
/* printf into a new string. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
