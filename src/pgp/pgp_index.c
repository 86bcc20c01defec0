/*
 * pgp_index.c: the facts an index shows about a key, and the HKP
 * machine-readable index lines (hkp-openpgp.md §1.5).
 *
 * Facts come only from self-signatures that verified (their state in
 * the key's check record, pgp_verify.h), read the way gpg 2.2 reads
 * them (g10/getkey.c merge_selfsigs): a key is revoked by a verified
 * 0x20, a subkey by a verified 0x28; a user ID's newest verified
 * self-certification or 0x30 decides whether it is revoked (one with
 * only a verified 0x30 is listed, revoked, as gpg keeps it); the key
 * expiry comes from the newest direct-key signature, else from the user
 * ID with the newest self-certification that sets one; the primary user
 * ID is the newest one flagged primary, else the newest.  A forged or
 * unverifiable signature counts as absent.
 *
 * In the mr output user attributes (photo IDs) are left out: gpg reads
 * only pub and uid records, and a "uat" record would carry nothing a
 * client can use.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgp/pgp_index.h"
#include "pgp/pgp_int.h"
#include "pgp/pgp_verify.h"
#include "util/utc.h"
#include "util/xalloc.h"

/* Curves by OID (the DER content octets): field size and name. */
static const struct curve {
	const char *oid;
	size_t len;
	unsigned bits;
	const char *name;
} curves[] = {
	{ "\x2a\x86\x48\xce\x3d\x03\x01\x07", 8, 256, "nistp256" },
	{ "\x2b\x81\x04\x00\x22", 5, 384, "nistp384" },
	{ "\x2b\x81\x04\x00\x23", 5, 521, "nistp521" },
	{ "\x2b\x24\x03\x03\x02\x08\x01\x01\x07", 9, 256, "brainpoolP256r1" },
	{ "\x2b\x24\x03\x03\x02\x08\x01\x01\x0b", 9, 384, "brainpoolP384r1" },
	{ "\x2b\x24\x03\x03\x02\x08\x01\x01\x0d", 9, 512, "brainpoolP512r1" },
	{ "\x2b\x81\x04\x00\x0a", 5, 256, "secp256k1" },
	{ "\x2b\x06\x01\x04\x01\xda\x47\x0f\x01", 9, 255, "ed25519" },
	{ "\x2b\x06\x01\x04\x01\x97\x55\x01\x05\x01", 10, 255, "cv25519" },
	{ "\x2b\x65\x70", 3, 255, "ed25519" },
	{ "\x2b\x65\x6e", 3, 255, "cv25519" },
	{ "\x2b\x65\x71", 3, 448, "ed448" },
	{ "\x2b\x65\x6f", 3, 448, "cv448" },
};

/* How the size of a key of each algorithm is found. */
enum size_kind {
	SIZE_NONE, /* unknown algorithm: size 0 */
	SIZE_MPI,  /* bit count of the first MPI */
	SIZE_OID,  /* field size of the curve named by the OID */
	SIZE_FIXED /* fixed by the algorithm (RFC 9580 native curves) */
};

static const struct algo {
	unsigned id;
	const char *name;
	char letter;
	enum size_kind kind;
	unsigned bits;
	const char *curve;
} algos[] = {
	{ 1, "RSA", 'R', SIZE_MPI, 0, "" },
	{ 2, "RSA-E", 'r', SIZE_MPI, 0, "" },
	{ 3, "RSA-S", 's', SIZE_MPI, 0, "" },
	{ 16, "Elgamal-E", 'g', SIZE_MPI, 0, "" },
	{ 17, "DSA", 'D', SIZE_MPI, 0, "" },
	{ 18, "ECDH", 'e', SIZE_OID, 0, "" },
	{ 19, "ECDSA", 'E', SIZE_OID, 0, "" },
	{ 20, "Elgamal", 'G', SIZE_MPI, 0, "" },
	{ 22, "EdDSA", 'E', SIZE_OID, 0, "" },
	{ 25, "X25519", 'e', SIZE_FIXED, 255, "cv25519" },
	{ 26, "X448", 'e', SIZE_FIXED, 448, "cv448" },
	{ 27, "Ed25519", 'E', SIZE_FIXED, 255, "ed25519" },
	{ 28, "Ed448", 'E', SIZE_FIXED, 448, "ed448" },
};

