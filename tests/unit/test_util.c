/*
 * test_util.c: unit tests of src/util: result tables and buffers.
 */
#include <config.h>

#include <string.h>
#include <sysexits.h>

#include "tap.h"
#include "util/buf.h"
#include "util/rc.h"

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

int
main(void)
{
	RUN(test_rc_tables);
	RUN(test_buf_cap);
	RUN(test_buf_be32);
	return tap_done();
}
