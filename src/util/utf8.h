/*
 * utf8.h: recognising valid UTF-8 in bytes of unknown origin (user IDs,
 * mail, peers' pages), for every place that escapes or cuts text.
 */
#ifndef PKS_UTIL_UTF8_H
#define PKS_UTIL_UTF8_H

#include <stddef.h>

/* Length (1..4) of the valid UTF-8 sequence at s[0..len), 0 if s does
 * not start with one (overlong forms, surrogates and code points past
 * U+10FFFF are invalid).  len must be at least 1. */
size_t utf8_seq(const unsigned char *s, size_t len);

#endif
