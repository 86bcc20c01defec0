/*
 * fuzz_query.c: fuzz target of the lookup argument parser and the
 * search-term classifier: the input is a query string.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "hkp/hkp_form.h"
#include "hkp/hkp_query.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_search(const struct store_query *s)
{
	if (s->kind == STORE_QUERY_EMAIL || s->kind == STORE_QUERY_WORDS) {
		if (strlen(s->text) == 0 || strlen(s->text) > PKS_MAX_QUERY)
			__builtin_trap();
	}
	if (s->kind == STORE_QUERY_KEYID && s->bits != 32 && s->bits != 64)
		__builtin_trap();
	if (s->kind == STORE_QUERY_FPR && s->len != 16 && s->len != 20 &&
	    s->len != 32)
		__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hkp_form f;
	struct hkp_query q;
	struct store_query s;
	struct pks_err err = { 0, NULL };

	hkp_form_init(&f);
	if (hkp_form_decode(&f, (const char *)data, size, &err) == PKS_OK &&
	    hkp_query_parse(&f, &q, &err) == PKS_OK)
		check_search(&q.search);
	hkp_form_free(&f);
	if (hkp_search_parse((const char *)data, size, HKP_OP_INDEX, &s,
	    &err) == PKS_OK)
		check_search(&s);
	if (hkp_search_parse((const char *)data, size, HKP_OP_HGET, &s,
	    &err) == PKS_OK && s.kind != STORE_QUERY_HASH)
		__builtin_trap();
	return 0;
}
