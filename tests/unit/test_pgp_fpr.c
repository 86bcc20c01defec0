/*
 * test_pgp_fpr.c: fingerprints and key IDs.  v4 values are gpg's for
 * keys of debian-keyring (tests/data/pgp); the v3, v5 and v6 bodies are
 * built here and their expected values were computed with Python's
 * hashlib (MD5 of n||e, SHA-256 of 0x9A/0x9B || len32 || body).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "pgp/pgp_fpr.h"
#include "pgp/pgp_packet.h"
#include "tap.h"

static int
hex_is(const uint8_t *p, size_t n, const char *want)
{
	char hex[2 * PGP_FPR_MAX + 1];

	pgp_hex(p, n, hex);
	return strcmp(hex, want) == 0;
}

/* The key or subkey packet number 'which' (0 = first) with tag. */
static int
find_packet(const uint8_t *d, size_t n, unsigned tag, int which,
    struct pgp_packet *out)
{
	struct pks_err e = { 0, NULL };
	size_t off = 0;

	while (pgp_packet_next(d, n, &off, out, &e) == PKS_OK)
		if (out->tag == tag && which-- == 0)
			return 1;
	return 0;
}

static void
test_v4(void)
{
	size_t n = 0;
	uint8_t *d = tap_read_file(tap_srcpath("tests/data/pgp/rsa-small.pgp"),
	    &n);
	struct pgp_packet p;
	struct pgp_fpr f;
	struct pks_err e = { 0, NULL };

	CHECK(d != NULL);
	if (d == NULL)
		return;
	CHECK(find_packet(d, n, 6, 0, &p));
	CHECK(pgp_fpr_compute(p.body, p.len, &f, &e) == PKS_OK);
	CHECK(f.version == 4 && f.len == 20);
	CHECK(hex_is(f.fpr, f.len, "7DF3D4B58EAD38D84E554E3B68530A812B47DCDE"));
	CHECK(hex_is(f.keyid, 8, "68530A812B47DCDE"));
	CHECK(pgp_keyid64(f.keyid) == 0x68530A812B47DCDEull);
	CHECK(find_packet(d, n, 14, 0, &p));
	CHECK(pgp_fpr_compute(p.body, p.len, &f, &e) == PKS_OK);
	CHECK(hex_is(f.fpr, f.len, "3966851E9CBE33F814DA065FE85E05609BC71181"));
	/* Too short for a v4 key. */
	CHECK(pgp_fpr_compute(p.body, 5, &f, &e) == PKS_ERR_PARSE);
	free(d);
}

static void
test_v3(void)
{
	uint8_t b[8 + 2 + 128 + 2 + 3];
	struct pgp_fpr f;
	struct pks_err e = { 0, NULL };
	size_t i;

	b[0] = 3;
	b[1] = 0x3a;
	b[2] = b[3] = b[4] = 0;
	b[5] = b[6] = 0;
	b[7] = 1;
	b[8] = 0x04;             /* 1024 bits */
	b[9] = 0x00;
	for (i = 0; i < 128; i++)
		b[10 + i] = (uint8_t)(i * 37 + 11);
	b[10] |= 0x80;
	b[138] = 0;              /* 17 bits */
	b[139] = 17;
	b[140] = 1;
	b[141] = 0;
	b[142] = 1;
	CHECK(pgp_fpr_compute(b, sizeof(b), &f, &e) == PKS_OK);
	CHECK(f.version == 3 && f.len == 16);
	CHECK(hex_is(f.keyid, 8, "6388ADD2F71C4166"));
	CHECK(hex_is(f.fpr, 16, "2B356B1CCB2FC90A70163910C009FF41"));
	/* A truncated modulus is refused. */
	CHECK(pgp_fpr_compute(b, 100, &f, &e) == PKS_ERR_PARSE);
}

static void
v56_body(uint8_t *b, uint8_t version)
{
	size_t i;

	b[0] = version;
	b[1] = 0x63;
	b[2] = 0x87;
	b[3] = 0x7f;
	b[4] = 0xe3;
	b[5] = 27;               /* Ed25519 */
	b[6] = b[7] = b[8] = 0;
	b[9] = 32;
	for (i = 0; i < 32; i++)
		b[10 + i] = (uint8_t)(i * 11 + 5);
}

static void
test_v5_v6(void)
{
	uint8_t b[42];
	struct pgp_fpr f;
	struct pks_err e = { 0, NULL };

	v56_body(b, 6);
	CHECK(pgp_fpr_compute(b, sizeof(b), &f, &e) == PKS_OK);
	CHECK(f.version == 6 && f.len == 32);
	CHECK(hex_is(f.fpr, 32, "83B097B406587280A8EC6FB7778E0B6C"
	    "660A9A740FA769B8B1DC410BDFCA8BB8"));
	CHECK(hex_is(f.keyid, 8, "83B097B406587280"));
	v56_body(b, 5);
	CHECK(pgp_fpr_compute(b, sizeof(b), &f, &e) == PKS_OK);
	CHECK(f.version == 5 && f.len == 32);
	CHECK(hex_is(f.fpr, 32, "D813079B1CE52DC7CA77F5F7E879D8F4"
	    "6636ED962EDA28D6B9F04FA6FA4A9920"));
	CHECK(hex_is(f.keyid, 8, "D813079B1CE52DC7"));
	b[0] = 7;
	CHECK(pgp_fpr_compute(b, sizeof(b), &f, &e) == PKS_ERR_UNSUPPORTED);
	CHECK(pgp_fpr_compute(b, 0, &f, &e) == PKS_ERR_PARSE);
}

static void
test_hex(void)
{
	static const uint8_t k[8] = { 0, 1, 0xab, 0xcd, 0xef, 0x10, 0x7f, 0xff };
	char out[17];

	pgp_hex(k, 8, out);
	CHECK(strcmp(out, "0001ABCDEF107FFF") == 0);
	CHECK(pgp_keyid64(k) == 0x0001abcdef107fffull);
	pgp_hex(k, 0, out);
	CHECK(out[0] == '\0');
}

int
main(void)
{
	pgp_init();
	RUN(test_v4);
	RUN(test_v3);
	RUN(test_v5_v6);
	RUN(test_hex);
	return tap_done();
}
