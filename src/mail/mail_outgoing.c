/*
 * mail_outgoing.c: composing PKS incrementals (see mail_outgoing.h).
 */
#include <config.h>

#include <string.h>

#include "mail/mail_outgoing.h"
#include "pgp/pgp_armor.h"
#include "pgp/pgp_fpr.h"
#include "pgp/pgp_key.h"
#include "pgp/pgp_packet.h"
#include "util/limits.h"
#include "util/log.h"

/* Hex fingerprint of a key for log lines ("?" if it has none). */
static void
key_name(const struct pgp_key *key, char *hex)
{
	struct pgp_fpr f;

	if (pgp_fpr_compute(key->key.body, key->key.len, &f, NULL) == PKS_OK)
		pgp_hex(f.fpr, f.len, hex);
	else
		memcpy(hex, "?", 2);
}

/*
 * Why PKS cannot take this key at all, or NULL: PKS reads version 2..4
 * key packets only, so a v5/v6 primary key or subkey is left out.
 */
static const char *
unfit_for_pks(const struct pgp_key *key)
{
	size_t i;

	if (pgp_key_version(key) > 4)
		return "a v5/v6 key";
	for (i = 0; i < key->nsubkeys; i++)
		if (key->subkeys[i].head.len > 0 &&
		    key->subkeys[i].head.body[0] > 4)
			return "a v5/v6 subkey";
	return NULL;
}

/* Number of packets in data[0..len) (written by us: well framed). */
static size_t
count_packets(const uint8_t *data, size_t len)
{
	struct pgp_packet pk;
	struct pks_err err = { 0, NULL };
	size_t off = 0, n = 0;

	while (pgp_packet_next(data, len, &off, &pk, &err) == PKS_OK)
		n++;
	return n;
}

/* Log why key is left out of the incremental (why, then more). */
static void
left_out(const struct pgp_key *key, const char *why, const char *more)
{
	char hex[2 * PGP_FPR_MAX + 1];

	key_name(key, hex);
	log_info(
	    "mail: key %s left out of the incremental: %s%s", hex, why, more);
}

/*
 * Re-encode one key; *skip when nothing worth sending is left.  The key
 * is parsed once; what was written is only counted, not parsed again.
 */
static enum pks_rc
one_key(const uint8_t *p, size_t n, struct buf *out, int *skip)
{
	struct pgp_key *key = NULL;
	struct pks_err err = { 0, NULL };
	size_t before = out->len;
	const char *why;
	enum pks_rc rc = PKS_OK;

	*skip = 1;
	if (pgp_key_parse(p, n, &key, &err) != PKS_OK) {
		log_info("mail: outgoing key left out: %s",
		    err.why != NULL ? err.why : "does not parse");
		return PKS_OK;
	}
	if ((why = unfit_for_pks(key)) != NULL) {
		left_out(key, why, ", which PKS cannot read");
		goto out;
	}
	rc = pgp_key_write(key, out, PGP_HDR_OLD_ONLY);
	if (rc == PKS_ERR_UNSUPPORTED) {
		left_out(key,
		    "it cannot be written with old-format packet "
		    "headers",
		    "");
		rc = PKS_OK;
		goto out;
	}
	if (rc != PKS_OK)
		goto out;
	/* A delta of only a photo ID leaves the bare key packet. */
	if (pgp_key_npackets(key) > 1 &&
	    count_packets(out->data + before, out->len - before) == 1) {
		left_out(key, "nothing PKS can read (photo IDs only)", "");
		out->len = before;
		goto out;
	}
	*skip = 0;
out:
	pgp_key_free(key);
	return rc;
}

enum pks_rc
mail_out_pks_keys(
    const uint8_t *data, size_t len, struct buf *out, size_t *nkeys)
{
	struct pgp_keyring_iter it;
	struct pks_err err = { 0, NULL };
	const uint8_t *kp;
	size_t kl;
	enum pks_rc rc;
	int skip;

	pgp_keyring_init(&it, data, len);
	for (;;) {
		kp = NULL;
		rc = pgp_keyring_next(&it, &kp, &kl, &err);
		if (rc == PKS_ERR_NOTFOUND)
			return PKS_OK;
		if (rc != PKS_OK) {
			if (kp == NULL)
				return PKS_OK;
			continue;
		}
		if ((rc = one_key(kp, kl, out, &skip)) != PKS_OK)
			return rc;
		*nkeys += !skip;
	}
}

/* A header value that cannot end the header or start another one. */
static int
value_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] == 0x7f)
			return 0;
	return 1;
}

/* A header value with spaces (a display name) but no line break. */
static int
phrase_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

/* One X-KeyServer-Sent line per value of path. */
static enum pks_rc
path_headers(const char *path, struct buf *out)
{
	const char *p = path, *nl;
	size_t n;
	enum pks_rc rc = PKS_OK;

	while (rc == PKS_OK && *p != '\0') {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (!value_ok(p, n))
			return PKS_ERR_PARSE;
		rc = buf_adds(out, "X-KeyServer-Sent: ");
		if (rc == PKS_OK)
			rc = buf_add(out, p, n);
		if (rc == PKS_OK)
			rc = buf_addc(out, '\n');
		p += n + (nl != NULL);
	}
	return rc;
}

enum pks_rc
mail_out_incremental(const char *from, const char *to, const char *path,
    const uint8_t *keys, size_t len, struct buf *out)
{
	enum pks_rc rc;

	if (from[0] == '\0' || !phrase_ok(from) || !value_ok(to, strlen(to)))
		return PKS_ERR_PARSE;
	rc = buf_printf(
	    out, "To: %s\nFrom: %s\nSubject: incremental\n", to, from);
	if (rc == PKS_OK)
		rc = path_headers(path, out);
	if (rc == PKS_OK)
		rc = buf_adds(out, "Precedence: list\nMIME-Version: 1.0\n"
				   "Content-type: application/pgp-keys\n\n");
	if (rc == PKS_OK)
		rc = pgp_armor_encode(
		    keys, len, "Version: pksync " PACKAGE_VERSION "\n", out);
	return rc;
}
