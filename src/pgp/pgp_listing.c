/*
 * pgp_listing.c: the one key listing (pgp -kv and -kvv style lines)
 * every medium renders through a style, and the compact stored form of
 * a listing's facts.
 *
 * One behaviour for every medium: dates as YYYY-MM-DD ("----------"
 * when unknown), the first user ID on the pub line after the key's
 * status, "Key fingerprint =" in groups of four, and in the verbose
 * form every signature of the served key (direct-key, user ID and
 * subkey ones) with its issuer's name when the style can name it.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgp/pgp_fpr.h"
#include "pgp/pgp_listing.h"
#include "util/utc.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* Version octet of the stored form. */
#define LISTING_FORMAT 1

/* Flags of a user ID in the stored form. */
#define U_UAT 1u
#define U_REVOKED 2u
#define U_PRIMARY 4u

const struct pgp_listing_style pgp_listing_plain = { pgp_listing_text, NULL,
	NULL, NULL, NULL, 0 };

enum pks_rc
pgp_listing_text(struct buf *out, const void *v, size_t n)
{
	const uint8_t *p = v;
	size_t i = 0, l;
	enum pks_rc rc = PKS_OK;

	while (i < n && rc == PKS_OK) {
		l = utf8_seq(p + i, n - i);
		if (l == 0 || (l == 1 && (p[i] < 0x20 || p[i] == 0x7f))) {
			rc = buf_addc(out, '?');
			i++;
			continue;
		}
		rc = buf_add(out, p + i, l);
		i += l;
	}
	return rc;
}

static enum pks_rc
add_date(struct buf *out, int64_t t)
{
	char s[32];

	return buf_adds(out, utc_text(t, UTC_DAY, "----------", s, sizeof(s)));
}

/* hex, wrapped in a link to op of "0x<target>" when the style links. */
static enum pks_rc
linked(struct buf *out, const struct pgp_listing_style *style, const char *op,
    const char *target, const char *hex)
{
	enum pks_rc rc = PKS_OK;

	if (style->link != NULL)
		rc = style->link(out, op, target);
	if (rc == PKS_OK)
		rc = buf_adds(out, hex);
	if (rc == PKS_OK && style->link != NULL)
		rc = buf_adds(out, style->link_end);
	return rc;
}

/* What a lookup of the key searches for: the fingerprint (v4 and
 * later), the key ID of a v3 key. */
static void
search_hex(const struct pgp_fpr *fpr, char *hex)
{
	if (fpr->version >= 4)
		pgp_hex(fpr->fpr, fpr->len, hex);
	else
		pgp_hex(fpr->keyid, 8, hex);
}

/* "pub  4096R/<KEYID> 2010-01-01" with status; *width: the visible
 * length without the status, to align further user IDs. */
static enum pks_rc
key_line(struct buf *out, const char *what, const struct pgp_fpr *fpr,
    unsigned algo, unsigned bits, int64_t ctime,
    const struct pgp_listing_style *style, size_t *width)
{
	char hex[2 * PGP_FPR_MAX + 1], id[17];
	int n;
	enum pks_rc rc;

	pgp_hex(fpr->keyid, 8, id);
	search_hex(fpr, hex);
	rc = buf_printf(out, "%s  %u%c/", what, bits, pgp_algo_letter(algo));
	n = snprintf(NULL, 0, "%s  %u%c/", what, bits, pgp_algo_letter(algo));
	*width = (size_t)(n > 0 ? n : 0) + 16 + 1 + 10;
	if (rc == PKS_OK)
		rc = linked(out, style, "get", hex, id);
	if (rc == PKS_OK)
		rc = buf_addc(out, ' ');
	if (rc == PKS_OK)
		rc = add_date(out, ctime);
	return rc;
}

static enum pks_rc
uid_text(struct buf *out, const struct pgp_uid_info *u,
    const struct pgp_listing_style *style)
{
	enum pks_rc rc;

	if (u->is_uat)
		rc = buf_adds(out, "[user attribute]");
	else
		rc = style->text(out, u->text, u->len);
	if (rc == PKS_OK && u->revoked)
		rc = buf_adds(out, " [revoked]");
	return rc;
}

