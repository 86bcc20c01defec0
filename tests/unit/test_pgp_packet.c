/*
 * test_pgp_packet.c: packet headers, every length form read, the
 * refused forms (partial, indeterminate, past the end, too large), and
 * the SKS and PKS framing of the writer.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "pgp/pgp_packet.h"
#include "tap.h"
#include "util/limits.h"

static enum pks_rc
read1(const uint8_t *d, size_t n, struct pgp_packet *p, struct pks_err *e)
{
	size_t off = 0;

	return pgp_packet_next(d, n, &off, p, e);
}

static void
test_new_format_lengths(void)
{
	static uint8_t one[] = { 0xcd, 0x03, 'a', 'b', 'c' };
	static uint8_t two[2 + 200 + 1];
	static uint8_t five[6 + 256];
	struct pgp_packet p;
	struct pks_err e = { 0, NULL };
	size_t off = 0;

	CHECK(pgp_packet_next(one, sizeof(one), &off, &p, &e) == PKS_OK);
	CHECK(p.tag == 13 && p.len == 3 && p.hdrlen == 2 && off == 5);
	CHECK(memcmp(p.body, "abc", 3) == 0);

	/* 200 = ((0xc0 - 192) << 8) + 8 + 192 */
	two[0] = 0xc2;
	two[1] = 0xc0;
	two[2] = 8;
	CHECK(read1(two, 3 + 200, &p, &e) == PKS_OK);
	CHECK(p.tag == 2 && p.len == 200 && p.hdrlen == 3);
	/* 8383 is the largest two-octet length */
	two[1] = 0xdf;
	two[2] = 0xff;
	CHECK(read1(two, 3 + 200, &p, &e) == PKS_ERR_PARSE);

	five[0] = 0xc6;
	five[1] = 0xff;
	five[2] = 0;
	five[3] = 0;
	five[4] = 1;
	five[5] = 0;
	CHECK(read1(five, sizeof(five), &p, &e) == PKS_OK);
	CHECK(p.tag == 6 && p.len == 256 && p.hdrlen == 6);
}

static void
test_old_format_lengths(void)
{
	static uint8_t d1[] = { 0xb4, 0x01, 'x' };
	static uint8_t d2[3 + 300] = { 0x89, 0x01, 0x2c };
	static uint8_t d4[5 + 70000] = { 0x8a, 0x00, 0x01, 0x11, 0x70 };
	struct pgp_packet p;
	struct pks_err e = { 0, NULL };

	CHECK(read1(d1, sizeof(d1), &p, &e) == PKS_OK);
	CHECK(p.tag == 13 && p.len == 1 && p.hdrlen == 2);
	CHECK(read1(d2, sizeof(d2), &p, &e) == PKS_OK);
	CHECK(p.tag == 2 && p.len == 300 && p.hdrlen == 3);
	CHECK(read1(d4, sizeof(d4), &p, &e) == PKS_OK);
	CHECK(p.tag == 2 && p.len == 70000 && p.hdrlen == 5);
}

static void
test_refused(void)
{
	static uint8_t partial[] = { 0xcb, 0xe1, 'a', 'b' };
	static uint8_t indet[] = { 0xb7, 'a', 'b' };
	static uint8_t past[] = { 0xb4, 0x05, 'a', 'b' };
	static uint8_t past5[] = { 0xc2, 0xff, 0, 0, 0, 9, 1, 2 };
	static uint8_t nobit[] = { 0x34, 0x01, 'a' };
	static uint8_t trunc[] = { 0xc2, 0xff, 0, 0 };
	static uint8_t huge[] = { 0xc2, 0xff, 0, 0x04, 0, 1 };
	static uint8_t tag0[] = { 0x80, 0x00 };
	struct pgp_packet p;
	struct pks_err e = { 0, NULL };
	size_t off = 0;

	CHECK(read1(partial, sizeof(partial), &p, &e) == PKS_ERR_PARSE);
	CHECK(e.why != NULL && strstr(e.why, "partial") != NULL);
	CHECK(read1(indet, sizeof(indet), &p, &e) == PKS_ERR_PARSE);
	CHECK(strstr(e.why, "indeterminate") != NULL);
	CHECK(read1(past, sizeof(past), &p, &e) == PKS_ERR_PARSE);
	CHECK(read1(past5, sizeof(past5), &p, &e) == PKS_ERR_PARSE);
	CHECK(read1(nobit, sizeof(nobit), &p, &e) == PKS_ERR_PARSE);
	CHECK(read1(trunc, sizeof(trunc), &p, &e) == PKS_ERR_PARSE);
	CHECK(read1(huge, sizeof(huge), &p, &e) == PKS_ERR_TOOBIG);
	CHECK(read1(tag0, sizeof(tag0), &p, &e) == PKS_ERR_PARSE);
	/* The offset of the bad header is reported; *off is unchanged. */
	{
		uint8_t two[] = { 0xb4, 0x01, 'x', 0xcb, 0xe1, 'a' };

		off = 0;
		CHECK(pgp_packet_next(two, sizeof(two), &off, &p, &e) ==
		    PKS_OK);
		CHECK(pgp_packet_next(two, sizeof(two), &off, &p, &e) ==
		    PKS_ERR_PARSE);
		CHECK(off == 3 && e.off == 3);
		off = sizeof(two);
		CHECK(pgp_packet_next(two, sizeof(two), &off, &p, &e) ==
		    PKS_ERR_NOTFOUND);
	}
}

