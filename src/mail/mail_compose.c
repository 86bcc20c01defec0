/*
 * mail_compose.c: building replies (headers, MIME parts, key listings)
 * and handing them to the outgoing queue.  No GMime here: the message is
 * written directly, every text part quoted-printable, so no part can
 * contain the boundary (which starts with "=_") and no line is too long.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mail/mail_compose.h"
#include "pgp/pgp_fpr.h"
#include "pgp/pgp_index.h"
#include "pgp/pgp_key.h"
#include "pgp/pgp_listing.h"
#include "store/store_listing.h"
#include "store/store_outbox.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/utc.h"
#include "util/utf8.h"
#include "util/xalloc.h"

/* Longest request subject echoed back (bytes, before encoding). */
#define SUBJECT_MAX 200u
/* Quoted-printable line length (RFC 2045 allows 76). */
#define QP_LINE 76u

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static enum pks_rc
base64(struct buf *out, const uint8_t *p, size_t n)
{
	char q[4];
	size_t i;
	uint32_t v;
	enum pks_rc rc = PKS_OK;

	for (i = 0; i < n && rc == PKS_OK; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64[v >> 18 & 63];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		rc = buf_add(out, q, 4);
	}
	return rc;
}

/*
 * Text shown to a person: valid UTF-8 kept, control characters and
 * invalid bytes replaced by '?' (by ' ' when 'space' is set).
 */
static enum pks_rc
clean_text(struct buf *out, const uint8_t *p, size_t n, int space)
{
	size_t i = 0, l;
	enum pks_rc rc = PKS_OK;

	while (i < n && rc == PKS_OK) {
		l = utf8_seq(p + i, n - i);
		if (l == 0 || (l == 1 && (p[i] < 0x20 || p[i] == 0x7f))) {
			rc = buf_addc(out, space ? ' ' : '?');
			i++;
			continue;
		}
		rc = buf_add(out, p + i, l);
		i += l;
	}
	return rc;
}

/* Quoted-printable (RFC 2045 §6.7) of LF-separated text. */
static enum pks_rc
qp_encode(struct buf *out, const uint8_t *p, size_t n)
{
	size_t i, col = 0;
	char q[4];
	int lit, eol;
	enum pks_rc rc = PKS_OK;

	for (i = 0; i < n && rc == PKS_OK; i++) {
		if (p[i] == '\n') {
			rc = buf_addc(out, '\n');
			col = 0;
			continue;
		}
		eol = i + 1 == n || p[i + 1] == '\n';
		lit = (p[i] >= 33 && p[i] <= 126 && p[i] != '=') ||
		      ((p[i] == ' ' || p[i] == '\t') && !eol);
		if (col + (lit ? 1 : 3) > QP_LINE - 1) {
			rc = buf_adds(out, "=\n");
			col = 0;
		}
		if (rc != PKS_OK)
			break;
		if (lit) {
			rc = buf_addc(out, p[i]);
			col++;
		} else {
			snprintf(q, sizeof(q), "=%02X", p[i]);
			rc = buf_add(out, q, 3);
			col += 3;
		}
	}
	if (rc == PKS_OK && n > 0 && p[n - 1] != '\n')
		rc = buf_addc(out, '\n');
	return rc;
}

static int
is_ascii_text(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return 0;
	return 1;
}

/* "Subject: ..." for the clean UTF-8 text s; RFC 2047 when needed. */
static enum pks_rc
subject_header(struct buf *out, const uint8_t *s, size_t n)
{
	size_t i = 0, take, l;
	enum pks_rc rc;

	rc = buf_adds(out, "Subject:");
	if (is_ascii_text(s, n)) {
		if (rc == PKS_OK)
			rc = buf_addc(out, ' ');
		if (rc == PKS_OK)
			rc = buf_add(out, s, n);
		return rc == PKS_OK ? buf_addc(out, '\n') : rc;
	}
	/* Encoded words of at most 39 octets (64 characters), whole
	 * UTF-8 characters each, one per folded line of <= 76. */
	while (i < n && rc == PKS_OK) {
		take = 0;
		while (i + take < n) {
			l = utf8_seq(s + i + take, n - i - take);
			if (l == 0)
				l = 1;
			if (take + l > 39)
				break;
			take += l;
		}
		rc = buf_adds(out, i == 0 ? " =?UTF-8?B?" : "\n =?UTF-8?B?");
		if (rc == PKS_OK)
			rc = base64(out, s + i, take);
		if (rc == PKS_OK)
			rc = buf_adds(out, "?=");
		i += take;
	}
	return rc == PKS_OK ? buf_addc(out, '\n') : rc;
}