static const struct algo *
algo_find(unsigned algo)
{
	size_t i;

	for (i = 0; i < sizeof(algos) / sizeof(algos[0]); i++)
		if (algos[i].id == algo)
			return &algos[i];
	return NULL;
}

const char *
pgp_algo_name(unsigned algo)
{
	const struct algo *a = algo_find(algo);

	return a != NULL ? a->name : NULL;
}

char
pgp_algo_letter(unsigned algo)
{
	const struct algo *a = algo_find(algo);

	return a != NULL ? a->letter : '?';
}

/* Dotted form of an OID into out (size n); "" if it does not fit. */
static void
oid_dotted(const uint8_t *p, size_t len, char *out, size_t n)
{
	size_t i, o = 0;
	uint64_t arc = 0;
	int w, first = 1;

	out[0] = '\0';
	if (len == 0)
		return;
	for (i = 0; i < len; i++) {
		if (arc > (UINT64_MAX >> 7))
			goto bad;
		arc = arc << 7 | (p[i] & 0x7f);
		if (p[i] & 0x80)
			continue;
		if (first)
			w = snprintf(out + o, n - o, "%u.%llu",
			    arc < 80 ? (unsigned)(arc / 40) : 2u,
			    (unsigned long long)(arc < 80 ? arc % 40
							  : arc - 80));
		else
			w = snprintf(
			    out + o, n - o, ".%llu", (unsigned long long)arc);
		if (w < 0 || (size_t)w >= n - o)
			goto bad;
		o += (size_t)w;
		arc = 0;
		first = 0;
	}
	if (arc == 0 && !first && (p[len - 1] & 0x80) == 0)
		return;
bad:
	out[0] = '\0';
}

/* Curve size and name from the OID at the start of the key material. */
static unsigned
curve_bits(const uint8_t *m, size_t mlen, char *name, size_t n)
{
	size_t i, olen;

	if (mlen < 1 || m[0] == 0 || m[0] == 0xff || m[0] > mlen - 1)
		return 0;
	olen = m[0];
	for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++) {
		if (curves[i].len == olen &&
		    memcmp(curves[i].oid, m + 1, olen) == 0) {
			snprintf(name, n, "%s", curves[i].name);
			return curves[i].bits;
		}
	}
	oid_dotted(m + 1, olen, name, n);
	return 0;
}

/*
 * The fixed fields of a key packet body: creation, v3 expiry, algorithm
 * and where the key material is.  0 if the body is too short.
 */
static int
key_header(const uint8_t *b, size_t len, unsigned *algo, int64_t *ctime,
    int64_t *expires, const uint8_t **m, size_t *mlen)
{
	size_t at = b[0] < 4 ? 8 : b[0] < 5 ? 6 : 10;

	if (len < at)
		return 0;
	*ctime = pgp_be32(b + 1);
	*algo = b[at - 1 - (b[0] >= 5 ? 4 : 0)];
	*m = b + at;
	*mlen = len - at;
	if (b[0] < 4 && pgp_be16(b + 5) > 0)
		*expires = *ctime + (int64_t)pgp_be16(b + 5) * 86400;
	/* v5/v6 give the length of the key material. */
	if (b[0] >= 5 && pgp_be32(b + 6) < *mlen)
		*mlen = pgp_be32(b + 6);
	return 1;
}

/* Algorithm, size and creation of a key or subkey packet body. */
static void
key_facts(const uint8_t *b, size_t len, unsigned *algo, unsigned *bits,
    char *curve, size_t ncurve, int64_t *ctime, int64_t *expires)
{
	const struct algo *a;
	const uint8_t *m = NULL;
	size_t mlen = 0;

	*algo = *bits = 0;
	*ctime = *expires = 0;
	curve[0] = '\0';
	if (len < 6 || !key_header(b, len, algo, ctime, expires, &m, &mlen))
		return;
	a = algo_find(*algo);
	if (a == NULL)
		return;
	switch (a->kind) {
	case SIZE_MPI:
		*bits = mlen >= 2 ? pgp_be16(m) : 0;
		break;
	case SIZE_OID:
		*bits = curve_bits(m, mlen, curve, ncurve);
		break;
	case SIZE_FIXED:
		*bits = a->bits;
		snprintf(curve, ncurve, "%s", a->curve);
		break;
	default:
		break;
	}
}

