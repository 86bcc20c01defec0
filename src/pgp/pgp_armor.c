/*
 * pgp_armor.c: ASCII armor of public key blocks, decoded and encoded.
 *
 * Decoding is liberal in what it takes from mail and web forms: junk
 * around and between blocks, any armor headers (or none, with or
 * without the blank line after them), LF or CRLF, trailing blanks,
 * blank lines inside the base64, and lines dash-escaped by a clear
 * signature ("- ").  The CRC line is optional (RFC 9580) and checked
 * when present.  Base64 and CRC-24 go by table, one pass over the text.
 */
#include <config.h>

#include <pthread.h>
#include <string.h>

#include "pgp/pgp_armor.h"

#define BEGIN_LINE "-----BEGIN PGP PUBLIC KEY BLOCK-----"
#define END_LINE "-----END PGP PUBLIC KEY BLOCK-----"

static const uint32_t crc24_tab[256] = {
	0x000000,
	0x864cfb,
	0x8ad50d,
	0x0c99f6,
	0x93e6e1,
	0x15aa1a,
	0x1933ec,
	0x9f7f17,
	0xa18139,
	0x27cdc2,
	0x2b5434,
	0xad18cf,
	0x3267d8,
	0xb42b23,
	0xb8b2d5,
	0x3efe2e,
	0xc54e89,
	0x430272,
	0x4f9b84,
	0xc9d77f,
	0x56a868,
	0xd0e493,
	0xdc7d65,
	0x5a319e,
	0x64cfb0,
	0xe2834b,
	0xee1abd,
	0x685646,
	0xf72951,
	0x7165aa,
	0x7dfc5c,
	0xfbb0a7,
	0x0cd1e9,
	0x8a9d12,
	0x8604e4,
	0x00481f,
	0x9f3708,
	0x197bf3,
	0x15e205,
	0x93aefe,
	0xad50d0,
	0x2b1c2b,
	0x2785dd,
	0xa1c926,
	0x3eb631,
	0xb8faca,
	0xb4633c,
	0x322fc7,
	0xc99f60,
	0x4fd39b,
	0x434a6d,
	0xc50696,
	0x5a7981,
	0xdc357a,
	0xd0ac8c,
	0x56e077,
	0x681e59,
	0xee52a2,
	0xe2cb54,
	0x6487af,
	0xfbf8b8,
	0x7db443,
	0x712db5,
	0xf7614e,
	0x19a3d2,
	0x9fef29,
	0x9376df,
	0x153a24,
	0x8a4533,
	0x0c09c8,
	0x00903e,
	0x86dcc5,
	0xb822eb,
	0x3e6e10,
	0x32f7e6,
	0xb4bb1d,
	0x2bc40a,
	0xad88f1,
	0xa11107,
	0x275dfc,
	0xdced5b,
	0x5aa1a0,
	0x563856,
	0xd074ad,
	0x4f0bba,
	0xc94741,
	0xc5deb7,
	0x43924c,
	0x7d6c62,
	0xfb2099,
	0xf7b96f,
	0x71f594,
	0xee8a83,
	0x68c678,
	0x645f8e,
	0xe21375,
	0x15723b,
	0x933ec0,
	0x9fa736,
	0x19ebcd,
	0x8694da,
	0x00d821,
	0x0c41d7,
	0x8a0d2c,
	0xb4f302,
	0x32bff9,
	0x3e260f,
	0xb86af4,
	0x2715e3,
	0xa15918,
	0xadc0ee,
	0x2b8c15,
	0xd03cb2,
	0x567049,
	0x5ae9bf,
	0xdca544,
	0x43da53,
	0xc596a8,
	0xc90f5e,
	0x4f43a5,
	0x71bd8b,
	0xf7f170,
	0xfb6886,
	0x7d247d,
	0xe25b6a,
	0x641791,
	0x688e67,
	0xeec29c,
	0x3347a4,
	0xb50b5f,
	0xb992a9,
	0x3fde52,
	0xa0a145,
	0x26edbe,
	0x2a7448,
	0xac38b3,
	0x92c69d,
	0x148a66,
	0x181390,
	0x9e5f6b,
	0x01207c,
	0x876c87,
	0x8bf571,
	0x0db98a,
	0xf6092d,
	0x7045d6,
	0x7cdc20,
	0xfa90db,
	0x65efcc,
	0xe3a337,
	0xef3ac1,
	0x69763a,
	0x578814,
	0xd1c4ef,
	0xdd5d19,
	0x5b11e2,
	0xc46ef5,
	0x42220e,
	0x4ebbf8,
	0xc8f703,
	0x3f964d,
	0xb9dab6,
	0xb54340,
	0x330fbb,
	0xac70ac,
	0x2a3c57,
	0x26a5a1,
	0xa0e95a,
	0x9e1774,
	0x185b8f,
	0x14c279,
	0x928e82,
	0x0df195,
	0x8bbd6e,
	0x872498,
	0x016863,
	0xfad8c4,
	0x7c943f,
	0x700dc9,
	0xf64132,
	0x693e25,
	0xef72de,
	0xe3eb28,
	0x65a7d3,
	0x5b59fd,
	0xdd1506,
	0xd18cf0,
	0x57c00b,
	0xc8bf1c,
	0x4ef3e7,
	0x426a11,
	0xc426ea,
	0x2ae476,
	0xaca88d,
	0xa0317b,
	0x267d80,
	0xb90297,
	0x3f4e6c,
	0x33d79a,
	0xb59b61,
	0x8b654f,
	0x0d29b4,
	0x01b042,
	0x87fcb9,
	0x1883ae,
	0x9ecf55,
	0x9256a3,
	0x141a58,
	0xefaaff,
	0x69e604,
	0x657ff2,
	0xe33309,
	0x7c4c1e,
	0xfa00e5,
	0xf69913,
	0x70d5e8,
	0x4e2bc6,
	0xc8673d,
	0xc4fecb,
	0x42b230,
	0xddcd27,
	0x5b81dc,
	0x57182a,
	0xd154d1,
	0x26359f,
	0xa07964,
	0xace092,
	0x2aac69,
	0xb5d37e,
	0x339f85,
	0x3f0673,
	0xb94a88,
	0x87b4a6,
	0x01f85d,
	0x0d61ab,
	0x8b2d50,
	0x145247,
	0x921ebc,
	0x9e874a,
	0x18cbb1,
	0xe37b16,
	0x6537ed,
	0x69ae1b,
	0xefe2e0,
	0x709df7,
	0xf6d10c,
	0xfa48fa,
	0x7c0401,
	0x42fa2f,
	0xc4b6d4,
	0xc82f22,
	0x4e63d9,
	0xd11cce,
	0x575035,
	0x5bc9c3,
	0xdd8538,
};

