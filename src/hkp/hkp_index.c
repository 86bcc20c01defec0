/*
 * hkp_index.c: the HTML key listing of op=index and op=vindex, as the
 * one listing of pgp_listing.h renders it with an HTML style: every
 * text escaped (hkp_html_escape), key IDs linked to op=get, the first
 * user ID of a short entry linked to the key's op=vindex, issuers named
 * from the stored listing facts (store_listing.h); a short entry ends
 * with a link to the key's /pks/trace.
 *
 * op=index lists from the stored listing facts and parses no key;
 * op=vindex shows signatures, so it lists the key as it is served
 * (pgp_key_listing: verified self-signatures, a bounded number of
 * third-party certifications per user ID).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hkp/hkp_html.h"
#include "hkp/hkp_int.h"
#include "pgp/pgp_listing.h"
#include "util/limits.h"
#include "util/log.h"

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

static enum pks_rc
html_link(struct buf *out, const char *op, const char *hex)
{
	return buf_printf(
	    out, "<a href=\"/pks/lookup?op=%s&amp;search=0x%s\">", op, hex);
}

static const uint8_t *
issuer_name(void *arg, const uint8_t keyid[8], size_t *len)
{
	return store_names_get(arg, keyid, len);
}

/* The HTML style; names from nm (NULL: none). */
static void
html_style(const struct hkp_query *q, struct store_names *nm,
    struct pgp_listing_style *style)
{
	memset(style, 0, sizeof(*style));
	style->text = hkp_html_escape;
	style->link = html_link;
	style->link_end = "</a>";
	style->issuer = nm != NULL ? issuer_name : NULL;
	style->arg = nm;
	style->fingerprint = q->fingerprint;
}

static enum pks_rc
entry_begin(struct buf *out)
{
	return buf_adds(out, "<hr>\n<pre>\n");
}

static enum pks_rc
entry_end(struct buf *out)
{
	return buf_adds(out, "</pre>\n");
}

static enum pks_rc
count_line(struct buf *out, size_t n)
{
	return buf_printf(
	    out, "<p>%zu key%s found.</p>\n", n, n == 1 ? "" : "s");
}

/* Where the key stands on the network (/pks/trace, hkp_trace.c). */
static enum pks_rc
trace_link(struct buf *out, const struct pgp_fpr *fpr)
{
	char hex[2 * PGP_FPR_MAX + 1];

	if (fpr->version < 4)
		return PKS_OK;
	pgp_hex(fpr->fpr, fpr->len, hex);
	return buf_printf(out,
	    "     <a href=\"/pks/trace?search=0x%s\">where is this key on "
	    "the network?</a>\n",
	    hex);
}

enum pks_rc
hkp_index_short(const struct hkp_query *q,
    const struct store_listing_rows *rows, struct buf *out)
{
	struct pgp_listing_style style;
	struct pgp_listing_dec d;
	const uint8_t *p;
	time_t now = time(NULL);
	size_t pos = 0, len;
	int64_t id;
	enum pks_rc rc;

	html_style(q, NULL, &style);
	pgp_listing_dec_init(&d);
	rc = count_line(out, rows->n);
	while (rc == PKS_OK &&
	       store_listing_rows_next(rows, &pos, &id, &p, &len)) {
		/* every record decodes (store_listings_search) */
		if (pgp_listing_dec_read(&d, p, len) != PKS_OK)
			continue;
		rc = entry_begin(out);
		if (rc == PKS_OK)
			rc = pgp_listing_short(out, &d.info, now, &style);
		if (rc == PKS_OK)
			rc = trace_link(out, &d.info.fpr);
		if (rc == PKS_OK)
			rc = entry_end(out);
	}
	pgp_listing_dec_free(&d);
	return rc;
}

enum pks_rc
hkp_index_long(const struct hkp_query *q, struct store *st,
    const struct store_keys *keys, struct buf *out)
{
	struct pgp_listing_style style;
	struct store_names *nm = store_names_new(st);
	struct pgp_key *key;
	struct pgp_key_info *info;
	time_t now = time(NULL);
	size_t i;
	enum pks_rc rc;

	html_style(q, nm, &style);
	rc = count_line(out, keys->n);
	for (i = 0; i < keys->n && rc == PKS_OK; i++) {
		if (hkp_key_info(&keys->v[i], 1, &key, &info) != PKS_OK)
			continue;
		rc = entry_begin(out);
		if (rc == PKS_OK)
			rc = pgp_listing_long(out, info, now, &style);
		if (rc == PKS_OK)
			rc = entry_end(out);
		pgp_key_info_free(info);
		pgp_key_free(key);
	}
	store_names_free(nm);
	return rc;
}
