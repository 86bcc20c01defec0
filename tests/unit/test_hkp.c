/*
 * test_hkp.c: unit tests of the pure HKP parsers: form decoding, lookup
 * arguments and search terms, the hashquery body, HTML and JSON escaping.
 */
#include <config.h>

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "hkp/hkp_cache.h"
#include "hkp/hkp_rcache.h"
#include "hkp/hkp_form.h"
#include "hkp/hkp_hashquery.h"
#include "hkp/hkp_html.h"
#include "hkp/hkp_query.h"
#include "tap.h"
#include "util/buf.h"

static int
field_is(const struct hkp_form *f, const char *name, const char *value)
{
	const struct hkp_field *fl = hkp_form_get(f, name);

	return fl != NULL && fl->len == strlen(value) &&
	    memcmp(fl->value, value, fl->len) == 0;
}

static void
test_form_basic(void)
{
	struct hkp_form f;
	struct pks_err err = { 0, NULL };
	const char *s = "options=mr&keytext=a+b%20c&&x&keytext=second";

	hkp_form_init(&f);
	CHECK(hkp_form_decode(&f, s, strlen(s), &err) == PKS_OK);
	CHECK(f.n == 4);
	CHECK(field_is(&f, "options", "mr"));
	CHECK(field_is(&f, "keytext", "a b c"));
	CHECK(field_is(&f, "x", ""));
	CHECK(hkp_form_get(&f, "nothere") == NULL);
	CHECK(strcmp(f.v[3].value, "second") == 0);
	hkp_form_free(&f);
	CHECK(f.n == 0 && f.v == NULL);
}

static void
test_form_gpg_style(void)
{
	struct hkp_form f;
	struct pks_err err = { 0, NULL };
	const char *s = "keytext=%2D%2D%2D%2D%2DBEGIN%20PGP%20PUBLIC%20KEY"
	    "%20BLOCK%2D%2D%2D%2D%2D%0A%0AmQENBF%2Fab%2B%3D%3D%0A";

	hkp_form_init(&f);
	CHECK(hkp_form_decode(&f, s, strlen(s), &err) == PKS_OK);
	CHECK(field_is(&f, "keytext", "-----BEGIN PGP PUBLIC KEY BLOCK-----"
	    "\n\nmQENBF/ab+==\n"));
	hkp_form_free(&f);
}

static void
test_form_bad_escapes(void)
{
	struct hkp_form f;
	struct pks_err err = { 0, NULL };

	hkp_form_init(&f);
	CHECK(hkp_form_decode(&f, "a=1&b=%zz", 9, &err) == PKS_ERR_PARSE);
	CHECK(err.off == 6 && err.why != NULL);
	CHECK(f.n == 1);
	hkp_form_free(&f);
	CHECK(hkp_form_decode(&f, "a=%4", 4, &err) == PKS_ERR_PARSE);
	CHECK(err.off == 2);
	hkp_form_free(&f);
	CHECK(hkp_form_decode(&f, "%g1=x", 5, &err) == PKS_ERR_PARSE);
	CHECK(err.off == 0);
	hkp_form_free(&f);
	CHECK(hkp_form_decode(&f, "a=%00b", 6, &err) == PKS_OK);
	CHECK(f.n == 1 && f.v[0].len == 2 && f.v[0].value[0] == '\0');
	hkp_form_free(&f);
	/* a NUL in a name does not make it match a shorter name */
	CHECK(hkp_form_decode(&f, "op%00x=get", 10, &err) == PKS_OK);
	CHECK(hkp_form_get(&f, "op") == NULL);
	hkp_form_free(&f);
}

static void
test_form_limits(void)
{
	struct hkp_form f;
	struct pks_err err = { 0, NULL };
	struct buf b;
	size_t i;

	buf_init(&b, 4096);
	for (i = 0; i < HKP_FORM_MAX_FIELDS + 1; i++)
		CHECK(buf_adds(&b, "a=1&") == PKS_OK);
	hkp_form_init(&f);
	CHECK(hkp_form_decode(&f, (char *)b.data, b.len, &err) ==
	    PKS_ERR_TOOBIG);
	CHECK(f.n == HKP_FORM_MAX_FIELDS);
	hkp_form_free(&f);
	buf_free(&b);
}

