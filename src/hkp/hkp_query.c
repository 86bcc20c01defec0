/*
 * hkp_query.c: lookup arguments and search-term classification.
 */
#include <config.h>

#include <string.h>

#include "hkp/hkp_query.h"

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

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	    c == '\v';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
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

/*
 * Hex digits of s[0..len) into bin (the first 64), skipping spaces
 * when spaces_ok.  Returns the number of hex digits, or -1 if another
 * character occurs.
 */
static int
hex_digits(const char *s, size_t len, int spaces_ok, uint8_t bin[32])
{
	size_t i;
	int n = 0, v;

	memset(bin, 0, 32);
	for (i = 0; i < len; i++) {
		if (spaces_ok && s[i] == ' ')
			continue;
		v = hexval((unsigned char)s[i]);
		if (v < 0)
			return -1;
		if (n < 64)
			bin[n / 2] |= (uint8_t)(n % 2 ? v : v << 4);
		n++;
	}
	return n;
}

static enum pks_rc
classify_hex(struct hkp_search *out, const uint8_t bin[32], int n,
    struct pks_err *err)
{
	size_t i;

	switch (n) {
	case 8:
	case 16:
		out->kind = HKP_SEARCH_KEYID;
		out->bits = n * 4;
		out->keyid = 0;
		for (i = 0; i < (size_t)n / 2; i++)
			out->keyid = out->keyid << 8 | bin[i];
		return PKS_OK;
	case 32:
	case 40:
	case 64:
		out->kind = HKP_SEARCH_FPR;
		out->len = (size_t)n / 2;
		memcpy(out->bin, bin, out->len);
		return PKS_OK;
	default:
		return pks_fail(err, 0, "a key ID or fingerprint needs 8, 16, "
		    "32, 40 or 64 hex digits after 0x", PKS_ERR_PARSE);
	}
}

/* local@domain with no spaces, one '@' and both parts non-empty. */
static int
is_email(const char *s, size_t len)
{
	const char *at;
	size_t i;

	at = memchr(s, '@', len);
	if (at == NULL || at == s || at == s + len - 1)
		return 0;
	if (memchr(at + 1, '@', len - (size_t)(at - s) - 1) != NULL)
		return 0;
	for (i = 0; i < len; i++)
		if (is_space((unsigned char)s[i]) || s[i] == '<' ||
		    s[i] == '>' || (unsigned char)s[i] < 0x20)
			return 0;
	return 1;
}

static int
word_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/* Split into lower-cased words of HKP_MIN_WORD bytes or more. */
static enum pks_rc
split_words(const char *s, size_t len, struct hkp_search *out,
    struct pks_err *err)
{
	size_t i = 0, start, o = 0, nwords = 0;

	while (i < len) {
		while (i < len && !word_byte((unsigned char)s[i]))
			i++;
		start = i;
		while (i < len && word_byte((unsigned char)s[i]))
			i++;
		if (i - start < HKP_MIN_WORD)
			continue;
		if (++nwords > PKS_MAX_WORDS)
			return pks_fail(err, start, "too many search words",
			    PKS_ERR_PARSE);
		if (o > 0)
			out->text[o++] = ' ';
		for (; start < i; start++)
			out->text[o++] = (char)lower((unsigned char)s[start]);
	}
	out->text[o] = '\0';
	if (nwords == 0)
		return pks_fail(err, 0, "search words too short (at least "
		    "one word of 2 or more letters needed)", PKS_ERR_PARSE);
	out->kind = HKP_SEARCH_WORDS;
	return PKS_OK;
}

static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && is_space((unsigned char)**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_space((unsigned char)(*s)[*len - 1]))
		(*len)--;
}

static enum pks_rc
parse_hash(const char *s, size_t len, struct hkp_search *out,
    struct pks_err *err)
{
	uint8_t bin[32];

	if (len > 2 && s[0] == '0' && lower((unsigned char)s[1]) == 'x') {
		s += 2;
		len -= 2;
	}
	if (hex_digits(s, len, 0, bin) != 32)
		return pks_fail(err, 0, "hget needs an SKS key hash of 32 hex "
		    "digits", PKS_ERR_PARSE);
	out->kind = HKP_SEARCH_HASH;
	out->len = 16;
	memcpy(out->bin, bin, 16);
	return PKS_OK;
}

enum pks_rc
hkp_search_parse(const char *s, size_t len, enum hkp_op op,
    struct hkp_search *out, struct pks_err *err)
{
	uint8_t bin[32];
	int n;
	size_t i;

	memset(out, 0, sizeof(*out));
	trim(&s, &len);
	if (len == 0)
		return pks_fail(err, 0, "missing search", PKS_ERR_PARSE);
	if (len > PKS_MAX_QUERY)
		return pks_fail(err, PKS_MAX_QUERY, "search too long",
		    PKS_ERR_PARSE);
	if (op == HKP_OP_HGET)
		return parse_hash(s, len, out, err);
	if (len >= 2 && s[0] == '0' && lower((unsigned char)s[1]) == 'x') {
		n = hex_digits(s + 2, len - 2, 1, bin);
		if (n < 0)
			return pks_fail(err, 2, "only hex digits may follow 0x",
			    PKS_ERR_PARSE);
		return classify_hex(out, bin, n, err);
	}
	n = hex_digits(s, len, 1, bin);
	if (n == 40 || n == 64)
		return classify_hex(out, bin, n, err);
	if (len > 2 && s[0] == '<' && s[len - 1] == '>') {
		s++;
		len -= 2;
	}
	if (is_email(s, len)) {
		out->kind = HKP_SEARCH_EMAIL;
		for (i = 0; i < len; i++)
			out->text[i] = (char)lower((unsigned char)s[i]);
		out->text[len] = '\0';
		return PKS_OK;
	}
	return split_words(s, len, out, err);
}

static enum pks_rc
parse_op(const struct hkp_form *args, struct hkp_query *q,
    struct pks_err *err)
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
hkp_query_parse(const struct hkp_form *args, struct hkp_query *q,
    struct pks_err *err)
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
		q->search.kind = HKP_SEARCH_NONE;
		return PKS_OK;
	}
	f = hkp_form_get(args, "search");
	if (f == NULL)
		return pks_fail(err, 0, "missing search", PKS_ERR_PARSE);
	return hkp_search_parse(f->value, f->len, q->op, &q->search, err);
}
