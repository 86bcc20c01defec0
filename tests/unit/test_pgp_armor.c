/*
 * test_pgp_armor.c: armor decoding as mail and web forms deliver it
 * (headers, no CRC, CRLF, several blocks, junk, clear-signed dash
 * escapes, loose whitespace), the refusals (bad CRC, bad base64, no END
 * line), and encoding (64 columns, CRC).  The expected base64 and CRC
 * values were computed with Python's base64 module and a bitwise CRC-24.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "pgp/pgp_armor.h"
#include "tap.h"
#include "util/limits.h"

#define BEGIN "-----BEGIN PGP PUBLIC KEY BLOCK-----"
#define END "-----END PGP PUBLIC KEY BLOCK-----"
/* Bytes 0..99 in base64, as three lines of 64, 64 and 8 characters. */
#define B1 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v"
#define B2 "MDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f"
#define B3 "YGFiYw=="
#define CRC "=ojIo"

static int
is_0_to_99(const struct buf *b, size_t at)
{
	size_t i;

	if (b->len < at + 100)
		return 0;
	for (i = 0; i < 100; i++)
		if (b->data[at + i] != i)
			return 0;
	return 1;
}

/* Decode the one block of text; 1 if it gives bytes 0..99. */
static int
decodes(const char *text)
{
	struct buf b;
	struct pks_err e = { 0, NULL };
	size_t off = 0;
	int ok;

	buf_init(&b, PKS_MAX_ARMOR);
	ok = pgp_armor_next(text, strlen(text), &off, &b, &e) == PKS_OK &&
	     b.len == 100 && is_0_to_99(&b, 0);
	buf_free(&b);
	return ok;
}