/* Whether a parsed signature names the primary key as its issuer. */
static int
is_self(const struct pgp_sig *s, const struct pgp_fpr *fpr)
{
	if (s->issuer_fpr_len != 0 && s->issuer_fpr_len == fpr->len &&
	    memcmp(s->issuer_fpr, fpr->fpr, fpr->len) == 0)
		return 1;
	return s->has_issuer && memcmp(s->issuer, fpr->keyid, 8) == 0;
}

/* A verified self-signature: its state in the check record is valid
 * and its body parses (the facts come from *s). */
static int
valid_self(const struct pgp_pkt *p, uint8_t state, struct pgp_sig *s)
{
	return state == PGP_SIG_VALID &&
	       pgp_sig_parse(p->body, p->len, s) == PKS_OK;
}

static int
is_cert(unsigned type)
{
	return type >= 0x10 && type <= 0x13;
}

/*
 * A user ID's facts, as gpg 2.2 takes them (getkey.c fixup_uidnode):
 * the newest verified self-certification or certification revocation
 * (a later one wins a tie) decides; a revocation makes it revoked.  It
 * is listed with at least one verified self-certification or 0x30: gpg
 * keeps it on import with either (import.c chk_self_sigs), so a user ID
 * whose owner revoked it and whose certifications were stripped (as
 * Debian's keyring ships them) is listed revoked.  A forged or
 * unverifiable one counts as absent.  st: the states of its
 * signatures.  ctime stays that of the newest verified
 * self-certification (0: none).
 */
static void
uid_facts(const struct pgp_block *b, const uint8_t *st, int64_t kctime,
    struct pgp_uid_info *u)
{
	struct pgp_sig s, best;
	int have = 0;
	int64_t cert_time = 0;
	size_t i;

	memset(&best, 0, sizeof(best));
	for (i = 0; i < b->nsigs; i++) {
		if (!valid_self(&b->sigs[i], st[i], &s))
			continue;
		if (!is_cert(s.type) && s.type != 0x30)
			continue;
		u->valid = 1;
		if (is_cert(s.type) && s.ctime > cert_time)
			cert_time = s.ctime;
		if (!have || s.ctime >= best.ctime) {
			best = s;
			have = 1;
		}
	}
	u->text = b->head.body;
	u->len = b->head.len;
	u->sigs = b->sigs;
	u->nsigs = b->nsigs;
	u->is_uat = b->head.tag == PGP_TAG_UAT;
	if (!have)
		return;
	u->ctime = cert_time;
	if (best.type == 0x30) {
		u->revoked = 1;
		return;
	}
	if (best.sig_expiry)
		u->expires = best.ctime + best.sig_expiry;
	u->primary = best.primary_uid && !u->is_uat;
	if (best.has_key_expiry && best.key_expiry > 0)
		u->key_expires = kctime + best.key_expiry;
}

/* Revocation from a verified 0x20; *best the newest verified 0x1F
 * (returns whether there is one). */
static int
direct_sigs(const struct pgp_key *key, const uint8_t *st,
    struct pgp_key_info *info, struct pgp_sig *best)
{
	struct pgp_sig s;
	int have = 0;
	size_t i;

	memset(best, 0, sizeof(*best));
	for (i = 0; i < key->nsigs; i++) {
		if (!valid_self(&key->sigs[i], st[1 + i], &s))
			continue;
		if (s.type == 0x20)
			info->revoked = 1;
		else if (s.type == 0x1f && (!have || s.ctime >= best->ctime)) {
			*best = s;
			have = 1;
		}
	}
	return have;
}

/*
 * Key revocation from a verified 0x20; expiry from the newest verified
 * direct-key signature (0x1F) when it sets one, else from the user ID
 * with the newest self-certification that sets one (gpg 2.2,
 * merge_selfsigs_main).  v3 keys carry it in the key packet.
 */