static enum pks_rc
parse_qs(const char *qs, struct hkp_query *q, struct pks_err *err)
{
	struct hkp_form f;
	enum pks_rc rc;

	hkp_form_init(&f);
	rc = hkp_form_decode(&f, qs, strlen(qs), err);
	if (rc == PKS_OK)
		rc = hkp_query_parse(&f, q, err);
	hkp_form_free(&f);
	return rc;
}

static void
test_query_ops(void)
{
	struct hkp_query q;
	struct pks_err err = { 0, NULL };

	CHECK(parse_qs("op=get&options=mr&search=0x12345678", &q, &err) ==
	    PKS_OK);
	CHECK(q.op == HKP_OP_GET && q.opts == HKP_OPT_MR);
	CHECK(parse_qs("search=x&op=INDEX&options=nm,mr&fingerprint=on"
	    "&exact=on", &q, &err) == PKS_ERR_PARSE);
	CHECK(parse_qs("search=xy&op=INDEX&options=nm,mr&fingerprint=on"
	    "&exact=on", &q, &err) == PKS_OK);
	CHECK(q.op == HKP_OP_INDEX && q.opts == (HKP_OPT_MR | HKP_OPT_NM));
	CHECK(q.fingerprint && q.exact);
	CHECK(parse_qs("op=vindex&search=abc&fingerprint=off", &q, &err) ==
	    PKS_OK);
	CHECK(q.op == HKP_OP_VINDEX && !q.fingerprint && q.opts == 0);
	CHECK(parse_qs("op=stats", &q, &err) == PKS_OK);
	CHECK(q.op == HKP_OP_STATS && q.search.kind == STORE_QUERY_NONE);
	CHECK(parse_qs("op=x-stats&options=mr", &q, &err) == PKS_OK);
	CHECK(q.op == HKP_OP_STATS && (q.opts & HKP_OPT_MR));
	CHECK(parse_qs("op=frobnicate&search=abc", &q, &err) ==
	    PKS_ERR_UNSUPPORTED);
	CHECK(parse_qs("search=abc", &q, &err) == PKS_ERR_PARSE);
	CHECK(parse_qs("op=get", &q, &err) == PKS_ERR_PARSE);
	CHECK(strcmp(err.why, "missing search") == 0);
	CHECK(parse_qs("op=get&search=", &q, &err) == PKS_ERR_PARSE);
	CHECK(hkp_options_parse("x,,mr,", 6) == HKP_OPT_MR);
	CHECK(hkp_options_parse("", 0) == 0);
	CHECK(strcmp(hkp_op_name(HKP_OP_VINDEX), "vindex") == 0);
}

static enum store_query_kind
kind_of(const char *s, struct store_query *out)
{
	struct pks_err err = { 0, NULL };

	if (hkp_search_parse(s, strlen(s), HKP_OP_GET, out, &err) != PKS_OK)
		return (enum store_query_kind)-1;
	return out->kind;
}

static void
test_search_ids(void)
{
	struct store_query s;

	CHECK(kind_of("0x12345678", &s) == STORE_QUERY_KEYID);
	CHECK(s.bits == 32 && s.keyid == 0x12345678u);
	CHECK(kind_of("0XDEADBEEFcafe0123", &s) == STORE_QUERY_KEYID);
	CHECK(s.bits == 64 && s.keyid == 0xdeadbeefcafe0123ull);
	CHECK(kind_of("0x20691DFCC2C98C47952984EE00018C22381A7594", &s) ==
	    STORE_QUERY_FPR);
	CHECK(s.len == 20 && s.bin[0] == 0x20 && s.bin[19] == 0x94);
	CHECK(kind_of("0x20691dfcc2c98c47952984ee00018c22381a7594", &s) ==
	    STORE_QUERY_FPR);
	CHECK(s.bin[2] == 0x1d);
	CHECK(kind_of("0x0123456789abcdef0123456789ABCDEF", &s) ==
	    STORE_QUERY_FPR && s.len == 16);
	CHECK(kind_of("0x0123456789abcdef0123456789ABCDEF0123456789abcdef"
	    "0123456789ABCDEF", &s) == STORE_QUERY_FPR && s.len == 32);
	CHECK(kind_of("  0x12345678\t", &s) == STORE_QUERY_KEYID);
	/* pasted fingerprint with spaces, no 0x */
	CHECK(kind_of("2069 1DFC C2C9 8C47 9529  84EE 0001 8C22 381A 7594",
	    &s) == STORE_QUERY_FPR && s.len == 20 && s.bin[19] == 0x94);
	/* wrong lengths after 0x */
	CHECK(kind_of("0x1234567", &s) == (enum store_query_kind)-1);
	CHECK(kind_of("0x123456789", &s) == (enum store_query_kind)-1);
	CHECK(kind_of("0x", &s) == (enum store_query_kind)-1);
	CHECK(kind_of("0x" "0123456789abcdef0123456789abcdef0123456789abcdef"
	    "0123456789abcdef0", &s) == (enum store_query_kind)-1);
	/* hex without 0x is never a key ID: words */
	CHECK(kind_of("deadbeef", &s) == STORE_QUERY_WORDS);
	CHECK(strcmp(s.text, "deadbeef") == 0);
	CHECK(kind_of("DEADBEEFCAFE0123", &s) == STORE_QUERY_WORDS);
	/* 0x followed by non-hex: an error */
	CHECK(kind_of("0xfoo bar", &s) == (enum store_query_kind)-1);
	CHECK(kind_of("0xZZZZ", &s) == (enum store_query_kind)-1);
}

