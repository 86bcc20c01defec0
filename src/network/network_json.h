/*
 * network_json.h: a small bounded JSON reader for the stats pages of
 * other keyservers (pksync's and Hockeypuck's op=stats&options=mr).
 *
 * It builds a tree of values from untrusted bytes with fixed limits on
 * nesting (NETWORK_JSON_MAX_DEPTH) and on the number of values
 * (NETWORK_JSON_MAX_NODES); past either the parse fails.  Strings are
 * decoded (\uXXXX to UTF-8; a NUL is kept out).  Pure: no I/O.  Fuzzed
 * through tests/fuzz/fuzz_network_stats.c.
 */
#ifndef PKS_NETWORK_JSON_H
#define PKS_NETWORK_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "util/rc.h"

#define NETWORK_JSON_MAX_DEPTH 16
#define NETWORK_JSON_MAX_NODES 200000u

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUM, JSON_STR, JSON_ARR, JSON_OBJ };

struct json_val {
	enum json_type type;
	double num;             /* JSON_NUM, JSON_BOOL (0/1) */
	char *str;              /* JSON_STR: NUL-terminated */
	char *key;              /* member name inside an object, or NULL */
	struct json_val *child; /* first element or member */
	struct json_val *next;  /* next sibling */
};

/*
 * Parse p[0..len) as one JSON value (white space around it allowed).
 * *out is owned by the caller (json_free).  PKS_ERR_PARSE (err says
 * where), PKS_ERR_TOOBIG past the limits.
 */
enum pks_rc json_parse(
    const uint8_t *p, size_t len, struct json_val **out, struct pks_err *err);

void json_free(struct json_val *v);

/* The member name of object o (case-sensitive), or NULL.  Borrowed. */
const struct json_val *json_get(const struct json_val *o, const char *name);

/* The member's string, or NULL when absent or not a string. */
const char *json_get_str(const struct json_val *o, const char *name);

#endif