static void
key_expiry(const struct pgp_key *key, const uint8_t *st, const uint8_t *vu,
    struct pgp_key_info *info, const struct pgp_uid_info *u)
{
	struct pgp_sig best;
	int have;
	int64_t udate = -1;
	size_t i;

	have = direct_sigs(key, st, info, &best);
	if (info->version < 4)
		return;
	if (have && best.has_key_expiry && best.key_expiry > 0) {
		info->expires = info->ctime + best.key_expiry;
		return;
	}
	info->expires = 0;
	for (i = 0; i < key->nuids; i++) {
		if (!vu[i] || u[i].key_expires == 0 || u[i].revoked ||
		    u[i].ctime <= udate)
			continue;
		info->expires = u[i].key_expires;
		udate = u[i].ctime;
	}
}

/*
 * A subkey: bound by a verified 0x18 (gpg drops it otherwise), revoked
 * by any verified 0x28, expiry from the newest verified binding.
 */
static void
subkey_facts(
    const struct pgp_block *b, const uint8_t *st, struct pgp_subkey_info *sk)
{
	struct pgp_sig s, best;
	int have = 0;
	char curve[32];
	size_t i;

	if (pgp_fpr_compute(b->head.body, b->head.len, &sk->fpr, NULL) !=
	    PKS_OK)
		memset(&sk->fpr, 0, sizeof(sk->fpr));
	key_facts(b->head.body, b->head.len, &sk->algo, &sk->bits, curve,
	    sizeof(curve), &sk->ctime, &sk->expires);
	sk->block = b;
	sk->sigs = b->sigs;
	sk->nsigs = b->nsigs;
	memset(&best, 0, sizeof(best));
	for (i = 0; i < b->nsigs; i++) {
		if (!valid_self(&b->sigs[i], st[i], &s))
			continue;
		if (s.type == 0x28)
			sk->revoked = 1;
		if (s.type == 0x18 && (!have || s.ctime >= best.ctime)) {
			best = s;
			have = 1;
		}
	}
	sk->bound = have;
	if (have && best.has_key_expiry && best.key_expiry > 0)
		sk->expires = sk->ctime + best.key_expiry;
}

/* gpg's tie-break between two user IDs of one date (cmp_user_ids). */
static int
uid_after(const struct pgp_uid_info *a, const struct pgp_uid_info *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = n ? memcmp(a->text, b->text, n) : 0;

	return c != 0 ? c > 0 : a->len > b->len;
}

/* The primary user ID: the newest flagged one, else the newest. */
static size_t
pick_primary(const struct pgp_uid_info *u, const uint8_t *vu, size_t n)
{
	size_t i, best = n;
	int flagged;

	for (flagged = 1; flagged >= 0 && best == n; flagged--) {
		for (i = 0; i < n; i++) {
			if (!vu[i] || u[i].is_uat || u[i].revoked ||
			    (flagged && !u[i].primary))
				continue;
			if (best == n || u[i].ctime > u[best].ctime ||
			    (u[i].ctime == u[best].ctime &&
				uid_after(&u[i], &u[best])))
				best = i;
		}
	}
	return best;
}

/* Fill info->uids: the valid user IDs, primary first, then stored
 * order; vu[i] tells which are valid. */
static void
order_uids(const struct pgp_key *key, struct pgp_uid_info *tmp,
    const uint8_t *vu, struct pgp_key_info *info)
{
	size_t i, k = 0, prim;

	if (key->nuids == 0)
		return;
	prim = pick_primary(tmp, vu, key->nuids);
	info->uids = xcalloc(key->nuids, sizeof(*info->uids));
	if (prim < key->nuids) {
		tmp[prim].primary = 1;
		info->uids[k++] = tmp[prim];
	}
	for (i = 0; i < key->nuids; i++) {
		if (i == prim || !vu[i])
			continue;
		tmp[i].primary = 0;
		info->uids[k++] = tmp[i];
	}
	info->nuids = k;
}

/* Facts of every user ID; vu[i] = it has a verified self-cert or
 * certification revocation (it is listed). */
