/*
 * hkp_query.c: lookup arguments; the search term itself is classified
 * by store_query_parse() (src/store/store_query.c).
 */
#include <config.h>

#include <string.h>

#include "hkp/hkp_query.h"
#include "store/store_query.h"

static const struct {
	const char *name;
	enum hkp_op op;
} ops[] = {
	{ "get", HKP_OP_GET },
	{ "index", HKP_OP_INDEX },
	{ "vindex", HKP_OP_VINDEX },
	{ "hget", HKP_OP_HGET },
	{ "x-hget", HKP_OP_HGET },
	{ "stats", HKP_OP_STATS },
	{ "x-stats", HKP_OP_STATS },
};

#define NOPS (sizeof(ops) / sizeof(ops[0]))

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive comparison of s[0..len) with the C string w. */
static int
eq_nocase(const char *s, size_t len, const char *w)
{
	size_t i;

	if (strlen(w) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (lower((unsigned char)s[i]) != w[i])
			return 0;
	return 1;
}

const char *
hkp_op_name(enum hkp_op op)
{
	size_t i;

	for (i = 0; i < NOPS; i++)
		if (ops[i].op == op)
			return ops[i].name;
	return "?";
}

unsigned
hkp_options_parse(const char *s, size_t len)
{
	unsigned opts = 0;
	size_t i = 0, start;

	while (i <= len) {
		start = i;
		while (i < len && s[i] != ',')
			i++;
		if (eq_nocase(s + start, i - start, "mr"))
			opts |= HKP_OPT_MR;
		else if (eq_nocase(s + start, i - start, "nm"))
			opts |= HKP_OPT_NM;
		i++;
	}
	return opts;
}

static int
is_on(const struct hkp_field *f)
{
	return f != NULL && (eq_nocase(f->value, f->len, "on") ||
				eq_nocase(f->value, f->len, "1") ||
				eq_nocase(f->value, f->len, "yes") ||
				eq_nocase(f->value, f->len, "true"));
}

enum pks_rc
hkp_search_parse(const char *s, size_t len, enum hkp_op op,
    struct store_query *out, struct pks_err *err)
{
	return store_query_parse(
	    s, len, op == HKP_OP_HGET ? STORE_QUERY_PARSE_HASH : 0, out, err);
}

static enum pks_rc
parse_op(const struct hkp_form *args, struct hkp_query *q, struct pks_err *err)
{
	const struct hkp_field *f;
	size_t i;

	f = hkp_form_get(args, "op");
	if (f == NULL || f->len == 0)
		return pks_fail(err, 0, "missing op", PKS_ERR_PARSE);
	for (i = 0; i < NOPS; i++) {
		if (eq_nocase(f->value, f->len, ops[i].name)) {
			q->op = ops[i].op;
			return PKS_OK;
		}
	}
	return pks_fail(err, 0, "op not implemented", PKS_ERR_UNSUPPORTED);
}

enum pks_rc
hkp_query_parse(
    const struct hkp_form *args, struct hkp_query *q, struct pks_err *err)
{
	const struct hkp_field *f;
	enum pks_rc rc;

	memset(q, 0, sizeof(*q));
	rc = parse_op(args, q, err);
	if (rc != PKS_OK)
		return rc;
	f = hkp_form_get(args, "options");
	if (f != NULL)
		q->opts = hkp_options_parse(f->value, f->len);
	q->fingerprint = is_on(hkp_form_get(args, "fingerprint"));
	q->exact = is_on(hkp_form_get(args, "exact"));
	if (q->op == HKP_OP_STATS) {
		q->search.kind = STORE_QUERY_NONE;
		return PKS_OK;
	}
	f = hkp_form_get(args, "search");
	if (f == NULL)
		return pks_fail(err, 0, "missing search", PKS_ERR_PARSE);
	return hkp_search_parse(f->value, f->len, q->op, &q->search, err);
}