/* Write a packet with 'len' body bytes and check header and re-read. */
static void
write_check(unsigned tag, size_t len, enum pgp_hdr_style style,
    const uint8_t *hdr, size_t hlen)
{
	uint8_t *body = calloc(1, len + 1);
	struct buf b;
	struct pgp_packet p;
	struct pks_err e = { 0, NULL };
	size_t off = 0, i;

	for (i = 0; i < len; i++)
		body[i] = (uint8_t)(i * 7);
	buf_init(&b, PKS_MAX_PACKET + 16);
	CHECK(pgp_packet_write(&b, tag, body, len, style) == PKS_OK);
	CHECK(b.len == hlen + len);
	CHECK(memcmp(b.data, hdr, hlen) == 0);
	CHECK(pgp_packet_next(b.data, b.len, &off, &p, &e) == PKS_OK);
	CHECK(p.tag == tag && p.len == len && p.hdrlen == hlen);
	CHECK(memcmp(p.body, body, len) == 0);
	buf_free(&b);
	free(body);
}

static void
test_write_sks(void)
{
	static const uint8_t h1[] = { 0x88, 255 };
	static const uint8_t h2[] = { 0x89, 0x01, 0x00 };
	static const uint8_t h2b[] = { 0xb5, 0xff, 0xff };
	static const uint8_t h4[] = { 0x8a, 0x00, 0x01, 0x00, 0x00 };
	static const uint8_t h17[] = { 0xd1, 0xff, 0x00, 0x00, 0x00, 0x05 };
	static const uint8_t h0[] = { 0xb4, 0x00 };

	write_check(2, 255, PGP_HDR_SKS, h1, sizeof(h1));
	write_check(2, 256, PGP_HDR_SKS, h2, sizeof(h2));
	write_check(13, 65535, PGP_HDR_SKS, h2b, sizeof(h2b));
	write_check(2, 65536, PGP_HDR_SKS, h4, sizeof(h4));
	write_check(17, 5, PGP_HDR_SKS, h17, sizeof(h17));
	write_check(13, 0, PGP_HDR_SKS, h0, sizeof(h0));
	write_check(2, 255, PGP_HDR_OLD_ONLY, h1, sizeof(h1));
}

static void
test_write_old_only(void)
{
	struct buf b;
	uint8_t x = 1;

	buf_init(&b, 1024);
	CHECK(pgp_packet_write(&b, 17, &x, 1, PGP_HDR_OLD_ONLY) ==
	    PKS_ERR_UNSUPPORTED);
	CHECK(b.len == 0);
	CHECK(pgp_packet_write(&b, 14, &x, 1, PGP_HDR_OLD_ONLY) == PKS_OK);
	CHECK(b.len == 3 && b.data[0] == 0xb8);
	/* A capped buffer refuses and stays as it was. */
	b.max = 4;
	CHECK(pgp_packet_write(&b, 14, &x, 1, PGP_HDR_SKS) == PKS_ERR_TOOBIG);
	CHECK(b.len == 3);
	buf_free(&b);
}

int
main(void)
{
	RUN(test_new_format_lengths);
	RUN(test_old_format_lengths);
	RUN(test_refused);
	RUN(test_write_sks);
	RUN(test_write_old_only);
	return tap_done();
}
