/*
 * tap.c: the TAP producer behind tests/lib/tap.h.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "util/hex.h"

static int tap_n;
static int tap_nfail;
static int tap_cur_failed;

void
tap_check(int ok, const char *file, int line, const char *expr)
{
	if (ok)
		return;
	printf("# %s:%d: CHECK(%s) failed\n", file, line, expr);
	fflush(stdout);
	tap_cur_failed = 1;
}

void
tap_run(const char *name, void (*fn)(void))
{
	tap_cur_failed = 0;
	fn();
	tap_n++;
	if (tap_cur_failed)
		tap_nfail++;
	printf("%s %d - %s\n", tap_cur_failed ? "not ok" : "ok", tap_n, name);
	fflush(stdout);
}

void
tap_skip(const char *name, const char *why)
{
	tap_n++;
	printf("ok %d - %s # SKIP %s\n", tap_n, name, why);
}

int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_nfail ? 1 : 0;
}

const char *
tap_srcpath(const char *rel)
{
	static char path[4096];
	const char *dir = getenv("PKS_SRCDIR");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : ".", rel);
	return path;
}

uint8_t *
tap_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *p = NULL;
	size_t cap = 0, n = 0, r;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			p = realloc(p, cap + 1);
			if (p == NULL)
				break;
		}
		r = fread(p + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	if (p != NULL) {
		p[n] = 0;
		*len = n;
	}
	return p;
}

size_t
tap_unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;

	while (hex[0] && hex[1] && n < max) {
		int hi = hex_value(hex[0]), lo = hex_value(hex[1]);

		if (hi < 0 || lo < 0) {
			hex++;
			continue;
		}
		out[n++] = (uint8_t)(hi << 4 | lo);
		hex += 2;
	}
	return n;
}