/* A Message-Id fit to be echoed: printable ASCII, no brackets. */
static int
msgid_ok(const char *id)
{
	size_t i, n = id != NULL ? strlen(id) : 0;

	if (n == 0 || n > 250)
		return 0;
	for (i = 0; i < n; i++)
		if (id[i] <= 0x20 || id[i] >= 0x7f || id[i] == '<' ||
		    id[i] == '>')
			return 0;
	return 1;
}

static enum pks_rc
date_header(struct buf *out, time_t now)
{
	struct tm tm;
	char s[64];

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(s, sizeof(s), "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
		return PKS_ERR_INTERNAL;
	return buf_printf(out, "Date: %s\n", s);
}

static enum pks_rc
headers(const struct pks_config *cfg, const struct mail_reply *r, time_t now,
    const char *boundary, struct buf *out)
{
	static unsigned serial;
	struct buf subj;
	enum pks_rc rc;

	buf_init(&subj, 4 * SUBJECT_MAX + 256);
	rc = buf_adds(&subj, "Your command, ");
	if (rc == PKS_OK)
		rc = clean_text(&subj, (const uint8_t *)r->subject,
		    strnlen(r->subject, SUBJECT_MAX), 1);
	if (rc == PKS_OK && r->status != NULL)
		rc = buf_adds(&subj, r->status);
	if (rc == PKS_OK)
		rc = buf_printf(
		    out, "To: %s\nFrom: %s\n", r->to, cfg->maintainer);
	if (rc == PKS_OK)
		rc = subject_header(out, subj.data, subj.len);
	if (rc == PKS_OK && msgid_ok(r->in_reply_to))
		rc = buf_printf(out, "In-Reply-To: <%s>\nReferences: <%s>\n",
		    r->in_reply_to, r->in_reply_to);
	if (rc == PKS_OK)
		rc = date_header(out, now);
	if (rc == PKS_OK)
		rc = buf_printf(out,
		    "Message-ID: <pksync.%lld.%ld.%u@%s>\n"
		    "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
		    "Content-Type: multipart/mixed; boundary=\"%s\"\n\n"
		    "This is a MIME message.\n",
		    (long long)now, (long)getpid(), serial++, cfg->hostname,
		    boundary);
	buf_free(&subj);
	return rc;
}

static enum pks_rc
text_part(struct buf *out, const char *boundary, const uint8_t *p, size_t n)
{
	enum pks_rc rc;

	rc = buf_printf(out,
	    "\n--%s\nContent-Type: text/plain; "
	    "charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n",
	    boundary);
	return rc == PKS_OK ? qp_encode(out, p, n) : rc;
}

enum pks_rc
mail_compose_reply(const struct pks_config *cfg, const struct mail_reply *r,
    time_t now, struct buf *out)
{
	char boundary[48];
	enum pks_rc rc;

	snprintf(boundary, sizeof(boundary), "=_pksync_%llx_%lx",
	    (unsigned long long)now, (unsigned long)getpid());
	rc = headers(cfg, r, now, boundary, out);
	if (rc == PKS_OK)
		rc = text_part(
		    out, boundary, (const uint8_t *)r->intro, strlen(r->intro));
	if (rc == PKS_OK && r->body != NULL && !r->body_keys)
		rc = text_part(out, boundary, r->body, r->bodylen);
	if (rc == PKS_OK && r->body != NULL && r->body_keys) {
		rc = buf_printf(out,
		    "\n--%s\nContent-Type: application/"
		    "pgp-keys\nContent-Transfer-Encoding: 7bit\n\n",
		    boundary);
		if (rc == PKS_OK)
			rc = buf_add(out, r->body, r->bodylen);
		if (rc == PKS_OK && r->bodylen > 0 &&
		    r->body[r->bodylen - 1] != '\n')
			rc = buf_addc(out, '\n');
	}
	if (rc == PKS_OK)
		rc = buf_printf(out, "\n--%s--\n", boundary);
	return rc;
}

static const uint8_t *
issuer_name(void *arg, const uint8_t keyid[8], size_t *len)
{
	return store_names_get(arg, keyid, len);
}

/* Short entries from the stored listing facts: no key is parsed. */
static enum pks_rc
short_entries(struct store *st, const struct store_ids *ids, size_t limit,
    time_t now, struct buf *out, size_t *nkeys)
{
	struct store_listings l = { NULL, 0 };
	size_t i;
	enum pks_rc rc;

	rc = store_listings_load(st, ids, limit, &l);
	for (i = 0; i < l.n && rc == PKS_OK; i++)
		rc = pgp_listing_short(
		    out, l.v[i].info, now, &pgp_listing_plain);
	*nkeys = l.n;
	store_listings_free(&l);
	return rc;
}

/* Index facts of a stored key as served; logged and skipped when
 * unreadable. */
static int
served_facts(
    const struct store_key *k, struct pgp_key **key, struct pgp_key_info **info)
{
	struct pks_err err = { 0, NULL };

	*key = NULL;
	*info = NULL;
	if (pgp_key_listing(k->data, k->len, k->checks, k->checks_len,
		pks_key_limits()->served_certs, key, info, &err) == PKS_OK)
		return 1;
	log_warnx("mail: stored key id=%lld does not parse: %s",
	    (long long)k->id, err.why != NULL ? err.why : "no fingerprint");
	pgp_key_free(*key);
	*key = NULL;
	return 0;
}

/* Verbose entries: the keys as served, with signatures and names. */
static enum pks_rc
long_entries(struct store *st, const struct store_ids *ids, size_t limit,
    time_t now, struct buf *out, size_t *nkeys)
{
	struct store_keys f = { NULL, 0 };
	struct pgp_listing_style style = pgp_listing_plain;
	struct pgp_key *key;
	struct pgp_key_info *info;
	size_t i;
	enum pks_rc rc;

	style.issuer = issuer_name;
	style.arg = store_names_new(st);
	style.fingerprint = 1;
	*nkeys = 0;
	rc = store_keys_load(st, ids, limit, &f);
	for (i = 0; i < f.n && rc == PKS_OK; i++) {
		if (!served_facts(&f.v[i], &key, &info))
			continue;
		if (*nkeys > 0)
			rc = buf_addc(out, '\n');
		if (rc == PKS_OK)
			rc = pgp_listing_long(out, info, now, &style);
		(*nkeys)++;
		pgp_key_info_free(info);
		pgp_key_free(key);
	}
	store_names_free(style.arg);
	store_keys_free(&f);
	return rc;
}

enum pks_rc
mail_compose_index(struct store *st, const struct store_ids *ids, size_t limit,
    int verbose, time_t now, struct buf *out, size_t *nkeys)
{
	enum pks_rc rc;

	*nkeys = 0;
	rc = buf_adds(out, "Type bits/keyID            Date       User ID\n");
	if (rc == PKS_OK && verbose)
		rc = long_entries(st, ids, limit, now, out, nkeys);
	else if (rc == PKS_OK)
		rc = short_entries(st, ids, limit, now, out, nkeys);
	return rc;
}

void
mail_rate_key(const char *addr, char *out, size_t size)
{
	const char *at = strrchr(addr, '@');
	size_t i, o = 0;
	int skip = 0;

	for (i = 0; addr[i] != '\0' && o + 1 < size; i++) {
		if (&addr[i] == at)
			skip = 0;
		else if (addr[i] == '+' && at != NULL && &addr[i] < at)
			skip = 1;
		if (skip)
			continue;
		out[o++] = (addr[i] >= 'A' && addr[i] <= 'Z')
			       ? (char)(addr[i] - 'A' + 'a')
			       : addr[i];
	}
	out[o] = '\0';
}

enum pks_rc
mail_reply_submit(struct store *st, int dry_run, FILE *out, const char *rcpt,
    const struct buf *msg)
{
	char key[MAIL_RATE_KEY_MAX];
	enum pks_rc rc;

	if (dry_run) {
		if (fwrite(msg->data, 1, msg->len, out) != msg->len ||
		    fflush(out) != 0)
			return PKS_ERR_IO;
		log_info("reply to %s written (dry run)", rcpt);
		return PKS_OK;
	}
	mail_rate_key(rcpt, key, sizeof(key));
	rc = store_outbox_add_reply(
	    st, rcpt, key, (const char *)msg->data, msg->len);
	if (rc == PKS_OK)
		log_info("reply to %s queued", rcpt);
	return rc;
}
