/*
 * test_util.c: unit tests of src/util: result tables and buffers.
 */
#include <config.h>

#include <string.h>
#include <sysexits.h>

#include "tap.h"
#include "util/buf.h"
#include "util/rc.h"
#include "util/utc.h"

static void
test_rc_tables(void)
{
	CHECK(pks_rc_http(PKS_OK) == 200);
	CHECK(pks_rc_http(PKS_ERR_NOTFOUND) == 404);
	CHECK(pks_rc_http(PKS_ERR_TOOBIG) == 413);
	CHECK(pks_rc_http(PKS_ERR_UNSUPPORTED) == 501);
	CHECK(pks_rc_sysexit(PKS_ERR_BUSY) == EX_TEMPFAIL);
	CHECK(pks_rc_sysexit(PKS_ERR_PARSE) == EX_DATAERR);
	CHECK(pks_rc_transient(PKS_ERR_FULL));
	CHECK(!pks_rc_transient(PKS_ERR_PARSE));
	CHECK(strcmp(pks_rc_str((enum pks_rc)999), "unknown error") == 0);
}

static void
test_buf_cap(void)
{
	struct buf b;

	buf_init(&b, 8);
	CHECK(buf_adds(&b, "12345") == PKS_OK);
	CHECK(buf_adds(&b, "6789") == PKS_ERR_TOOBIG);
	CHECK(b.len == 5 && strcmp((char *)b.data, "12345") == 0);
	CHECK(buf_printf(&b, "%d", 678) == PKS_OK);
	CHECK(b.len == 8);
	CHECK(buf_addc(&b, 'x') == PKS_ERR_TOOBIG);
	buf_free(&b);
	buf_free(&b);
}

static void
test_buf_be32(void)
{
	struct buf b;

	buf_init(&b, 16);
	CHECK(buf_add_be32(&b, 0x01020304) == PKS_OK);
	CHECK(b.len == 4 && b.data[0] == 1 && b.data[3] == 4);
	buf_free(&b);
}

static void
test_utc_text(void)
{
	char b[32];

	CHECK(strcmp(utc_text(1309842384, UTC_DAY, "-", b, sizeof(b)),
	    "2011-07-05") == 0);
	CHECK(strcmp(utc_text(86399, UTC_SECOND, "-", b, sizeof(b)),
	    "1970-01-01 23:59:59") == 0);
	CHECK(strcmp(utc_text(0, UTC_DAY, "never", b, sizeof(b)), "never") == 0);
	CHECK(strcmp(utc_text(-5, UTC_DAY, "never", b, sizeof(b)), "never") == 0);
	CHECK(strcmp(utc_text(1309842384, UTC_SECOND, "x", b, 5), "x") == 0);
}

int
main(void)
{
	RUN(test_rc_tables);
	RUN(test_buf_cap);
	RUN(test_buf_be32);
	RUN(test_utc_text);
	return tap_done();
}
