/*
 * store_query.c: search-term classification (pure) and running a
 * classified query against the key tables.
 *
 * The classifier was part of the HKP front end; it lives here so that
 * every protocol (HKP, mail) reads a search term the same way without
 * calling each other.
 */
#include <config.h>

#include <string.h>

#include "store/store_int.h"
#include "store/store_query.h"
#include "util/hex.h"
#include "util/xalloc.h"

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
		v = hex_value((unsigned char)s[i]);
		if (v < 0)
			return -1;
		if (n < 64)
			bin[n / 2] |= (uint8_t)(n % 2 ? v : v << 4);
		n++;
	}
	return n;
}

static enum pks_rc
classify_hex(
    struct store_query *out, const uint8_t bin[32], int n, struct pks_err *err)
{
	size_t i;

	switch (n) {
	case 8:
	case 16:
		out->kind = STORE_QUERY_KEYID;
		out->bits = n * 4;
		out->keyid = 0;
		for (i = 0; i < (size_t)n / 2; i++)
			out->keyid = out->keyid << 8 | bin[i];
		return PKS_OK;
	case 32:
	case 40:
	case 64:
		out->kind = STORE_QUERY_FPR;
		out->len = (size_t)n / 2;
		memcpy(out->bin, bin, out->len);
		return PKS_OK;
	default:
		return pks_fail(err, 0,
		    "a key ID or fingerprint needs 8, 16, "
		    "32, 40 or 64 hex digits after 0x",
		    PKS_ERR_PARSE);
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

/* Split into lower-cased words of STORE_QUERY_MIN_WORD bytes or more. */
static enum pks_rc
split_words(
    const char *s, size_t len, struct store_query *out, struct pks_err *err)
{
	size_t i = 0, start, o = 0, nwords = 0;

	while (i < len) {
		while (i < len && !word_byte((unsigned char)s[i]))
			i++;
		start = i;
		while (i < len && word_byte((unsigned char)s[i]))
			i++;
		if (i - start < STORE_QUERY_MIN_WORD)
			continue;
		if (++nwords > PKS_MAX_WORDS)
			return pks_fail(
			    err, start, "too many search words", PKS_ERR_PARSE);
		if (o > 0)
			out->text[o++] = ' ';
		for (; start < i; start++)
			out->text[o++] = (char)lower((unsigned char)s[start]);
	}
	out->text[o] = '\0';
	if (nwords == 0)
		return pks_fail(err, 0,
		    "search words too short (at least "
		    "one word of 2 or more letters needed)",
		    PKS_ERR_PARSE);
	out->kind = STORE_QUERY_WORDS;
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
parse_hash(
    const char *s, size_t len, struct store_query *out, struct pks_err *err)
{
	uint8_t bin[32];

	if (len > 2 && s[0] == '0' && lower((unsigned char)s[1]) == 'x') {
		s += 2;
		len -= 2;
	}
	if (hex_digits(s, len, 0, bin) != 32)
		return pks_fail(err, 0,
		    "hget needs an SKS key hash of 32 hex "
		    "digits",
		    PKS_ERR_PARSE);
	out->kind = STORE_QUERY_HASH;
	out->len = 16;
	memcpy(out->bin, bin, 16);
	return PKS_OK;
}

enum pks_rc
store_query_parse(const char *s, size_t len, int flags, struct store_query *out,
    struct pks_err *err)
{
	uint8_t bin[32];
	int n;
	size_t i;

	memset(out, 0, sizeof(*out));
	trim(&s, &len);
	if (len == 0)
		return pks_fail(err, 0, "missing search", PKS_ERR_PARSE);
	if (len > PKS_MAX_QUERY)
		return pks_fail(
		    err, PKS_MAX_QUERY, "search too long", PKS_ERR_PARSE);
	if (flags & STORE_QUERY_PARSE_HASH)
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
		out->kind = STORE_QUERY_EMAIL;
		for (i = 0; i < len; i++)
			out->text[i] = (char)lower((unsigned char)s[i]);
		out->text[len] = '\0';
		return PKS_OK;
	}
	return split_words(s, len, out, err);
}

enum pks_rc
store_query_run(struct store *st, const struct store_query *q, size_t max,
    struct store_ids *ids)
{
	ids->v = NULL;
	ids->n = 0;
	switch (q->kind) {
	case STORE_QUERY_KEYID:
		return store_search_keyid(st, q->keyid, q->bits, max, ids);
	case STORE_QUERY_FPR:
		return store_search_fpr(st, q->bin, q->len, max, ids);
	case STORE_QUERY_HASH:
		return store_search_hash(st, q->bin, max, ids);
	case STORE_QUERY_EMAIL:
		return store_search_email(st, q->text, max, ids);
	case STORE_QUERY_WORDS:
		return store_search_words(st, q->text, max, ids);
	case STORE_QUERY_NONE:
		break;
	}
	return PKS_ERR_INTERNAL;
}

/* A fingerprint search with the first key's hash. */
static enum pks_rc
fpr_hash(struct store *st, const struct store_query *q, size_t max,
    struct store_ids *ids, uint8_t hash[16], int64_t *stamp, int *have_hash)
{
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	enum pks_rc rc;
	int r;

	if ((rc = store_stmt_get(st, STMT_SEARCH_FPR_HASH, &s)) != PKS_OK)
		return rc;
	r = sqlite3_bind_blob(s, 1, q->bin, (int)q->len, SQLITE_STATIC);
	if (r == SQLITE_OK)
		r = sqlite3_bind_int64(
		    s, 2, max >= (size_t)INT64_MAX - 1 ? -1 : (int64_t)max + 1);
	while (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		if (ids->n == 0 && sqlite3_column_bytes(s, 1) == 16) {
			memcpy(hash, sqlite3_column_blob(s, 1), 16);
			*stamp = sqlite3_column_int64(s, 2);
			*have_hash = 1;
		}
		if (ids->n == cap) {
			cap = cap ? 2 * cap : 4;
			ids->v = xreallocarray(ids->v, cap, sizeof(*ids->v));
		}
		ids->v[ids->n++] = sqlite3_column_int64(s, 0);
		r = SQLITE_OK;
	}
	store_stmt_done(s);
	if (r == SQLITE_DONE)
		return PKS_OK;
	store_ids_free(ids);
	*have_hash = 0;
	return store_fail(st, r);
}

enum pks_rc
store_query_run_hash(struct store *st, const struct store_query *q, size_t max,
    struct store_ids *ids, uint8_t hash[16], int64_t *stamp, int *have_hash)
{
	ids->v = NULL;
	ids->n = 0;
	*have_hash = 0;
	if (q->kind == STORE_QUERY_FPR &&
	    (q->len == 16 || q->len == 20 || q->len == 32))
		return fpr_hash(st, q, max, ids, hash, stamp, have_hash);
	return store_query_run(st, q, max, ids);
}

enum pks_rc
store_search_updated(
    struct store *st, int64_t since, size_t max, struct store_ids *ids)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	int r;

	ids->v = NULL;
	ids->n = 0;
	if ((rc = store_stmt_get(st, STMT_SEARCH_UPDATED, &s)) != PKS_OK)
		return rc;
	r = sqlite3_bind_int64(s, 1, since);
	if (r != SQLITE_OK) {
		store_stmt_done(s);
		return store_fail(st, r);
	}
	return store_stmt_ids(st, s, max, ids);
}

enum store_change
store_changed(struct store *st)
{
	sqlite3_stmt *s = NULL;
	int64_t version = 0, changes;
	enum store_change seen;

	if (store_stmt_get(st, STMT_DATA_VERSION, &s) != PKS_OK)
		return STORE_CHANGED;
	if (sqlite3_step(s) == SQLITE_ROW)
		version = sqlite3_column_int64(s, 0);
	store_stmt_done(s);
	if (version == 0) { /* an error: and no baseline until a look works */
		st->seen_version = 0;
		return STORE_CHANGED;
	}
	changes = (int64_t)sqlite3_total_changes(st->db);
	if (st->seen_version == 0)
		seen = STORE_FIRST;
	else if (version != st->seen_version || changes != st->seen_changes)
		seen = STORE_CHANGED;
	else
		seen = STORE_SAME;
	st->seen_version = version;
	st->seen_changes = changes;
	return seen;
}