static void
all_uids(const struct pgp_key *key, const uint8_t *st, size_t *at,
    int64_t kctime, struct pgp_uid_info *tmp, uint8_t *vu)
{
	size_t i;

	for (i = 0; i < key->nuids; i++) {
		(*at)++;
		tmp[i].block = &key->uids[i];
		uid_facts(&key->uids[i], st + *at + 1, kctime, &tmp[i]);
		vu[i] = (uint8_t)tmp[i].valid;
		*at += key->uids[i].nsigs;
	}
}

static void
all_subkeys(const struct pgp_key *key, const uint8_t *st, size_t at,
    struct pgp_key_info *info)
{
	size_t i, k = 0;
	struct pgp_subkey_info sk;

	if (key->nsubkeys > 0)
		info->subkeys = xcalloc(key->nsubkeys, sizeof(*info->subkeys));
	for (i = 0; i < key->nsubkeys; i++) {
		memset(&sk, 0, sizeof(sk));
		subkey_facts(&key->subkeys[i], st + at + 1, &sk);
		at += 1 + key->subkeys[i].nsigs;
		if (sk.bound)
			info->subkeys[k++] = sk;
	}
	info->nsubkeys = k;
}

enum pks_rc
pgp_key_info(const struct pgp_key *key, const uint8_t *checks,
    size_t checks_len, struct pgp_key_info **out)
{
	struct pgp_key_info *info;
	struct pgp_uid_info *tmp;
	uint8_t *st, *vu;
	size_t at = key->nsigs;
	enum pks_rc rc;

	*out = NULL;
	info = xcalloc(1, sizeof(*info));
	rc = pgp_fpr_compute(key->key.body, key->key.len, &info->fpr, NULL);
	if (rc != PKS_OK) {
		free(info);
		return rc;
	}
	info->version = info->fpr.version;
	info->sigs = key->sigs;
	info->nsigs = key->nsigs;
	key_facts(key->key.body, key->key.len, &info->algo, &info->bits,
	    info->curve, sizeof(info->curve), &info->ctime, &info->expires);
	st = pgp_key_sigstates(key, checks, checks_len);
	tmp = xcalloc(key->nuids + 1, sizeof(*tmp));
	vu = xcalloc(key->nuids + 1, 1);
	all_uids(key, st, &at, info->ctime, tmp, vu);
	key_expiry(key, st, vu, info, tmp);
	order_uids(key, tmp, vu, info);
	all_subkeys(key, st, at + 1, info);
	free(vu);
	free(tmp);
	free(st);
	*out = info;
	return PKS_OK;
}

void
pgp_key_info_free(struct pgp_key_info *info)
{
	if (info == NULL)
		return;
	free(info->uids);
	free(info->subkeys);
	free(info);
}

enum pks_rc
pgp_sig_info(const struct pgp_pkt *sig, const struct pgp_fpr *primary,
    struct pgp_sig_info *out)
{
	struct pgp_sig s;
	enum pks_rc rc;

	memset(out, 0, sizeof(*out));
	if (sig->tag != PGP_TAG_SIG)
		return PKS_ERR_PARSE;
	if ((rc = pgp_sig_parse(sig->body, sig->len, &s)) != PKS_OK)
		return rc;
	out->version = s.version;
	out->type = s.type;
	out->ctime = s.ctime;
	if (s.has_issuer) {
		memcpy(out->issuer, s.issuer, 8);
		out->has_issuer = 1;
	} else if (s.issuer_fpr_len == 20) {
		memcpy(out->issuer, s.issuer_fpr + 12, 8);
		out->has_issuer = 1;
	} else if (s.issuer_fpr_len == 32) {
		memcpy(out->issuer, s.issuer_fpr, 8);
		out->has_issuer = 1;
	}
	out->self = is_self(&s, primary);
	return PKS_OK;
}

const char *
pgp_sig_label(unsigned type)
{
	switch (type) {
	case 0x11:
		return "sig1";
	case 0x12:
		return "sig2";
	case 0x13:
		return "sig3";
	case 0x18:
		return "sbind";
	case 0x19:
		return "pbind";
	case 0x1f:
		return "dsig";
	case 0x20:
	case 0x28:
	case 0x30:
		return "revok";
	default:
		return "sig";
	}
}