static enum pks_rc
fingerprint_line(struct buf *out, const struct pgp_fpr *fpr)
{
	char hex[2 * PGP_FPR_MAX + 1];
	size_t i;
	enum pks_rc rc;

	pgp_hex(fpr->fpr, fpr->len, hex);
	rc = buf_adds(out, "     Key fingerprint =");
	for (i = 0; i < 2 * fpr->len && rc == PKS_OK; i += 4)
		rc = buf_printf(out, " %.4s", hex + i);
	return rc == PKS_OK ? buf_addc(out, '\n') : rc;
}

/* The first user ID, as a link to the key's vindex. */
static enum pks_rc
first_uid(struct buf *out, const struct pgp_key_info *info,
    const struct pgp_listing_style *style)
{
	char hex[2 * PGP_FPR_MAX + 1];
	enum pks_rc rc = PKS_OK;

	search_hex(&info->fpr, hex);
	if (style->link != NULL)
		rc = style->link(out, "vindex", hex);
	if (rc == PKS_OK)
		rc = uid_text(out, &info->uids[0], style);
	if (rc == PKS_OK && style->link != NULL)
		rc = buf_adds(out, style->link_end);
	return rc;
}

enum pks_rc
pgp_listing_short(struct buf *out, const struct pgp_key_info *info, time_t now,
    const struct pgp_listing_style *style)
{
	size_t i, width;
	enum pks_rc rc;

	rc = key_line(out, "pub", &info->fpr, info->algo, info->bits,
	    info->ctime, style, &width);
	if (rc == PKS_OK)
		rc = pgp_index_status(out, info->revoked, info->expires, now);
	for (i = 0; i < info->nuids && rc == PKS_OK; i++) {
		if (i == 0)
			rc = buf_addc(out, ' ');
		else
			rc = buf_printf(out, "\n%*s", (int)width + 1, "");
		if (rc == PKS_OK)
			rc = i == 0 ? first_uid(out, info, style)
				    : uid_text(out, &info->uids[i], style);
	}
	if (rc == PKS_OK)
		rc = buf_addc(out, '\n');
	if (rc == PKS_OK && style->fingerprint)
		rc = fingerprint_line(out, &info->fpr);
	return rc;
}

/* After the date: "  [selfsig]", or "  <issuer's name>" if known. */
static enum pks_rc
sig_who(struct buf *out, const struct pgp_sig_info *si,
    const struct pgp_listing_style *style)
{
	const uint8_t *name;
	size_t len = 0;
	enum pks_rc rc;

	if (si->self)
		return buf_adds(out, "  [selfsig]");
	if (!si->has_issuer || style->issuer == NULL ||
	    (name = style->issuer(style->arg, si->issuer, &len)) == NULL)
		return PKS_OK;
	rc = buf_adds(out, "  ");
	return rc == PKS_OK ? style->text(out, name, len) : rc;
}

/* "sig3      <KEYID>  2010-01-01  [selfsig]" */
static enum pks_rc
sig_line(struct buf *out, const struct pgp_pkt *sig,
    const struct pgp_fpr *primary, const struct pgp_listing_style *style)
{
	struct pgp_sig_info si;
	char id[17] = "????????????????";
	enum pks_rc rc;

	if (pgp_sig_info(sig, primary, &si) != PKS_OK)
		return buf_adds(out, "sig       [unreadable signature]\n");
	rc = buf_printf(out, "%-10s", pgp_sig_label(si.type));
	if (rc == PKS_OK && si.has_issuer) {
		pgp_hex(si.issuer, 8, id);
		rc = linked(out, style, "get", id, id);
	} else if (rc == PKS_OK) {
		rc = buf_adds(out, id);
	}
	if (rc == PKS_OK)
		rc = buf_adds(out, "  ");
	if (rc == PKS_OK)
		rc = add_date(out, si.ctime);
	if (rc == PKS_OK)
		rc = sig_who(out, &si, style);
	return rc == PKS_OK ? buf_addc(out, '\n') : rc;
}

static enum pks_rc
sig_lines(struct buf *out, const struct pgp_pkt *sigs, size_t n,
    const struct pgp_fpr *primary, const struct pgp_listing_style *style)
{
	size_t i;
	enum pks_rc rc = PKS_OK;

	for (i = 0; i < n && rc == PKS_OK; i++)
		rc = sig_line(out, &sigs[i], primary, style);
	return rc;
}

