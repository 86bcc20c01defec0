/*
 * fuzz_form.c: fuzz target of the HKP form decoder (POST /pks/add
 * bodies and query strings).
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "hkp/hkp_form.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hkp_form f;
	struct pks_err err = { 0, NULL };
	const struct hkp_field *kt;
	size_t i, sum = 0;

	hkp_form_init(&f);
	if (hkp_form_decode(&f, (const char *)data, size, &err) != PKS_OK &&
	    err.off > size)
		__builtin_trap();
	for (i = 0; i < f.n; i++) {
		if (f.v[i].name[f.v[i].namelen] != '\0' ||
		    f.v[i].value[f.v[i].len] != '\0')
			__builtin_trap();
		sum += f.v[i].len + f.v[i].namelen;
	}
	if (sum > size)
		__builtin_trap();
	kt = hkp_form_get(&f, "keytext");
	if (kt != NULL && kt->len > size)
		__builtin_trap();
	hkp_form_free(&f);
	return 0;
}