/* Append a uid %-escaped: '%', ':', controls, DEL and non-ASCII. */
static enum pks_rc
escape(struct buf *out, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	uint8_t *q;
	size_t i;
	enum pks_rc rc;

	rc = buf_reserve(out, 3 * n, &q);
	if (rc != PKS_OK)
		return rc;
	for (i = 0; i < n; i++) {
		if (p[i] < 0x20 || p[i] >= 0x7f || p[i] == '%' || p[i] == ':') {
			*q++ = '%';
			*q++ = hex[p[i] >> 4];
			*q++ = hex[p[i] & 15];
		} else {
			*q++ = p[i];
		}
	}
	out->len = (size_t)(q - out->data);
	out->data[out->len] = '\0';
	return PKS_OK;
}

/* Append c (when not NUL) and v in decimal: an mr index lists hundreds
 * of keys, and printf is most of what writing a number costs. */
static enum pks_rc
add_dec(struct buf *out, char c, uint64_t v)
{
	char d[24];
	size_t n = 0;

	do {
		d[sizeof(d) - ++n] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	if (c != '\0')
		d[sizeof(d) - ++n] = c;
	return buf_add(out, d + sizeof(d) - n, n);
}

/* ":<ctime>:<exptime>:<flags>\n", empty fields for unknown values. */
static enum pks_rc
times_flags(
    struct buf *out, int64_t ctime, int64_t expires, int revoked, time_t now)
{
	enum pks_rc rc = PKS_OK;

	if (ctime > 0)
		rc = add_dec(out, ':', (uint64_t)ctime);
	else
		rc = buf_addc(out, ':');
	if (rc == PKS_OK && expires > 0)
		rc = add_dec(out, ':', (uint64_t)expires);
	if (rc == PKS_OK)
		rc = buf_adds(out, expires > 0 ? ":" : "::");
	if (rc == PKS_OK && revoked)
		rc = buf_addc(out, 'r');
	if (rc == PKS_OK && expires > 0 && expires <= (int64_t)now)
		rc = buf_addc(out, 'e');
	if (rc == PKS_OK)
		rc = buf_addc(out, '\n');
	return rc;
}

enum pks_rc
pgp_index_mr(const struct pgp_key_info *info, time_t now, struct buf *out)
{
	char hex[2 * PGP_FPR_MAX + 1];
	size_t base = out->len, i;
	enum pks_rc rc;

	if (info->version < 4)
		pgp_hex(info->fpr.keyid, 8, hex);
	else
		pgp_hex(info->fpr.fpr, info->fpr.len, hex);
	rc = buf_adds(out, "pub:");
	if (rc == PKS_OK)
		rc = buf_adds(out, hex);
	if (rc == PKS_OK)
		rc = add_dec(out, ':', info->algo);
	if (rc == PKS_OK)
		rc = buf_addc(out, ':');
	if (rc == PKS_OK && info->bits > 0)
		rc = add_dec(out, '\0', info->bits);
	if (rc == PKS_OK)
		rc = times_flags(
		    out, info->ctime, info->expires, info->revoked, now);
	for (i = 0; rc == PKS_OK && i < info->nuids; i++) {
		if (info->uids[i].is_uat)
			continue;
		rc = buf_adds(out, "uid:");
		if (rc == PKS_OK)
			rc = escape(out, info->uids[i].text, info->uids[i].len);
		if (rc == PKS_OK)
			rc = times_flags(out, info->uids[i].ctime,
			    info->uids[i].expires, info->uids[i].revoked, now);
	}
	if (rc != PKS_OK) {
		out->len = base;
		if (out->data != NULL)
			out->data[base] = '\0';
	}
	return rc;
}

enum pks_rc
pgp_index_status(struct buf *out, int revoked, int64_t expires, time_t now)
{
	enum pks_rc rc = PKS_OK;
	char day[32];

	if (revoked)
		rc = buf_adds(out, " [revoked]");
	if (rc == PKS_OK && expires > 0)
		rc = buf_printf(out, " [%s: %s]",
		    expires <= now ? "expired" : "expires",
		    utc_text(expires, UTC_DAY, "?", day, sizeof(day)));
	return rc;
}