static enum pks_rc
uid_block(struct buf *out, const struct pgp_key_info *info,
    const struct pgp_uid_info *u, const struct pgp_listing_style *style)
{
	enum pks_rc rc;

	rc = buf_adds(out, "uid  ");
	if (rc == PKS_OK)
		rc = uid_text(out, u, style);
	if (rc == PKS_OK)
		rc = buf_addc(out, '\n');
	if (rc == PKS_OK)
		rc = sig_lines(out, u->sigs, u->nsigs, &info->fpr, style);
	return rc;
}

static enum pks_rc
subkey_block(struct buf *out, const struct pgp_key_info *info,
    const struct pgp_subkey_info *sk, time_t now,
    const struct pgp_listing_style *style)
{
	size_t width;
	enum pks_rc rc;

	rc = key_line(
	    out, "sub", &sk->fpr, sk->algo, sk->bits, sk->ctime, style, &width);
	if (rc == PKS_OK)
		rc = pgp_index_status(out, sk->revoked, sk->expires, now);
	if (rc == PKS_OK)
		rc = buf_addc(out, '\n');
	if (rc == PKS_OK)
		rc = sig_lines(out, sk->sigs, sk->nsigs, &info->fpr, style);
	return rc;
}

enum pks_rc
pgp_listing_long(struct buf *out, const struct pgp_key_info *info, time_t now,
    const struct pgp_listing_style *style)
{
	size_t i, width;
	enum pks_rc rc;

	rc = key_line(out, "pub", &info->fpr, info->algo, info->bits,
	    info->ctime, style, &width);
	if (rc == PKS_OK)
		rc = pgp_index_status(out, info->revoked, info->expires, now);
	if (rc == PKS_OK)
		rc = buf_addc(out, '\n');
	if (rc == PKS_OK && style->fingerprint)
		rc = fingerprint_line(out, &info->fpr);
	if (rc == PKS_OK)
		rc = sig_lines(out, info->sigs, info->nsigs, &info->fpr, style);
	for (i = 0; i < info->nuids && rc == PKS_OK; i++)
		rc = uid_block(out, info, &info->uids[i], style);
	for (i = 0; i < info->nsubkeys && rc == PKS_OK; i++)
		rc = subkey_block(out, info, &info->subkeys[i], now, style);
	return rc;
}

/* The stored form: unsigned LEB128 numbers, octets, byte strings. */

static enum pks_rc
put_num(struct buf *out, uint64_t v)
{
	uint8_t b[10];
	size_t n = 0;

	do {
		b[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v != 0)
			b[n] |= 0x80;
		n++;
	} while (v != 0);
	return buf_add(out, b, n);
}

static enum pks_rc
put_fpr(struct buf *out, const struct pgp_fpr *f)
{
	enum pks_rc rc;

	rc = buf_addc(out, (uint8_t)f->version);
	if (rc == PKS_OK)
		rc = buf_addc(out, (uint8_t)f->len);
	if (rc == PKS_OK)
		rc = buf_add(out, f->fpr, f->len);
	if (rc == PKS_OK)
		rc = buf_add(out, f->keyid, 8);
	return rc;
}

/* Key facts common to the primary key and subkeys. */
static enum pks_rc
put_key(struct buf *out, const struct pgp_fpr *f, unsigned algo, unsigned bits,
    int64_t ctime, int64_t expires, int revoked)
{
	enum pks_rc rc;

	rc = put_fpr(out, f);
	if (rc == PKS_OK)
		rc = put_num(out, algo);
	if (rc == PKS_OK)
		rc = put_num(out, bits);
	if (rc == PKS_OK)
		rc = put_num(out, (uint64_t)ctime);
	if (rc == PKS_OK)
		rc = put_num(out, (uint64_t)expires);
	if (rc == PKS_OK)
		rc = buf_addc(out, revoked != 0);
	return rc;
}

