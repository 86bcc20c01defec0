/*
 * fuzz_hashquery.c: fuzz target of the /pks/hashquery body decoder.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "hkp/hkp_hashquery.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hkp_hashes h;
	struct pks_err err = { 0, NULL };
	size_t i;

	if (hkp_hashquery_decode(data, size, &h, &err) != PKS_OK) {
		if (h.v != NULL || err.off > size)
			__builtin_trap();
		return 0;
	}
	if (h.n > PKS_MAX_HASHQUERY || h.n * 20 + 4 > size)
		__builtin_trap();
	for (i = 1; i < h.n; i++)
		if (memcmp(h.v[i - 1], h.v[i], 16) >= 0)
			__builtin_trap();
	hkp_hashes_free(&h);
	return 0;
}
