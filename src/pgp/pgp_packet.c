/*
 * pgp_packet.c: OpenPGP packet headers, read and written.
 *
 * The reader takes old- and new-format headers with every definite
 * length form and refuses partial and indeterminate lengths: neither
 * occurs in key material, and SKS refuses them too.  The writer frames
 * packets the way SKS writes them (Packet.write_packet_old), so stored
 * and served bytes match an SKS peer's.
 */
#include <config.h>

#include "pgp/pgp_packet.h"
#include "util/limits.h"

/*
 * Decode the length that follows the first header octet.  On success
 * *blen is the body length and *hlen the header length.
 */
static enum pks_rc
read_length(const uint8_t *p, size_t avail, size_t *hlen, size_t *blen,
    const char **why)
{
	uint8_t h = p[0];
	size_t n, i;

	if ((h & 0x40) == 0) {
		switch (h & 3) {
		case 0:
			n = 1;
			break;
		case 1:
			n = 2;
			break;
		case 2:
			n = 4;
			break;
		default:
			*why = "indeterminate packet length";
			return PKS_ERR_PARSE;
		}
		if (avail < 1 + n) {
			*why = "truncated packet header";
			return PKS_ERR_PARSE;
		}
		*blen = 0;
		for (i = 0; i < n; i++)
			*blen = *blen << 8 | p[1 + i];
		*hlen = 1 + n;
		return PKS_OK;
	}
	if (avail < 2) {
		*why = "truncated packet header";
		return PKS_ERR_PARSE;
	}
	if (p[1] < 192) {
		*blen = p[1];
		*hlen = 2;
	} else if (p[1] < 224) {
		if (avail < 3) {
			*why = "truncated packet header";
			return PKS_ERR_PARSE;
		}
		*blen = ((size_t)(p[1] - 192) << 8) + p[2] + 192;
		*hlen = 3;
	} else if (p[1] == 255) {
		if (avail < 6) {
			*why = "truncated packet header";
			return PKS_ERR_PARSE;
		}
		*blen = (size_t)p[2] << 24 | (size_t)p[3] << 16 |
			(size_t)p[4] << 8 | p[5];
		*hlen = 6;
	} else {
		*why = "partial packet length";
		return PKS_ERR_PARSE;
	}
	return PKS_OK;
}

enum pks_rc
pgp_packet_header(const uint8_t *data, size_t len, unsigned *tag,
    size_t *hdrlen, size_t *bodylen, struct pks_err *err)
{
	const char *why = NULL;
	enum pks_rc rc;

	if (len == 0)
		return pks_fail(
		    err, 0, "truncated packet header", PKS_ERR_PARSE);
	if ((data[0] & 0x80) == 0)
		return pks_fail(
		    err, 0, "not a packet header (bit 7 clear)", PKS_ERR_PARSE);
	*tag = data[0] & 0x40 ? data[0] & 0x3f : (data[0] >> 2) & 0x0f;
	rc = read_length(data, len, hdrlen, bodylen, &why);
	return rc == PKS_OK ? PKS_OK : pks_fail(err, 0, why, rc);
}

enum pks_rc
pgp_packet_next(const uint8_t *data, size_t len, size_t *off,
    struct pgp_packet *out, struct pks_err *err)
{
	const char *why = NULL;
	size_t start = *off, hlen = 0, blen = 0;
	unsigned tag;
	enum pks_rc rc;

	if (start >= len)
		return pks_fail(
		    err, start, "no more packets", PKS_ERR_NOTFOUND);
	if ((data[start] & 0x80) == 0)
		return pks_fail(err, start, "not a packet header (bit 7 clear)",
		    PKS_ERR_PARSE);
	tag =
	    data[start] & 0x40 ? data[start] & 0x3f : (data[start] >> 2) & 0x0f;
	if (tag == 0)
		return pks_fail(
		    err, start, "reserved packet tag 0", PKS_ERR_PARSE);
	rc = read_length(data + start, len - start, &hlen, &blen, &why);
	if (rc != PKS_OK)
		return pks_fail(err, start, why, rc);
	if (blen > PKS_MAX_PACKET)
		return pks_fail(err, start, "packet too large", PKS_ERR_TOOBIG);
	if (blen > len - start - hlen)
		return pks_fail(err, start, "packet length past end of data",
		    PKS_ERR_PARSE);
	out->tag = tag;
	out->hdrlen = hlen;
	out->body = data + start + hlen;
	out->len = blen;
	*off = start + hlen + blen;
	return PKS_OK;
}

enum pks_rc
pgp_packet_write(struct buf *out, unsigned tag, const uint8_t *body, size_t len,
    enum pgp_hdr_style style)
{
	uint8_t h[6];
	size_t hl;
	enum pks_rc rc;

	if (tag == 0 || tag > 63 || len > UINT32_MAX)
		return PKS_ERR_INTERNAL;
	if (tag >= 16) {
		if (style == PGP_HDR_OLD_ONLY)
			return PKS_ERR_UNSUPPORTED;
		h[0] = 0xc0 | tag;
		h[1] = 0xff;
		h[2] = len >> 24;
		h[3] = len >> 16;
		h[4] = len >> 8;
		h[5] = len;
		hl = 6;
	} else if (len < 256) {
		h[0] = 0x80 | tag << 2;
		h[1] = len;
		hl = 2;
	} else if (len < 65536) {
		h[0] = 0x80 | tag << 2 | 1;
		h[1] = len >> 8;
		h[2] = len;
		hl = 3;
	} else {
		h[0] = 0x80 | tag << 2 | 2;
		h[1] = len >> 24;
		h[2] = len >> 16;
		h[3] = len >> 8;
		h[4] = len;
		hl = 5;
	}
	rc = buf_reserve(out, hl + len, NULL);
	if (rc != PKS_OK)
		return rc;
	buf_add(out, h, hl);
	return buf_add(out, body, len);
}