static void
test_search_text(void)
{
	struct store_query s;
	struct pks_err err = { 0, NULL };

	CHECK(kind_of("Alice@Example.ORG", &s) == STORE_QUERY_EMAIL);
	CHECK(strcmp(s.text, "alice@example.org") == 0);
	CHECK(kind_of("<bob@example.org>", &s) == STORE_QUERY_EMAIL);
	CHECK(strcmp(s.text, "bob@example.org") == 0);
	CHECK(kind_of("@example.org", &s) == STORE_QUERY_WORDS);
	CHECK(strcmp(s.text, "example org") == 0);
	CHECK(kind_of("ab@cd@ef", &s) == STORE_QUERY_WORDS);
	CHECK(kind_of("Alice <alice@example.org>", &s) == STORE_QUERY_WORDS);
	CHECK(strcmp(s.text, "alice alice example org") == 0);
	CHECK(kind_of("Test  User!", &s) == STORE_QUERY_WORDS);
	CHECK(strcmp(s.text, "test user") == 0);
	CHECK(kind_of("J. R. R. Tolkien", &s) == STORE_QUERY_WORDS);
	CHECK(strcmp(s.text, "tolkien") == 0);
	CHECK(kind_of("J\xc3\xb6rg M\xc3\xbcLLER", &s) == STORE_QUERY_WORDS);
	CHECK(strcmp(s.text, "j\xc3\xb6rg m\xc3\xbcller") == 0);
	/* FTS operators are lower-cased, punctuation is dropped */
	CHECK(kind_of("\"alice\" OR NEAR(bob*)", &s) == STORE_QUERY_WORDS);
	CHECK(strcmp(s.text, "alice or near bob") == 0);
	CHECK(hkp_search_parse("a b c", 5, HKP_OP_INDEX, &s, &err) ==
	    PKS_ERR_PARSE);
	CHECK(hkp_search_parse("  ", 2, HKP_OP_INDEX, &s, &err) ==
	    PKS_ERR_PARSE);
	CHECK(hkp_search_parse("a b c d e f g h i j k l m n o p q r", 35,
	    HKP_OP_INDEX, &s, &err) == PKS_ERR_PARSE);
	CHECK(hkp_search_parse("aa bb cc dd ee ff gg hh ii jj kk ll mm nn oo "
	    "pp qq", 50, HKP_OP_INDEX, &s, &err) == PKS_ERR_PARSE);
	CHECK(strcmp(err.why, "too many search words") == 0);
	CHECK(hkp_search_parse("ab\0cd", 5, HKP_OP_INDEX, &s, &err) ==
	    PKS_OK && strcmp(s.text, "ab cd") == 0);
}

