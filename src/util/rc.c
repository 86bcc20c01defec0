/*
 * rc.c: names of results and their mapping to HTTP status codes and
 * sysexits codes.  The tables are the only place these mappings live.
 */
#include <config.h>

#include <sysexits.h>

#include "util/rc.h"

static const struct {
	const char *name;
	int http;
	int sysexit;
	int transient;
} table[] = {
	[PKS_OK] = { "ok", 200, EX_OK, 0 },
	[PKS_ERR_PARSE] = { "malformed input", 400, EX_DATAERR, 0 },
	[PKS_ERR_TOOBIG] = { "input too large", 413, EX_DATAERR, 0 },
	[PKS_ERR_NOTFOUND] = { "not found", 404, EX_NOINPUT, 0 },
	[PKS_ERR_TOOMANY] = { "too many matches", 400, EX_DATAERR, 0 },
	[PKS_ERR_UNSUPPORTED] = { "not supported", 501, EX_UNAVAILABLE, 0 },
	[PKS_ERR_REFUSED] = { "refused", 403, EX_NOPERM, 0 },
	[PKS_ERR_GONE] = { "removed", 410, EX_NOINPUT, 0 },
	[PKS_ERR_NOMEM] = { "out of memory", 503, EX_TEMPFAIL, 1 },
	[PKS_ERR_IO] = { "I/O error", 503, EX_TEMPFAIL, 1 },
	[PKS_ERR_BUSY] = { "database busy", 503, EX_TEMPFAIL, 1 },
	[PKS_ERR_FULL] = { "disk full", 503, EX_TEMPFAIL, 1 },
	[PKS_ERR_DB] = { "database error", 500, EX_SOFTWARE, 0 },
	[PKS_ERR_CONFIG] = { "configuration error", 500, EX_CONFIG, 0 },
	[PKS_ERR_INTERNAL] = { "internal error", 500, EX_SOFTWARE, 0 },
};

#define NRC (sizeof(table) / sizeof(table[0]))

const char *
pks_rc_str(enum pks_rc rc)
{
	if ((size_t)rc >= NRC)
		return "unknown error";
	return table[rc].name;
}

int
pks_rc_http(enum pks_rc rc)
{
	if ((size_t)rc >= NRC)
		return 500;
	return table[rc].http;
}

int
pks_rc_sysexit(enum pks_rc rc)
{
	if ((size_t)rc >= NRC)
		return EX_SOFTWARE;
	return table[rc].sysexit;
}

int
pks_rc_transient(enum pks_rc rc)
{
	if ((size_t)rc >= NRC)
		return 0;
	return table[rc].transient;
}

enum pks_rc
pks_fail(struct pks_err *err, size_t off, const char *why, enum pks_rc rc)
{
	if (err != NULL) {
		err->off = off;
		err->why = why;
	}
	return rc;
}