/*
 * Speed tables, built once: crc24_x[k][b] is the CRC of byte b followed
 * by k zero bytes, so eight input bytes are folded with eight lookups
 * (CRC is linear over GF(2)); b64_pair[v] is the two base64 characters
 * of a 12-bit value.  op=get armors every key it serves, so this is on
 * the hot path of the HKP server.
 */
static uint32_t crc24_x[8][256];
static uint16_t b64_pair[4096];
static pthread_once_t armor_tables_once = PTHREAD_ONCE_INIT;

static const char b64_enc[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
armor_tables_init(void)
{
	uint32_t t;
	unsigned b, k, v;

	for (b = 0; b < 256; b++) {
		t = crc24_tab[b];
		crc24_x[0][b] = t;
		for (k = 1; k < 8; k++) {
			t = ((t << 8) ^ crc24_tab[(t >> 16) & 0xff]) & 0xffffff;
			crc24_x[k][b] = t;
		}
	}
	for (v = 0; v < 4096; v++) {
		uint8_t c[2] = { (uint8_t)b64_enc[v >> 6],
			(uint8_t)b64_enc[v & 63] };

		memcpy(&b64_pair[v], c, 2);
	}
}

static uint32_t crc24_more(uint32_t crc, const uint8_t *data, size_t len);

uint32_t
pgp_armor_crc24(const uint8_t *data, size_t len)
{
	return crc24_more(0xb704ce, data, len);
}

static uint32_t
crc24_more(uint32_t crc, const uint8_t *data, size_t len)
{
	uint32_t r;
	size_t i = 0;

	pthread_once(&armor_tables_once, armor_tables_init);
	for (; i + 8 <= len; i += 8) {
		const uint8_t *d = data + i;

		r = (crc << 8) ^ ((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
				     (uint32_t)d[2] << 8 | d[3]);
		crc = crc24_x[7][r >> 24] ^ crc24_x[6][(r >> 16) & 0xff] ^
		      crc24_x[5][(r >> 8) & 0xff] ^ crc24_x[4][r & 0xff] ^
		      crc24_x[3][d[4]] ^ crc24_x[2][d[5]] ^ crc24_x[1][d[6]] ^
		      crc24_x[0][d[7]];
	}
	for (; i < len; i++)
		crc = ((crc << 8) ^ crc24_tab[((crc >> 16) ^ data[i]) & 0xff]) &
		      0xffffff;
	return crc;
}

/* Base64 values; B64_WS for blanks, B64_BAD for anything else. */
#define B64_PAD 64
#define B64_WS 65
#define B64_BAD 66

static const uint8_t b64_dec[256] = {
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	65,
	66,
	66,
	66,
	65,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	65,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	62,
	66,
	66,
	66,
	63,
	52,
	53,
	54,
	55,
	56,
	57,
	58,
	59,
	60,
	61,
	66,
	66,
	66,
	64,
	66,
	66,
	66,
	0,
	1,
	2,
	3,
	4,
	5,
	6,
	7,
	8,
	9,
	10,
	11,
	12,
	13,
	14,
	15,
	16,
	17,
	18,
	19,
	20,
	21,
	22,
	23,
	24,
	25,
	66,
	66,
	66,
	66,
	66,
	66,
	26,
	27,
	28,
	29,
	30,
	31,
	32,
	33,
	34,
	35,
	36,
	37,
	38,
	39,
	40,
	41,
	42,
	43,
	44,
	45,
	46,
	47,
	48,
	49,
	50,
	51,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
	66,
};

/* Base64 decoder state; groups may straddle lines. */
struct b64 {
	uint32_t acc;
	int n;    /* sextets in acc */
	int pad;  /* '=' seen */
	int done; /* a padded group ended the data */
};

/* Decode one line of base64 into p; returns bytes written or -1. */
static long
b64_line(struct b64 *st, const char *s, size_t n, uint8_t *p)
{
	uint8_t *q = p;
	size_t i;
	uint8_t v;

	for (i = 0; i < n; i++) {
		v = b64_dec[(uint8_t)s[i]];
		if (v == B64_WS)
			continue;
		if (v == B64_BAD || (st->done && v != B64_PAD))
			return -1;
		if (v == B64_PAD) {
			if (st->n < 2 || st->n + st->pad >= 4)
				return -1;
			st->acc <<= 6;
			st->pad++;
		} else {
			if (st->pad)
				return -1;
			st->acc = st->acc << 6 | v;
			st->n++;
		}
		if (st->n + st->pad == 4) {
			*q++ = st->acc >> 16;
			if (st->pad < 2)
				*q++ = st->acc >> 8;
			if (st->pad < 1)
				*q++ = st->acc;
			st->done = st->pad > 0;
			st->acc = 0;
			st->n = st->pad = 0;
		}
	}
	return q - p;
}

/* Flush an unpadded final group ("xx" or "xxx"); -1 if malformed. */
static long
b64_final(struct b64 *st, uint8_t *p)
{
	if (st->pad)
		return -1;
	switch (st->n) {
	case 0:
		return 0;
	case 2:
		p[0] = st->acc >> 4;
		return 1;
	case 3:
		p[0] = st->acc >> 10;
		p[1] = st->acc >> 2;
		return 2;
	default:
		return -1;
	}
}

/* One line of the text, trimmed: [s, s + n). */
struct line {
	const char *s;
	size_t n;
	size_t start; /* offset of the raw line in the text */
	size_t next;  /* offset of the following line */
};

/* Read the line at off; strip CR, blanks and a "- " dash escape. */
static void
get_line(const char *text, size_t len, size_t off, struct line *ln)
{
	const char *nl = memchr(text + off, '\n', len - off);
	size_t end = nl ? (size_t)(nl - text) : len;

	ln->start = off;
	ln->next = nl ? end + 1 : len;
	while (end > off && (text[end - 1] == '\r' || text[end - 1] == ' ' ||
				text[end - 1] == '\t'))
		end--;
	if (end - off >= 2 && text[off] == '-' && text[off + 1] == ' ')
		off += 2;
	while (off < end && (text[off] == ' ' || text[off] == '\t'))
		off++;
	ln->s = text + off;
	ln->n = end - off;
}

static int
starts_with(const struct line *ln, const char *p)
{
	size_t n = strlen(p);

	return ln->n >= n && memcmp(ln->s, p, n) == 0;
}

/* Offset of the next BEGIN line at or after off, or len. */
static size_t
find_begin(const char *text, size_t len, size_t off)
{
	const char *p;

	if (off >= len)
		return len;
	p = memmem(text + off, len - off, BEGIN_LINE, strlen(BEGIN_LINE));
	return p ? (size_t)(p - text) : len;
}

int
pgp_armor_present(const char *text, size_t len)
{
	return find_begin(text, len, 0) < len;
}

/* Check the "=XXXX" line against the data decoded so far. */
static enum pks_rc
check_crc(const struct line *ln, const uint8_t *data, size_t len)
{
	struct b64 st = { 0, 0, 0, 0 };
	uint8_t c[3];

	if (ln->n != 5 || b64_line(&st, ln->s + 1, 4, c) != 3)
		return PKS_ERR_PARSE;
	if (((uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2]) !=
	    pgp_armor_crc24(data, len))
		return PKS_ERR_PARSE;
	return PKS_OK;
}

/* Decoding state of one block. */
struct dec {
	const char *text;
	size_t len;
	struct buf *out;
	size_t base; /* out->len before the block */
	struct b64 st;
	int in_body;
	int have_crc;
};

/* Append one base64 line to out. */
static enum pks_rc
body_line(struct dec *d, const struct line *ln)
{
	uint8_t *p;
	long n;
	enum pks_rc rc;

	rc = buf_reserve(d->out, ln->n / 4 * 3 + 3, &p);
	if (rc != PKS_OK)
		return rc;
	n = b64_line(&d->st, ln->s, ln->n, p);
	if (n < 0)
		return PKS_ERR_PARSE;
	d->out->len += (size_t)n;
	return PKS_OK;
}

/* Finish at the END line: last group, CRC. */
static enum pks_rc
finish(
    struct dec *d, const struct line *crc, size_t endoff, struct pks_err *err)
{
	uint8_t *p;
	long n;
	enum pks_rc rc;

	rc = buf_reserve(d->out, 3, &p);
	if (rc != PKS_OK)
		return pks_fail(err, endoff, "armored data too large", rc);
	n = b64_final(&d->st, p);
	if (n < 0)
		return pks_fail(
		    err, endoff, "bad base64 at end of armor", PKS_ERR_PARSE);
	d->out->len += (size_t)n;
	d->out->data[d->out->len] = '\0';
	if (crc != NULL && check_crc(crc, d->out->data + d->base,
			       d->out->len - d->base) != PKS_OK)
		return pks_fail(
		    err, crc->start, "armor CRC mismatch", PKS_ERR_PARSE);
	return PKS_OK;
}

/*
 * Walk the lines after the BEGIN line until the END line; *off is then
 * the offset after END.
 */
static enum pks_rc
decode_block(struct dec *d, size_t *off, struct pks_err *err)
{
	struct line ln, crc;
	enum pks_rc rc;

	memset(&crc, 0, sizeof(crc));
	while (*off < d->len) {
		get_line(d->text, d->len, *off, &ln);
		*off = ln.next;
		if (starts_with(&ln, END_LINE))
			return finish(
			    d, d->have_crc ? &crc : NULL, ln.start, err);
		if (starts_with(&ln, "-----"))
			break;
		if (ln.n == 0) {
			d->in_body = 1;
			continue;
		}
		if (d->have_crc)
			return pks_fail(err, ln.start, "data after armor CRC",
			    PKS_ERR_PARSE);
		if (!d->in_body && memchr(ln.s, ':', ln.n) != NULL)
			continue; /* an armor header */
		d->in_body = 1;
		if (ln.s[0] == '=' && ln.n == 5) {
			crc = ln;
			d->have_crc = 1;
			continue;
		}
		rc = body_line(d, &ln);
		if (rc != PKS_OK)
			return pks_fail(err, ln.start,
			    rc == PKS_ERR_PARSE ? "bad base64 in armor"
						: "armored data too large",
			    rc);
	}
	return pks_fail(err, *off, "armor END line missing", PKS_ERR_PARSE);
}

enum pks_rc
pgp_armor_next(const char *text, size_t len, size_t *off, struct buf *out,
    struct pks_err *err)
{
	struct dec d;
	struct line ln;
	size_t begin, pos;
	enum pks_rc rc;

	begin = find_begin(text, len, *off);
	if (begin >= len) {
		*off = len;
		return pks_fail(
		    err, len, "no armored key block", PKS_ERR_NOTFOUND);
	}
	get_line(text, len, begin, &ln);
	memset(&d, 0, sizeof(d));
	d.text = text;
	d.len = len;
	d.out = out;
	d.base = out->len;
	pos = ln.next;
	rc = decode_block(&d, &pos, err);
	if (rc != PKS_OK) {
		out->len = d.base;
		if (out->data != NULL)
			out->data[out->len] = '\0';
		*off = ln.next;
		return rc;
	}
	*off = pos;
	return PKS_OK;
}

/* Base64 of up to 48 bytes as one line (no newline); returns chars. */
static size_t
b64_encode_line(const uint8_t *p, size_t n, char *o)
{
	char *q = o;
	uint32_t v;
	size_t i;

	pthread_once(&armor_tables_once, armor_tables_init);
	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		memcpy(q, &b64_pair[v >> 12], 2);
		memcpy(q + 2, &b64_pair[v & 4095], 2);
		q += 4;
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		*q++ = b64_enc[v >> 18];
		*q++ = b64_enc[(v >> 12) & 63];
		*q++ = '=';
		*q++ = '=';
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*q++ = b64_enc[v >> 18];
		*q++ = b64_enc[(v >> 12) & 63];
		*q++ = b64_enc[(v >> 6) & 63];
		*q++ = '=';
	}
	return (size_t)(q - o);
}

enum pks_rc
pgp_armor_encode(
    const uint8_t *data, size_t len, const char *headers, struct buf *out)
{
	size_t base = out->len, i, n, lines;
	uint8_t c[3];
	uint32_t crc;
	char line[72];
	enum pks_rc rc;

	lines = len / 48 + 1;
	rc = buf_reserve(
	    out, lines * 65 + 128 + (headers ? strlen(headers) : 0), NULL);
	if (rc != PKS_OK)
		return rc;
	rc = buf_adds(out, BEGIN_LINE "\n");
	if (rc == PKS_OK && headers != NULL)
		rc = buf_adds(out, headers);
	if (rc == PKS_OK)
		rc = buf_addc(out, '\n');
	/* The space was reserved above: encode straight into it. */
	for (i = 0; rc == PKS_OK && i < len; i += 48) {
		n = b64_encode_line(data + i, len - i < 48 ? len - i : 48,
		    (char *)out->data + out->len);
		out->data[out->len + n] = '\n';
		out->len += n + 1;
	}
	if (rc == PKS_OK)
		out->data[out->len] = '\0';
	crc = pgp_armor_crc24(data, len);
	c[0] = crc >> 16;
	c[1] = crc >> 8;
	c[2] = crc;
	line[0] = '=';
	n = 1 + b64_encode_line(c, 3, line + 1);
	line[n++] = '\n';
	if (rc == PKS_OK)
		rc = buf_add(out, line, n);
	if (rc == PKS_OK)
		rc = buf_adds(out, END_LINE "\n");
	if (rc != PKS_OK) {
		out->len = base;
		if (out->data != NULL)
			out->data[base] = '\0';
	}
	return rc;
}

void
pgp_armor_enc_begin(struct pgp_armor_enc *e)
{
	memset(e, 0, sizeof(*e));
	e->crc = 0xb704ce;
}

/* Append the base64 line of n (<= 48) bytes and its newline. */
static enum pks_rc
enc_line(const uint8_t *p, size_t n, struct buf *out)
{
	enum pks_rc rc;
	size_t k;

	if ((rc = buf_reserve(out, 66, NULL)) != PKS_OK)
		return rc;
	k = b64_encode_line(p, n, (char *)out->data + out->len);
	out->data[out->len + k] = '\n';
	out->len += k + 1;
	out->data[out->len] = '\0';
	return PKS_OK;
}

enum pks_rc
pgp_armor_enc_add(
    struct pgp_armor_enc *e, const uint8_t *data, size_t len, struct buf *out)
{
	enum pks_rc rc = PKS_OK;
	size_t take;

	if (!e->started) {
		if ((rc = buf_adds(out, BEGIN_LINE "\n\n")) != PKS_OK)
			return rc;
		e->started = 1;
	}
	e->crc = crc24_more(e->crc, data, len);
	while (len > 0 && rc == PKS_OK) {
		take = sizeof(e->carry) - e->ncarry;
		take = take < len ? take : len;
		memcpy(e->carry + e->ncarry, data, take);
		e->ncarry += take;
		data += take;
		len -= take;
		if (e->ncarry == sizeof(e->carry)) {
			rc = enc_line(e->carry, e->ncarry, out);
			e->ncarry = 0;
		}
	}
	return rc;
}

enum pks_rc
pgp_armor_enc_end(struct pgp_armor_enc *e, struct buf *out)
{
	uint8_t c[3];
	char line[8];
	enum pks_rc rc = PKS_OK;
	size_t n;

	if (!e->started)
		rc = pgp_armor_enc_add(e, NULL, 0, out);
	if (rc == PKS_OK && e->ncarry > 0)
		rc = enc_line(e->carry, e->ncarry, out);
	e->ncarry = 0;
	c[0] = (uint8_t)(e->crc >> 16);
	c[1] = (uint8_t)(e->crc >> 8);
	c[2] = (uint8_t)e->crc;
	line[0] = '=';
	n = 1 + b64_encode_line(c, 3, line + 1);
	line[n++] = '\n';
	if (rc == PKS_OK)
		rc = buf_add(out, line, n);
	if (rc == PKS_OK)
		rc = buf_adds(out, END_LINE "\n");
	return rc;
}