static void
test_crc24(void)
{
	uint8_t all[256];
	size_t i;

	for (i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	CHECK(pgp_armor_crc24(NULL, 0) == 0xb704ce);
	CHECK(pgp_armor_crc24((const uint8_t *)"hello", 5) == 0x47f58a);
	CHECK(pgp_armor_crc24(all, 256) == 0x5bbd34);
}

static void
test_decode_forms(void)
{
	CHECK(decodes(BEGIN "\n\n" B1 "\n" B2 "\n" B3 "\n" CRC "\n" END "\n"));
	/* Without CRC (RFC 9580), without the final newline. */
	CHECK(decodes(BEGIN "\n\n" B1 "\n" B2 "\n" B3 "\n" END));
	/* Headers, CRLF, trailing blanks. */
	CHECK(decodes(BEGIN "\r\nVersion: GnuPG v2\r\nComment: a: b\r\n"
			    "\r\n" B1 "  \r\n" B2 "\t\r\n" B3 "\r\n" CRC
			    " \r\n" END "\r\n"));
	/* No blank line after BEGIN when there are no headers. */
	CHECK(decodes(BEGIN "\n" B1 "\n" B2 "\n" B3 "\n" CRC "\n" END "\n"));
	/* Junk around, leading blanks, one long line. */
	CHECK(decodes("Hello,\nhere is my key:\n\n  " BEGIN "\n\n  " B1 B2
		      "\n" B3 "\n" END "\n-- \nsignature\n"));
	/* A block quoted inside a clear-signed message. */
	CHECK(decodes(
	    "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
	    "- " BEGIN "\n\n" B1 "\n" B2 "\n" B3 "\n" CRC "\n- " END "\n"
	    "-----BEGIN PGP SIGNATURE-----\n\nxxxx\n"
	    "-----END PGP SIGNATURE-----\n"));
	/* Base64 groups that straddle lines (76 columns, odd splits). */
	CHECK(decodes(BEGIN
	    "\n\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISI"
	    "jJCUmJygpKissLS4vMDEyMzQ1Njc4\nOTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUV"
	    "JTVFVWV1hZWltcXV5fYGFiYw==\n" END "\n"));
	CHECK(decodes(BEGIN "\n\n" B1 "\n" B2 "\nYGFiYw\n" END "\n"));
}

static void
test_decode_refused(void)
{
	struct buf b;
	struct pks_err e = { 0, NULL };
	const char *bad_crc = BEGIN "\n\n" B1 "\n" B2 "\n" B3 "\n=ojIp\n" END;
	const char *bad_b64 = BEGIN "\n\n" B1 "\n" B2 "\nYG*iYw==\n" END;
	const char *no_end = BEGIN "\n\n" B1 "\n" B2 "\n" B3 "\n";
	const char *after = BEGIN "\n\n" B1 "\n" CRC "\n" B2 "\n" END;
	const char *pad = BEGIN "\n\nYGFiYw==YGFi\n" END;
	const char *good = BEGIN "\n\n" B1 "\n" B2 "\n" B3 "\n" END;
	size_t off = 0;

	buf_init(&b, PKS_MAX_ARMOR);
	buf_add(&b, "keep", 4);
	CHECK(pgp_armor_next(bad_crc, strlen(bad_crc), &off, &b, &e) ==
	      PKS_ERR_PARSE);
	CHECK(strstr(e.why, "CRC") != NULL);
	/* out is as it was, *off past the BEGIN line. */
	CHECK(b.len == 4 && memcmp(b.data, "keep", 4) == 0);
	CHECK(off == strlen(BEGIN) + 1);
	off = 0;
	CHECK(pgp_armor_next(bad_b64, strlen(bad_b64), &off, &b, &e) ==
	      PKS_ERR_PARSE);
	CHECK(e.off == strlen(BEGIN) + 2 + 130);
	off = 0;
	CHECK(pgp_armor_next(no_end, strlen(no_end), &off, &b, &e) ==
	      PKS_ERR_PARSE);
	off = 0;
	CHECK(pgp_armor_next(after, strlen(after), &off, &b, &e) ==
	      PKS_ERR_PARSE);
	off = 0;
	CHECK(pgp_armor_next(pad, strlen(pad), &off, &b, &e) == PKS_ERR_PARSE);
	off = 0;
	CHECK(pgp_armor_next("no key", 6, &off, &b, &e) == PKS_ERR_NOTFOUND);
	CHECK(b.len == 4);
	/* Over the buffer's cap. */
	b.max = 50;
	off = 0;
	CHECK(
	    pgp_armor_next(good, strlen(good), &off, &b, &e) == PKS_ERR_TOOBIG);
	CHECK(b.len == 4);
	buf_free(&b);
}

static void
test_two_blocks(void)
{
	const char *text =
	    "junk\n" BEGIN "\n\n" B1 "\n" B2 "\n" B3 "\n" CRC "\n" END
	    "\nmiddle junk\n" BEGIN "\nComment: broken\n\n" B1 "\n=AAAA\n" END
	    "\n" BEGIN "\n\n" B1 "\n" B2 "\n" B3 "\n" END "\ntrailer";
	struct buf b;
	struct pks_err e = { 0, NULL };
	size_t off = 0, len = strlen(text);

	CHECK(pgp_armor_present(text, len));
	CHECK(!pgp_armor_present("-----BEGIN PGP SIGNATURE-----", 29));
	buf_init(&b, PKS_MAX_ARMOR);
	CHECK(pgp_armor_next(text, len, &off, &b, &e) == PKS_OK);
	CHECK(b.len == 100);
	/* The bad middle block is reported and skipped. */
	CHECK(pgp_armor_next(text, len, &off, &b, &e) == PKS_ERR_PARSE);
	CHECK(b.len == 100);
	CHECK(pgp_armor_next(text, len, &off, &b, &e) == PKS_OK);
	CHECK(b.len == 200 && is_0_to_99(&b, 100));
	CHECK(pgp_armor_next(text, len, &off, &b, &e) == PKS_ERR_NOTFOUND);
	buf_free(&b);
}

static void
test_encode(void)
{
	uint8_t d[100];
	struct buf b, back;
	struct pks_err e = { 0, NULL };
	const char *want =
	    BEGIN "\nComment: x\n\n" B1 "\n" B2 "\n" B3 "\n" CRC "\n" END "\n";
	size_t i, n, off;

	for (i = 0; i < 100; i++)
		d[i] = (uint8_t)i;
	buf_init(&b, PKS_MAX_ARMOR);
	CHECK(pgp_armor_encode(d, 100, "Comment: x\n", &b) == PKS_OK);
	CHECK(b.len == strlen(want) && memcmp(b.data, want, b.len) == 0);
	/* Round trip for every length around the line width. */
	for (n = 0; n < 200; n++) {
		uint8_t *x = malloc(n + 1);

		for (i = 0; i < n; i++)
			x[i] = (uint8_t)(i * 131 + n);
		buf_reset(&b);
		buf_init(&back, PKS_MAX_ARMOR);
		off = 0;
		CHECK(pgp_armor_encode(x, n, NULL, &b) == PKS_OK);
		CHECK(pgp_armor_next((const char *)b.data, b.len, &off, &back,
			  &e) == PKS_OK);
		CHECK(
		    back.len == n && (n == 0 || memcmp(back.data, x, n) == 0));
		CHECK(off == b.len);
		buf_free(&back);
		free(x);
	}
	b.max = b.len + 10;
	CHECK(pgp_armor_encode(d, 100, NULL, &b) == PKS_ERR_TOOBIG);
	buf_free(&b);
}

/* CRC-24 against the published check value and a bit-wise reference. */
static uint32_t
crc24_bitwise(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xb704ce;
	size_t i;
	int b;

	for (i = 0; i < n; i++) {
		crc ^= (uint32_t)p[i] << 16;
		for (b = 0; b < 8; b++) {
			crc <<= 1;
			if (crc & 0x1000000)
				crc ^= 0x1864cfb;
		}
	}
	return crc & 0xffffff;
}

static void
test_crc24_reference(void)
{
	uint8_t buf[1000];
	size_t i, n;

	CHECK(pgp_armor_crc24((const uint8_t *)"123456789", 9) == 0x21cf02);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	for (n = 0; n < sizeof(buf); n += 37)
		CHECK(pgp_armor_crc24(buf, n) == crc24_bitwise(buf, n));
}

/* The armor written in pieces is byte for byte the armor written whole. */
static void
test_armor_pieces(void)
{
	static const size_t lens[] = { 0, 1, 47, 48, 49, 96, 1000, 4099 };
	uint8_t data[4099];
	struct pgp_armor_enc e;
	struct buf whole, parts;
	size_t i, k, off, step;

	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + (i >> 3));
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		for (step = 1; step < 120; step += 37) {
			buf_init(&whole, 1u << 20);
			buf_init(&parts, 1u << 20);
			CHECK(pgp_armor_encode(data, lens[i], NULL, &whole) ==
			      PKS_OK);
			pgp_armor_enc_begin(&e);
			for (off = 0; off < lens[i]; off += k) {
				k = lens[i] - off < step ? lens[i] - off : step;
				CHECK(pgp_armor_enc_add(
					  &e, data + off, k, &parts) == PKS_OK);
			}
			CHECK(pgp_armor_enc_end(&e, &parts) == PKS_OK);
			CHECK(whole.len == parts.len &&
			      memcmp(whole.data, parts.data, whole.len) == 0);
			buf_free(&whole);
			buf_free(&parts);
		}
	}
}

int
main(void)
{
	RUN(test_armor_pieces);
	RUN(test_crc24);
	RUN(test_decode_forms);
	RUN(test_decode_refused);
	RUN(test_two_blocks);
	RUN(test_encode);
	RUN(test_crc24_reference);
	return tap_done();
}
