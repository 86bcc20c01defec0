/*
 * fuzz_recon_fetch.c: fuzz target of the /pks/hashquery answer decoder
 * that recon uses to read the keys a peer returns (recon_fetch_parse).
 *
 * Checks: every key handed to the callback lies inside the input and is
 * at most PKS_MAX_KEY bytes; the key count matches the callback calls;
 * the keys never overlap and come in input order; a callback error
 * stops the parse and is returned as is.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "recon/recon_fetch.h"
#include "util/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	const uint8_t *base;
	size_t size;
	size_t calls;
	size_t stop_at;          /* fail on this call (0: never) */
	const uint8_t *end;      /* end of the previous key */
	uint8_t sum;
};

static enum pks_rc
key_cb(void *arg, const uint8_t *key, size_t n)
{
	struct seen *s = arg;
	size_t i;

	if (key < s->base || n > s->size ||
	    (size_t)(key - s->base) > s->size - n || n > PKS_MAX_KEY)
		__builtin_trap();
	if (s->end != NULL && key < s->end)
		__builtin_trap();
	s->end = key + n;
	for (i = 0; i < n; i++)          /* touch every byte */
		s->sum ^= key[i];
	if (++s->calls == s->stop_at)
		return PKS_ERR_REFUSED;
	return PKS_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen s;
	size_t nkeys = 99;
	enum pks_rc rc;

	memset(&s, 0, sizeof(s));
	s.base = data;
	s.size = size;
	rc = recon_fetch_parse(data, size, key_cb, &s, &nkeys);
	if (nkeys != s.calls && !(rc == PKS_ERR_REFUSED &&
	    nkeys + 1 == s.calls))
		__builtin_trap();
	if (rc != PKS_OK && rc != PKS_ERR_PARSE && rc != PKS_ERR_TOOBIG)
		__builtin_trap();
	/* The same input again, with the callback failing on key 2. */
	memset(&s, 0, sizeof(s));
	s.base = data;
	s.size = size;
	s.stop_at = 2;
	rc = recon_fetch_parse(data, size, key_cb, &s, &nkeys);
	if (s.calls > 2 || (s.calls == 2 && rc != PKS_ERR_REFUSED))
		__builtin_trap();
	return 0;
}
