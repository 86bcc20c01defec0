/*
 * hkp_index.c: the HTML key listing of op=index and op=vindex.
 *
 *   pub  4096R/<KEYID> 2010-01-01 First User <first@example.org>
 *                                 Second User <second@example.org>
 *        Fingerprint=2069 1DFC ...              (fingerprint=on)
 *
 * vindex lists user IDs, subkeys and a "sig" line per signature (type,
 * issuer, date, [selfsig]).  Both list the key as it is served
 * (pgp_key_served): facts from verified self-signatures, user IDs and
 * subkeys those make valid, a bounded number of third-party
 * certifications per user ID.
 * Every user ID goes through hkp_html_escape().
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hkp/hkp_html.h"
#include "hkp/hkp_int.h"
#include "pgp/pgp_fpr.h"
#include "pgp/pgp_index.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/utc.h"

enum pks_rc
hkp_date(struct buf *out, int64_t t)
{
	char s[32];

	return buf_adds(out, utc_text(t, UTC_DAY, "__________", s, sizeof(s)));
}

enum pks_rc
hkp_key_info(const struct store_key *k, int verbose, struct pgp_key **key,
    struct pgp_key_info **info)
{
	struct pks_err err = { 0, NULL };
	enum pks_rc rc;

	/* What people are shown is what they are served: verified
	 * self-signatures, bounded third-party certifications. */
	rc = pgp_key_listing(k->data, k->len, k->checks, k->checks_len,
	    verbose ? pks_key_limits()->served_certs : PGP_LISTING_SHORT, key,
	    info, &err);
	if (rc != PKS_OK)
		log_warnx("hkp: stored key id=%lld does not parse: %s",
		    (long long)k->id, err.why ? err.why : pks_rc_str(rc));
	return rc;
}

/* Append the hex key ID as a link to op=get. */
static enum pks_rc
keyid_link(struct buf *out, const uint8_t keyid[8])
{
	char hex[17];

	pgp_hex(keyid, 8, hex);
	return buf_printf(out,
	    "<a href=\"/pks/lookup?op=get&amp;search=0x%s\">"
	    "%s</a>",
	    hex, hex);
}

static enum pks_rc
sig_line(
    struct buf *out, const struct pgp_pkt *sig, const struct pgp_fpr *primary)
{
	struct pgp_sig_info si;
	enum pks_rc rc;

	if (pgp_sig_info(sig, primary, &si) != PKS_OK)
		return buf_adds(out, "sig  [unreadable signature]\n");
	rc = buf_printf(out, "sig  %-5s ", pgp_sig_label(si.type));
	if (rc == PKS_OK && si.has_issuer)
		rc = keyid_link(out, si.issuer);
	else if (rc == PKS_OK)
		rc = buf_adds(out, "????????????????");
	if (rc == PKS_OK)
		rc = buf_addc(out, ' ');
	if (rc == PKS_OK)
		rc = hkp_date(out, si.ctime);
	if (rc == PKS_OK && si.self)
		rc = buf_adds(out, " [selfsig]");
	if (rc == PKS_OK)
		rc = buf_addc(out, '\n');
	return rc;
}

static enum pks_rc
sig_lines(struct buf *out, const struct pgp_pkt *sigs, size_t n,
    const struct pgp_fpr *primary)
{
	size_t i;
	enum pks_rc rc = PKS_OK;

	for (i = 0; i < n && rc == PKS_OK; i++)
		rc = sig_line(out, &sigs[i], primary);
	return rc;
}

/*
 * "pub  4096R/<link> 2010-01-01[ status]" (or "sub  ...").  *width
 * gets the visible length, to align further user IDs under the first.
 */
static enum pks_rc
pub_line(struct buf *out, const char *what, const struct pgp_fpr *fpr,
    unsigned algo, unsigned bits, int64_t ctime, size_t *width)
{
	char hex[2 * PGP_FPR_MAX + 1], id[17], pre[48];
	int n;
	enum pks_rc rc;

	pgp_hex(fpr->keyid, 8, id);
	if (fpr->version >= 4)
		pgp_hex(fpr->fpr, fpr->len, hex);
	else
		memcpy(hex, id, sizeof(id));
	n = snprintf(
	    pre, sizeof(pre), "%s  %u%c/", what, bits, pgp_algo_letter(algo));
	if (n < 0 || (size_t)n >= sizeof(pre))
		return PKS_ERR_INTERNAL;
	*width = (size_t)n + 16 + 1 + 10 + 1;
	rc = buf_printf(out,
	    "%s<a href=\"/pks/lookup?op=get&amp;search=0x%s\">"
	    "%s</a> ",
	    pre, hex, id);
	if (rc == PKS_OK)
		rc = hkp_date(out, ctime);
	return rc;
}

static enum pks_rc
uid_text(struct buf *out, const struct pgp_uid_info *u)
{
	enum pks_rc rc;

	if (u->is_uat)
		rc = buf_adds(out, "[user attribute]");
	else
		rc = hkp_html_escape(out, u->text, u->len);
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
	rc = buf_adds(out, "     Fingerprint=");
	for (i = 0; i < 2 * fpr->len && rc == PKS_OK; i += 4) {
		if (i > 0)
			rc = buf_addc(out, ' ');
		if (rc == PKS_OK)
			rc = buf_add(out, hex + i, 4);
	}
	if (rc == PKS_OK)
		rc = buf_addc(out, '\n');
	return rc;
}

/* The first user ID of an op=index entry, as a link to the key's
 * op=vindex (as SKS links it); the pub line's key ID links to op=get. */
