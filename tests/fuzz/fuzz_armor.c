/*
 * fuzz_armor.c: fuzz target of the armor decoder.  Every block decoded
 * is encoded again and must decode to the same bytes; offsets must only
 * move forward and stay inside the text.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "pgp/pgp_armor.h"
#include "util/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
round_trip(const uint8_t *bin, size_t n)
{
	struct buf arm, back;
	struct pks_err err = { 0, NULL };
	size_t off = 0;

	buf_init(&arm, PKS_MAX_ARMOR);
	buf_init(&back, PKS_MAX_ARMOR);
	if (pgp_armor_encode(bin, n, "Comment: fuzz\n", &arm) != PKS_OK)
		__builtin_trap();
	if (pgp_armor_next((const char *)arm.data, arm.len, &off, &back,
	    &err) != PKS_OK || back.len != n ||
	    (n > 0 && memcmp(back.data, bin, n) != 0))
		__builtin_trap();
	buf_free(&arm);
	buf_free(&back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct buf out;
	struct pks_err err = { 0, NULL };
	size_t off = 0, prev, base;
	enum pks_rc rc;

	(void)pgp_armor_present(text, size);
	buf_init(&out, 1024 * 1024);
	for (;;) {
		prev = off;
		base = out.len;
		rc = pgp_armor_next(text, size, &off, &out, &err);
		if (rc == PKS_ERR_NOTFOUND)
			break;
		if (off <= prev || off > size)
			__builtin_trap();
		if (rc == PKS_OK)
			round_trip(out.data + base, out.len - base);
		else if (out.len != base)
			__builtin_trap();
	}
	buf_free(&out);
	return 0;
}