static enum pks_rc
put_uid(struct buf *out, const struct pgp_uid_info *u)
{
	unsigned flags = (u->is_uat ? U_UAT : 0) |
			 (u->revoked ? U_REVOKED : 0) |
			 (u->primary ? U_PRIMARY : 0);
	size_t len = u->is_uat ? 0 : u->len;
	enum pks_rc rc;

	rc = buf_addc(out, (uint8_t)flags);
	if (rc == PKS_OK)
		rc = put_num(out, (uint64_t)u->ctime);
	if (rc == PKS_OK)
		rc = put_num(out, (uint64_t)u->expires);
	if (rc == PKS_OK)
		rc = put_num(out, (uint64_t)u->key_expires);
	if (rc == PKS_OK)
		rc = put_num(out, len);
	if (rc == PKS_OK && len > 0)
		rc = buf_add(out, u->text, len);
	return rc;
}

enum pks_rc
pgp_listing_encode(const struct pgp_key_info *in, struct buf *out)
{
	size_t base = out->len, i, n;
	enum pks_rc rc;

	rc = buf_addc(out, LISTING_FORMAT);
	if (rc == PKS_OK)
		rc = put_key(out, &in->fpr, in->algo, in->bits, in->ctime,
		    in->expires, in->revoked);
	n = strnlen(in->curve, sizeof(in->curve) - 1);
	if (rc == PKS_OK)
		rc = put_num(out, n);
	if (rc == PKS_OK)
		rc = buf_add(out, in->curve, n);
	if (rc == PKS_OK)
		rc = put_num(out, in->nuids);
	for (i = 0; i < in->nuids && rc == PKS_OK; i++)
		rc = put_uid(out, &in->uids[i]);
	if (rc == PKS_OK)
		rc = put_num(out, in->nsubkeys);
	for (i = 0; i < in->nsubkeys && rc == PKS_OK; i++)
		rc = put_key(out, &in->subkeys[i].fpr, in->subkeys[i].algo,
		    in->subkeys[i].bits, in->subkeys[i].ctime,
		    in->subkeys[i].expires, in->subkeys[i].revoked);
	if (rc != PKS_OK)
		out->len = base;
	return rc;
}

/* A reader over the stored form; 'bad' is set by any short read. */
struct rd {
	const uint8_t *p;
	size_t n;
	int bad;
};

static uint64_t
get_num(struct rd *r)
{
	uint64_t v = 0;
	unsigned shift = 0;

	while (r->n > 0 && shift < 64) {
		v |= (uint64_t)(r->p[0] & 0x7f) << shift;
		shift += 7;
		r->n--;
		if ((*r->p++ & 0x80) == 0)
			return v;
	}
	r->bad = 1;
	return 0;
}

static const uint8_t *
get_bytes(struct rd *r, size_t len)
{
	const uint8_t *p = r->p;

	if (r->bad || len > r->n) {
		r->bad = 1;
		return NULL;
	}
	r->p += len;
	r->n -= len;
	return p;
}

static uint8_t
get_octet(struct rd *r)
{
	const uint8_t *p = get_bytes(r, 1);

	return p != NULL ? *p : 0;
}

static void
get_fpr(struct rd *r, struct pgp_fpr *f)
{
	const uint8_t *p;

	f->version = get_octet(r);
	f->len = get_octet(r);
	if (f->len > PGP_FPR_MAX) {
		r->bad = 1;
		return;
	}
	if ((p = get_bytes(r, f->len)) != NULL)
		memcpy(f->fpr, p, f->len);
	if ((p = get_bytes(r, 8)) != NULL)
		memcpy(f->keyid, p, 8);
}

static void
get_key(struct rd *r, struct pgp_fpr *f, unsigned *algo, unsigned *bits,
    int64_t *ctime, int64_t *expires, int *revoked)
{
	get_fpr(r, f);
	*algo = (unsigned)get_num(r);
	*bits = (unsigned)get_num(r);
	*ctime = (int64_t)get_num(r);
	*expires = (int64_t)get_num(r);
	*revoked = get_octet(r) != 0;
}

static void
get_uid(struct rd *r, struct pgp_uid_info *u)
{
	unsigned flags = get_octet(r);

	u->is_uat = (flags & U_UAT) != 0;
	u->revoked = (flags & U_REVOKED) != 0;
	u->primary = (flags & U_PRIMARY) != 0;
	u->valid = 1;
	u->ctime = (int64_t)get_num(r);
	u->expires = (int64_t)get_num(r);
	u->key_expires = (int64_t)get_num(r);
	u->len = (size_t)get_num(r);
	u->text = get_bytes(r, u->len);
	if (u->text == NULL)
		u->len = 0;
}