static enum pks_rc
uid_vindex_link(struct buf *out, const struct pgp_key_info *info)
{
	char hex[2 * PGP_FPR_MAX + 1];
	enum pks_rc rc;

	if (info->fpr.version >= 4)
		pgp_hex(info->fpr.fpr, info->fpr.len, hex);
	else
		pgp_hex(info->fpr.keyid, 8, hex);
	rc = buf_printf(
	    out, "<a href=\"/pks/lookup?op=vindex&amp;search=0x%s\">", hex);
	if (rc == PKS_OK)
		rc = uid_text(out, &info->uids[0]);
	if (rc == PKS_OK)
		rc = buf_adds(out, "</a>");
	return rc;
}

/* Where the key stands on the network (/pks/trace, hkp_trace.c). */
static enum pks_rc
trace_link(struct buf *out, const struct pgp_fpr *fpr, size_t width)
{
	char hex[2 * PGP_FPR_MAX + 1];

	pgp_hex(fpr->fpr, fpr->len, hex);
	return buf_printf(out,
	    "%*s<a href=\"/pks/trace?search=0x%s\">where is this key "
	    "on the network?</a>\n",
	    (int)width, "", hex);
}

/* op=index: pub line with the first user ID, then the others. */
static enum pks_rc
short_entry(struct buf *out, const struct hkp_query *q,
    const struct pgp_key_info *info, time_t now)
{
	size_t i, width;
	enum pks_rc rc;

	rc = pub_line(out, "pub", &info->fpr, info->algo, info->bits,
	    info->ctime, &width);
	if (rc == PKS_OK)
		rc = pgp_index_status(out, info->revoked, info->expires, now);
	for (i = 0; i < info->nuids && rc == PKS_OK; i++) {
		if (i == 0 && !info->revoked && info->expires == 0)
			rc = buf_addc(out, ' ');
		else
			rc = buf_printf(out, "\n%*s", (int)width, "");
		if (rc == PKS_OK)
			rc = i == 0 ? uid_vindex_link(out, info)
				    : uid_text(out, &info->uids[i]);
	}
	if (rc == PKS_OK)
		rc = buf_addc(out, '\n');
	if (rc == PKS_OK && q->fingerprint)
		rc = fingerprint_line(out, &info->fpr);
	if (rc == PKS_OK && info->fpr.version >= 4)
		rc = trace_link(out, &info->fpr, width);
	return rc;
}

static enum pks_rc
uid_block(struct buf *out, const struct pgp_uid_info *u,
    const struct pgp_fpr *primary)
{
	enum pks_rc rc;

	rc = buf_adds(out, "uid  ");
	if (rc == PKS_OK)
		rc = uid_text(out, u);
	if (rc == PKS_OK)
		rc = buf_addc(out, '\n');
	if (rc == PKS_OK)
		rc = sig_lines(out, u->sigs, u->nsigs, primary);
	return rc;
}

static enum pks_rc
subkey_block(struct buf *out, const struct pgp_key_info *info,
    const struct pgp_subkey_info *sk, time_t now)
{
	size_t width;
	enum pks_rc rc;

	rc = pub_line(
	    out, "sub", &sk->fpr, sk->algo, sk->bits, sk->ctime, &width);
	if (rc == PKS_OK)
		rc = pgp_index_status(out, sk->revoked, sk->expires, now);
	if (rc == PKS_OK)
		rc = buf_addc(out, '\n');
	if (rc == PKS_OK)
		rc = sig_lines(
		    out, sk->block->sigs, sk->block->nsigs, &info->fpr);
	return rc;
}

/* op=vindex: everything in stored order, with signatures. */
static enum pks_rc
long_entry(struct buf *out, const struct hkp_query *q,
    const struct pgp_key *key, const struct pgp_key_info *info, time_t now)
{
	size_t i, width;
	enum pks_rc rc;

	rc = pub_line(out, "pub", &info->fpr, info->algo, info->bits,
	    info->ctime, &width);
	if (rc == PKS_OK)
		rc = pgp_index_status(out, info->revoked, info->expires, now);
	if (rc == PKS_OK)
		rc = buf_addc(out, '\n');
	if (rc == PKS_OK && q->fingerprint)
		rc = fingerprint_line(out, &info->fpr);
	if (rc == PKS_OK)
		rc = sig_lines(out, key->sigs, key->nsigs, &info->fpr);
	for (i = 0; i < info->nuids && rc == PKS_OK; i++)
		rc = uid_block(out, &info->uids[i], &info->fpr);
	for (i = 0; i < info->nsubkeys && rc == PKS_OK; i++)
		rc = subkey_block(out, info, &info->subkeys[i], now);
	return rc;
}

enum pks_rc
hkp_index_html(const struct hkp_query *q, const struct store_key *keys,
    size_t n, struct buf *out)
{
	struct pgp_key *key;
	struct pgp_key_info *info;
	time_t now = time(NULL);
	size_t i;
	enum pks_rc rc;

	rc = buf_printf(out, "<p>%zu key%s found.</p>\n", n, n == 1 ? "" : "s");
	for (i = 0; i < n && rc == PKS_OK; i++) {
		if (hkp_key_info(&keys[i], q->op == HKP_OP_VINDEX, &key,
			&info) != PKS_OK)
			continue;
		rc = buf_adds(out, "<hr>\n<pre>\n");
		if (rc == PKS_OK && q->op == HKP_OP_VINDEX)
			rc = long_entry(out, q, key, info, now);
		else if (rc == PKS_OK)
			rc = short_entry(out, q, info, now);
		if (rc == PKS_OK)
			rc = buf_adds(out, "</pre>\n");
		pgp_key_info_free(info);
		pgp_key_free(key);
	}
	return rc;
}
