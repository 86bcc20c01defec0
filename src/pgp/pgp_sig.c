/*
 * pgp_sig.c: the facts of a signature packet that an index shows.
 *
 * Reads v2/v3 bodies (type, creation and issuer in fixed fields) and
 * v4/v5/v6 bodies (subpacket areas with 2-octet counts, 4-octet for v6).
 * Nothing is verified: a keyserver shows what the packets claim.  Every
 * length is checked against what remains.
 */
#include <config.h>

#include <string.h>

#include "pgp/pgp_int.h"

int
pgp_sig_type(const uint8_t *body, size_t len)
{
	if (len < 1)
		return -1;
	if (body[0] == 2 || body[0] == 3)
		return len > 2 ? body[2] : -1;
	return len > 1 ? body[1] : -1;
}

/* Take the value of one subpacket into out. */
static void
subpacket(
    unsigned type, const uint8_t *p, size_t n, int hashed, struct pgp_sig *out)
{
	switch (type) {
	case 2:
		if (hashed && n == 4)
			out->ctime = pgp_be32(p);
		break;
	case 3:
		if (hashed && n == 4)
			out->sig_expiry = pgp_be32(p);
		break;
	case 9:
		if (hashed && n == 4) {
			out->key_expiry = pgp_be32(p);
			out->has_key_expiry = 1;
		}
		break;
	case 16:
		if (n == 8) {
			memcpy(out->issuer, p, 8);
			out->has_issuer = 1;
		}
		break;
	case 25:
		if (hashed && n == 1)
			out->primary_uid = p[0] != 0;
		break;
	case 33:
		if (n == 21 || n == 33) {
			out->issuer_fpr_len = n - 1;
			memcpy(out->issuer_fpr, p + 1, n - 1);
		}
		break;
	default:
		break;
	}
}

/* Walk one subpacket area. */
static enum pks_rc
subpackets(const uint8_t *p, size_t n, int hashed, struct pgp_sig *out)
{
	size_t off = 0, sl;

	while (off < n) {
		if (p[off] < 192) {
			sl = p[off];
			off += 1;
		} else if (p[off] < 255) {
			if (n - off < 2)
				return PKS_ERR_PARSE;
			sl = ((size_t)(p[off] - 192) << 8) + p[off + 1] + 192;
			off += 2;
		} else {
			if (n - off < 5)
				return PKS_ERR_PARSE;
			sl = pgp_be32(p + off + 1);
			off += 5;
		}
		if (sl < 1 || sl > n - off)
			return PKS_ERR_PARSE;
		subpacket(p[off] & 0x7f, p + off + 1, sl - 1, hashed, out);
		off += sl;
	}
	return PKS_OK;
}

static enum pks_rc
sig_v3(const uint8_t *body, size_t len, struct pgp_sig *out)
{
	if (len < 19 || body[1] != 5)
		return PKS_ERR_PARSE;
	out->type = body[2];
	out->ctime = pgp_be32(body + 3);
	memcpy(out->issuer, body + 7, 8);
	out->has_issuer = 1;
	out->pkalgo = body[15];
	return PKS_OK;
}

static enum pks_rc
sig_v4(const uint8_t *body, size_t len, struct pgp_sig *out)
{
	size_t w = body[0] == 6 ? 4 : 2, off = 4, n;
	int area;
	enum pks_rc rc;

	if (len < 4)
		return PKS_ERR_PARSE;
	out->type = body[1];
	out->pkalgo = body[2];
	for (area = 0; area < 2; area++) {
		if (len - off < w)
			return PKS_ERR_PARSE;
		n = w == 4 ? pgp_be32(body + off) : pgp_be16(body + off);
		off += w;
		if (n > len - off)
			return PKS_ERR_PARSE;
		rc = subpackets(body + off, n, area == 0, out);
		if (rc != PKS_OK)
			return rc;
		off += n;
	}
	return PKS_OK;
}

enum pks_rc
pgp_sig_parse(const uint8_t *body, size_t len, struct pgp_sig *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 1)
		return PKS_ERR_PARSE;
	out->version = body[0];
	switch (body[0]) {
	case 2:
	case 3:
		return sig_v3(body, len, out);
	case 4:
	case 5:
	case 6:
		return sig_v4(body, len, out);
	default:
		return PKS_ERR_UNSUPPORTED;
	}
}