/* A count of records of at least 'least' bytes each, bounded by what
 * is left (so a forged count cannot make a large allocation). */
static size_t
get_count(struct rd *r, size_t least)
{
	uint64_t n = get_num(r);

	if (n > r->n / least) {
		r->bad = 1;
		return 0;
	}
	return (size_t)n;
}

/* Room for n records of size sz in *v (capacity *cap), kept between
 * keys by a reusing decoder. */
static void *
room(void *v, size_t *cap, size_t n, size_t sz)
{
	if (n <= *cap)
		return v;
	v = xreallocarray(v, n, sz);
	*cap = n;
	return v;
}

static void
get_lists(struct rd *r, struct pgp_listing_dec *d)
{
	struct pgp_key_info *info = &d->info;
	struct pgp_subkey_info *sk;
	size_t i;

	info->nuids = get_count(r, 5);
	info->uids =
	    room(info->uids, &d->uid_cap, info->nuids, sizeof(*info->uids));
	if (info->nuids > 0)
		memset(info->uids, 0, info->nuids * sizeof(*info->uids));
	for (i = 0; i < info->nuids && !r->bad; i++)
		get_uid(r, &info->uids[i]);
	info->nsubkeys = get_count(r, 15);
	info->subkeys = room(
	    info->subkeys, &d->sub_cap, info->nsubkeys, sizeof(*info->subkeys));
	if (info->nsubkeys > 0)
		memset(
		    info->subkeys, 0, info->nsubkeys * sizeof(*info->subkeys));
	for (i = 0; i < info->nsubkeys && !r->bad; i++) {
		sk = &info->subkeys[i];
		get_key(r, &sk->fpr, &sk->algo, &sk->bits, &sk->ctime,
		    &sk->expires, &sk->revoked);
		sk->bound = 1;
	}
}

void
pgp_listing_dec_init(struct pgp_listing_dec *d)
{
	memset(d, 0, sizeof(*d));
}

void
pgp_listing_dec_free(struct pgp_listing_dec *d)
{
	free(d->info.uids);
	free(d->info.subkeys);
	pgp_listing_dec_init(d);
}

enum pks_rc
pgp_listing_dec_read(struct pgp_listing_dec *d, const uint8_t *data, size_t len)
{
	struct rd r = { data, len, 0 };
	struct pgp_key_info *info = &d->info;
	struct pgp_uid_info *uids = info->uids;
	struct pgp_subkey_info *subkeys = info->subkeys;
	const uint8_t *p;
	size_t n;

	/* Everything but the arrays is read afresh. */
	memset(info, 0, sizeof(*info));
	info->uids = uids;
	info->subkeys = subkeys;
	if (len == 0 || data[0] != LISTING_FORMAT)
		return PKS_ERR_PARSE;
	r.p++;
	r.n--;
	get_key(&r, &info->fpr, &info->algo, &info->bits, &info->ctime,
	    &info->expires, &info->revoked);
	info->version = info->fpr.version;
	n = (size_t)get_num(&r);
	if (n >= sizeof(info->curve))
		r.bad = 1;
	else if ((p = get_bytes(&r, n)) != NULL)
		memcpy(info->curve, p, n);
	if (!r.bad)
		get_lists(&r, d);
	if (r.bad || r.n != 0) {
		info->nuids = 0;
		info->nsubkeys = 0;
		return PKS_ERR_PARSE;
	}
	return PKS_OK;
}

enum pks_rc
pgp_listing_decode(const uint8_t *data, size_t len, struct pgp_key_info **out)
{
	struct pgp_listing_dec d;
	enum pks_rc rc;

	*out = NULL;
	pgp_listing_dec_init(&d);
	rc = pgp_listing_dec_read(&d, data, len);
	if (rc != PKS_OK) {
		pgp_listing_dec_free(&d);
		return rc;
	}
	*out = xmalloc(sizeof(**out));
	**out = d.info;
	return PKS_OK;
}