static void
test_search_long_and_hget(void)
{
	struct store_query s;
	struct pks_err err = { 0, NULL };
	char big[PKS_MAX_QUERY + 2];

	memset(big, 'a', sizeof(big));
	CHECK(hkp_search_parse(big, sizeof(big), HKP_OP_INDEX, &s, &err) ==
	    PKS_ERR_PARSE);
	CHECK(hkp_search_parse(big, PKS_MAX_QUERY, HKP_OP_INDEX, &s, &err) ==
	    PKS_OK && strlen(s.text) == PKS_MAX_QUERY);
	CHECK(hkp_search_parse("0123456789ABCDEF0123456789abcdef", 32,
	    HKP_OP_HGET, &s, &err) == PKS_OK);
	CHECK(s.kind == STORE_QUERY_HASH && s.bin[0] == 0x01 &&
	    s.bin[15] == 0xef);
	CHECK(hkp_search_parse("0x0123456789ABCDEF0123456789abcdef", 34,
	    HKP_OP_HGET, &s, &err) == PKS_OK);
	CHECK(hkp_search_parse("0x12345678", 10, HKP_OP_HGET, &s, &err) ==
	    PKS_ERR_PARSE);
	CHECK(hkp_search_parse("alice", 5, HKP_OP_HGET, &s, &err) ==
	    PKS_ERR_PARSE);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
test_hashquery_decode(void)
{
	uint8_t body[4 + 3 * 20 + 2];
	struct hkp_hashes h;
	struct pks_err err = { 0, NULL };

	put32(body, 3);
	put32(body + 4, 16);
	memset(body + 8, 0xbb, 16);
	put32(body + 24, 16);
	memset(body + 28, 0xaa, 16);
	put32(body + 44, 16);
	memset(body + 48, 0xbb, 16);
	body[64] = '\r';
	body[65] = '\n';
	CHECK(hkp_hashquery_decode(body, sizeof(body), &h, &err) == PKS_OK);
	CHECK(h.n == 2 && h.v[0][0] == 0xaa && h.v[1][15] == 0xbb);
	hkp_hashes_free(&h);
	CHECK(hkp_hashquery_decode(body, 64, &h, &err) == PKS_OK && h.n == 2);
	hkp_hashes_free(&h);
	CHECK(hkp_hashquery_decode(body, 63, &h, &err) == PKS_ERR_PARSE);
	CHECK(h.v == NULL && h.n == 0);
	CHECK(hkp_hashquery_decode(body, 3, &h, &err) == PKS_ERR_PARSE);
	put32(body + 24, 15);
	CHECK(hkp_hashquery_decode(body, 64, &h, &err) == PKS_ERR_PARSE);
	CHECK(err.off == 24 && h.v == NULL);
	put32(body, 0);
	CHECK(hkp_hashquery_decode(body, 4, &h, &err) == PKS_OK && h.n == 0);
	hkp_hashes_free(&h);
	put32(body, PKS_MAX_HASHQUERY + 1);
	CHECK(hkp_hashquery_decode(body, sizeof(body), &h, &err) ==
	    PKS_ERR_TOOBIG);
	put32(body, 0xffffffffu);
	CHECK(hkp_hashquery_decode(body, sizeof(body), &h, &err) ==
	    PKS_ERR_TOOBIG);
}

static int
html_is(const char *in, size_t len, const char *want)
{
	struct buf b;
	int ok;

	buf_init(&b, 4096);
	ok = hkp_html_escape(&b, in, len) == PKS_OK &&
	    strcmp((char *)b.data, want) == 0;
	buf_free(&b);
	return ok;
}

static int
json_is(const char *in, size_t len, const char *want)
{
	struct buf b;
	int ok;

	buf_init(&b, 4096);
	ok = hkp_json_string(&b, in, len) == PKS_OK &&
	    strcmp((char *)b.data, want) == 0;
	buf_free(&b);
	return ok;
}

static void
test_escaping(void)
{
	struct buf b;

	CHECK(html_is("<a href=\"x\">'&'</a>", 19,
	    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"));
	CHECK(html_is("J\xc3\xb6rg\n", 6, "J\xc3\xb6rg\n"));
	CHECK(html_is("a\xff" "b\x01" "c\xc3", 6,
	    "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd"));
	CHECK(html_is("\xed\xa0\x80", 3,
	    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"));
	CHECK(html_is("\xf0\x9f\x94\x91", 4, "\xf0\x9f\x94\x91"));
	CHECK(json_is("a\"b\\c\n\x01\xc3\xa9\xff", 10,
	    "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\\ufffd\""));
	CHECK(json_is("", 0, "\"\""));
	buf_init(&b, 8);
	CHECK(hkp_html_escape(&b, "<<<", 3) == PKS_ERR_TOOBIG);
	buf_free(&b);
	buf_init(&b, 4096);
	CHECK(hkp_html_begin(&b, "A <b>") == PKS_OK);
	CHECK(hkp_html_end(&b) == PKS_OK);
	CHECK(strstr((char *)b.data, "<title>A &lt;b&gt;</title>") != NULL);
	CHECK(strstr((char *)b.data, "<h1>A &lt;b&gt;</h1>") != NULL);
	CHECK(strstr((char *)b.data, "name=\"viewport\"") != NULL);
	CHECK(strstr((char *)b.data,
		  "<link rel=\"stylesheet\" href=\"/pks/style.css?v=") != NULL);
	CHECK(strstr((char *)b.data, "<a href=\"/\">") != NULL);
	CHECK(strstr((char *)b.data, "</html>\n") != NULL);
	buf_free(&b);
}

/* The armored-key cache: hits only for the same row and hash. */
static void
test_armor_cache(void)
{
	struct hkp_cache *c = hkp_cache_new(64 * 1024);
	uint8_t h1[16], h2[16], big[2048];
	struct buf b;

	memset(h1, 1, sizeof(h1));
	memset(h2, 2, sizeof(h2));
	memset(big, 'x', sizeof(big));
	buf_init(&b, 1 << 20);
	CHECK(hkp_cache_new(0) == NULL);
	CHECK(hkp_cache_get(NULL, 1, h1, 0, &b) == PKS_ERR_NOTFOUND);
	hkp_cache_put(NULL, 1, h1, 0, (const uint8_t *)"x", 1);
	CHECK(hkp_cache_get(c, 7, h1, 0, &b) == PKS_ERR_NOTFOUND);
	hkp_cache_put(c, 7, h1, 0, (const uint8_t *)"armor-v1", 8);
	CHECK(hkp_cache_get(c, 7, h1, 0, &b) == PKS_OK);
	CHECK(b.len == 8 && memcmp(b.data, "armor-v1", 8) == 0);
	/* The key changed: a new hash never meets the old armor. */
	CHECK(hkp_cache_get(c, 7, h2, 0, &b) == PKS_ERR_NOTFOUND);
	CHECK(hkp_cache_get(c, 8, h1, 0, &b) == PKS_ERR_NOTFOUND);
	hkp_cache_put(c, 7, h2, 0, (const uint8_t *)"armor-v2", 8);
	buf_reset(&b);
	CHECK(hkp_cache_get(c, 7, h2, 0, &b) == PKS_OK && b.len == 8 &&
	    memcmp(b.data, "armor-v2", 8) == 0);
	/* Same packets, served differently (marks changed): a new stamp
	 * never meets the old armor either. */
	CHECK(hkp_cache_get(c, 7, h2, 1, &b) == PKS_ERR_NOTFOUND);
	buf_reset(&b);
	hkp_cache_put(c, 7, h2, 1, (const uint8_t *)"armor-v3", 8);
	CHECK(hkp_cache_get(c, 7, h2, 1, &b) == PKS_OK && b.len == 8 &&
	    memcmp(b.data, "armor-v3", 8) == 0);
	CHECK(hkp_cache_get(c, 7, h2, 0, &b) == PKS_ERR_NOTFOUND);
	/* Entries over 1/64 of the budget are not kept. */
	hkp_cache_put(c, 9, h1, 0, big, sizeof(big));
	CHECK(hkp_cache_get(c, 9, h1, 0, &b) == PKS_ERR_NOTFOUND);
	buf_free(&b);
	hkp_cache_free(c);
	hkp_cache_free(NULL);
}

/* The op=index answer cache: a put from an ended epoch is not kept, a
 * bump drops everything, an answer past its time is gone, the budget
 * holds with the least recently used dropped first. */
static void
test_index_cache(void)
{
	struct hkp_rcache *c = hkp_rcache_new(64 * 1024);
	uint8_t big[8192], entry[1024];
	char key[16];
	size_t n = 0, i, hits = 0;
	uint64_t e, s = 0;
	struct buf b;

	memset(big, 'x', sizeof(big));
	memset(entry, 'y', sizeof(entry));
	buf_init(&b, 1 << 20);
	CHECK(hkp_rcache_new(0) == NULL);
	CHECK(hkp_rcache_render(NULL, &b) == PKS_OK && b.len == 0);
	e = hkp_rcache_look(c, 0, &s);
	CHECK(s != 0 && e == s);
	CHECK(
	    hkp_rcache_get(c, s, "walice", 6, 100, &b, &n) == PKS_ERR_NOTFOUND);
	hkp_rcache_put(
	    c, e, "walice", 6, 0, 1, (const uint8_t *)"info:1:1\n", 9);
	CHECK(hkp_rcache_get(c, s, "walice", 6, 100, &b, &n) == PKS_OK &&
	      n == 1 && b.len == 9 && memcmp(b.data, "info:1:1\n", 9) == 0);
	CHECK(
	    hkp_rcache_get(c, s, "ealice", 6, 100, &b, &n) == PKS_ERR_NOTFOUND);
	/* a commit seen: nothing of the old epoch, and no late put from it */
	e = hkp_rcache_look(c, 1, &s);
	CHECK(
	    hkp_rcache_get(c, s, "walice", 6, 100, &b, &n) == PKS_ERR_NOTFOUND);
	hkp_rcache_put(c, e - 1, "walice", 6, 0, 1, (const uint8_t *)"old", 3);
	CHECK(
	    hkp_rcache_get(c, s, "walice", 6, 100, &b, &n) == PKS_ERR_NOTFOUND);
	/* true until 200 */
	hkp_rcache_put(c, e, "wbob", 4, 200, 2, (const uint8_t *)"b", 1);
	CHECK(hkp_rcache_get(c, s, "wbob", 4, 199, &b, &n) == PKS_OK && n == 2);
	CHECK(hkp_rcache_get(c, s, "wbob", 4, 200, &b, &n) == PKS_ERR_NOTFOUND);
	CHECK(hkp_rcache_get(c, s, "wbob", 4, 100, &b, &n) == PKS_ERR_NOTFOUND);
	/* over 1/16 of the budget: not kept */
	hkp_rcache_put(c, e, "wbig", 4, 0, 1, big, sizeof(big));
	CHECK(hkp_rcache_get(c, s, "wbig", 4, 100, &b, &n) == PKS_ERR_NOTFOUND);
	/* 200 entries of 1 KiB in 64 KiB: the newest stay, the oldest go */
	for (i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "w%zu", i);
		hkp_rcache_put(
		    c, e, key, strlen(key), 0, 1, entry, sizeof(entry));
	}
	CHECK(hkp_rcache_get(c, s, "w0", 2, 100, &b, &n) == PKS_ERR_NOTFOUND);
	for (i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "w%zu", i);
		hits += hkp_rcache_get(c, s, key, strlen(key), 100, &b, &n) ==
			PKS_OK;
	}
	CHECK(hits > 40 && hits < 64);
	CHECK(hkp_rcache_get(c, s, "w199", 4, 100, &b, &n) == PKS_OK);
	buf_reset(&b);
	CHECK(hkp_rcache_render(c, &b) == PKS_OK &&
	      strstr((char *)b.data, "{result=\"hit\"}") != NULL);
	buf_free(&b);
	hkp_rcache_free(c);
	hkp_rcache_free(NULL);
}

/*
 * Two connections share the cache.  A's answer is kept; B's first look
 * empties nothing (A is still served), but B is not served what was
 * read before its baseline: a commit in between would be unknown to
 * B.  B's fresh answer replaces it, serves both, and is not replaced
 * by a late put A read earlier.  A commit either sees empties it all.
 */
static void
test_index_cache_connections(void)
{
	struct hkp_rcache *c = hkp_rcache_new(64 * 1024);
	uint64_t sa = 0, sb = 0, ga, ga2, gb;
	size_t n = 0;
	struct buf b;

	buf_init(&b, 1 << 20);
	ga = hkp_rcache_look(c, 0, &sa);
	hkp_rcache_put(c, ga, "wcarol", 6, 0, 1, (const uint8_t *)"A", 1);
	ga2 = hkp_rcache_look(c, 0, &sa); /* A again, nothing seen */
	CHECK(ga2 == ga);
	CHECK(hkp_rcache_get(c, sa, "wcarol", 6, 100, &b, &n) == PKS_OK);
	gb = hkp_rcache_look(c, 0, &sb); /* B's first look */
	CHECK(sb > sa && gb == sb);
	CHECK(hkp_rcache_get(c, sb, "wcarol", 6, 100, &b, &n) ==
	      PKS_ERR_NOTFOUND);
	CHECK(hkp_rcache_get(c, sa, "wcarol", 6, 100, &b, &n) == PKS_OK);
	hkp_rcache_put(c, gb, "wcarol", 6, 0, 2, (const uint8_t *)"B", 1);
	hkp_rcache_put(c, ga, "wcarol", 6, 0, 1, (const uint8_t *)"A", 1);
	buf_reset(&b);
	CHECK(hkp_rcache_get(c, sb, "wcarol", 6, 100, &b, &n) == PKS_OK &&
	      n == 2 && b.len == 1 && b.data[0] == 'B');
	CHECK(hkp_rcache_get(c, sa, "wcarol", 6, 100, &b, &n) == PKS_OK);
	hkp_rcache_look(c, 1, &sb); /* B sees a commit */
	CHECK(hkp_rcache_get(c, sa, "wcarol", 6, 100, &b, &n) ==
	      PKS_ERR_NOTFOUND);
	hkp_rcache_put(c, gb, "wcarol", 6, 0, 2, (const uint8_t *)"B", 1);
	CHECK(hkp_rcache_get(c, sb, "wcarol", 6, 100, &b, &n) ==
	      PKS_ERR_NOTFOUND);
	buf_free(&b);
	hkp_rcache_free(c);
}

/* A reference to a cached armor outlives its replacement and the cache;
 * many keys fill the sets and the budget holds. */
static void
test_armor_cache_ref(void)
{
	struct hkp_cache *c = hkp_cache_new(64 * 1024);
	struct hkp_armor *a;
	const uint8_t *p = NULL;
	uint8_t h[16], entry[512];
	size_t len = 0, hits = 0;
	int64_t id;
	struct buf b;

	memset(h, 3, sizeof(h));
	memset(entry, 'y', sizeof(entry));
	buf_init(&b, 1 << 20);
	CHECK(hkp_cache_ref(NULL, 1, h, 0, &p, &len) == NULL);
	CHECK(hkp_cache_ref(c, 1, h, 0, &p, &len) == NULL);
	hkp_cache_put(c, 1, h, 0, (const uint8_t *)"first", 5);
	a = hkp_cache_ref(c, 1, h, 0, &p, &len);
	CHECK(a != NULL && len == 5 && memcmp(p, "first", 5) == 0);
	hkp_cache_put(c, 1, h, 0, (const uint8_t *)"other", 5);
	CHECK(memcmp(p, "first", 5) == 0); /* still the old bytes */
	CHECK(hkp_cache_get(c, 1, h, 0, &b) == PKS_OK &&
	      memcmp(b.data, "other", 5) == 0);
	/* 1000 entries of 512 bytes in a budget of 64 KiB: some are
	 * kept, never more than the budget. */
	for (id = 100; id < 1100; id++)
		hkp_cache_put(c, id, h, 0, entry, sizeof(entry));
	for (id = 100; id < 1100; id++) {
		buf_reset(&b);
		hits += hkp_cache_get(c, id, h, 0, &b) == PKS_OK;
	}
	CHECK(hits > 0 && hits * sizeof(entry) <= 64 * 1024);
	/* the most recent ones survive */
	buf_reset(&b);
	CHECK(hkp_cache_get(c, 1099, h, 0, &b) == PKS_OK && b.len == 512);
	hkp_cache_free(c);
	CHECK(memcmp(p, "first", 5) == 0);
	hkp_cache_unref(a);
	hkp_cache_unref(NULL);
	buf_free(&b);
}

int
main(void)
{
	RUN(test_form_basic);
	RUN(test_form_gpg_style);
	RUN(test_form_bad_escapes);
	RUN(test_form_limits);
	RUN(test_query_ops);
	RUN(test_search_ids);
	RUN(test_search_text);
	RUN(test_search_long_and_hget);
	RUN(test_hashquery_decode);
	RUN(test_escaping);
	RUN(test_armor_cache);
	RUN(test_armor_cache_ref);
	RUN(test_index_cache);
	RUN(test_index_cache_connections);
	return tap_done();
}
