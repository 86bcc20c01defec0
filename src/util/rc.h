/*
 * rc.h: the one result type of pksync, and parser error positions.
 *
 * Every function that can fail on input or I/O returns enum pks_rc, with
 * PKS_OK == 0.  Parsers also fill a struct pks_err with the byte offset
 * and a static reason string.  Two tables map a result to an HTTP status
 * (hkp) and to a sysexits code (mail-filter and the command line).
 */
#ifndef PKS_UTIL_RC_H
#define PKS_UTIL_RC_H

#include <stddef.h>

enum pks_rc {
	PKS_OK = 0,
	PKS_ERR_PARSE,       /* malformed input: never retried */
	PKS_ERR_TOOBIG,      /* input over a limit from limits.h */
	PKS_ERR_NOTFOUND,    /* nothing matched */
	PKS_ERR_TOOMANY,     /* a search matched more than allowed */
	PKS_ERR_UNSUPPORTED, /* valid but not handled (op, packet version) */
	PKS_ERR_REFUSED,     /* valid but refused by policy */
	PKS_ERR_GONE,        /* removed for good (pksync delete) */
	PKS_ERR_NOMEM,       /* out of memory: transient */
	PKS_ERR_IO,          /* read/write/socket error: transient */
	PKS_ERR_BUSY,        /* database locked or busy: transient */
	PKS_ERR_FULL,        /* disk full: transient */
	PKS_ERR_DB,          /* other database error */
	PKS_ERR_CONFIG,      /* bad configuration */
	PKS_ERR_INTERNAL     /* a broken invariant */
};

/* Where a parser stopped and why.  'why' points to a static string. */
struct pks_err {
	size_t off;
	const char *why;
};

/* Short English name of a result, e.g. "malformed input".  Static. */
const char *pks_rc_str(enum pks_rc rc);

/* HTTP status for a result: 200, 400, 404, 413, 500, 501, 503. */
int pks_rc_http(enum pks_rc rc);

/* sysexits code for a result: 0, EX_DATAERR, EX_TEMPFAIL, EX_CONFIG... */
int pks_rc_sysexit(enum pks_rc rc);

/* Nonzero when the failure is transient (worth a retry). */
int pks_rc_transient(enum pks_rc rc);

/* Record an error position and reason; returns rc for tail calls. */
enum pks_rc pks_fail(
    struct pks_err *err, size_t off, const char *why, enum pks_rc rc);

#endif
