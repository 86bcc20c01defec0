/*
 * pgp_served.c: the form of a key handed to people (op=get, op=hget,
 * mail replies, outgoing incrementals), as opposed to the stored form
 * that sync peers get in full (hashquery, dump).
 *
 * What is kept:
 *  - the primary key packet;
 *  - every self-signature that verified (pgp_verify.h): direct-key
 *    signatures and key revocations, user ID certifications and their
 *    revocations, subkey bindings and subkey revocations;
 *  - user IDs and user attributes with a verified self-certification
 *    or certification revocation (0x30: gpg keeps a user ID its owner
 *    revoked even when its certifications are gone, and a client that
 *    holds it must learn of the revocation), subkeys with a verified
 *    binding (gpg drops the others on import);
 *  - per user ID at most 'ncerts' third-party certifications (0x10..
 *    0x13) and certification revocations (0x30); in the direct area at
 *    most 'ncerts' third-party key revocations (designated revokers).
 *    With [keys] served_certs_prefer = known, those the check record
 *    marks as verified against their issuer key stored here win, then
 *    the newest by their creation time; with "newest", the newest
 *    alone.  The verdicts are written at ingest (pgp_key_flood_issuers,
 *    pgp_cert_verify, pgp_checks_mark_known) only for the areas that
 *    hold more candidates than the bound, so serving an ordinary key
 *    reads no issuer; one the stored issuer refutes is never served;
 *  - only signatures gpg can parse: a version 3 or 4 signature whose
 *    subpacket areas and algorithm-specific MPIs are well framed.
 * Forged or unparsable signatures, junk packets, and everything over
 * the bound are left out.  Pure: no I/O.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "pgp/pgp_fpr.h"
#include "pgp/pgp_index.h"
#include "pgp/pgp_int.h"
#include "pgp/pgp_verify.h"
#include "util/limits.h"
#include "util/xalloc.h"

/* The MPIs of a v3/v4 signature for its algorithm, well framed. */
static int
sig_mpis_ok(unsigned pkalgo, const uint8_t *p, size_t n)
{
	size_t at = 0, bits, len;
	int i, want;

	switch (pkalgo) {
	case 1:
	case 3:
		want = 1;
		break;
	case 16:
	case 17:
	case 19:
	case 20:
	case 22:
		want = 2;
		break;
	default:
		return n > 0; /* unknown algorithm: gpg keeps it opaque */
	}
	for (i = 0; i < want; i++) {
		if (n - at < 2)
			return 0;
		bits = pgp_be16(p + at);
		len = (bits + 7) / 8;
		if (len > n - at - 2)
			return 0;
		at += 2 + len;
	}
	return 1;
}

int
pgp_sig_wellformed(const struct pgp_pkt *sig, struct pgp_sig *s)
{
	const uint8_t *b = sig->body;
	size_t len = sig->len, at, hl, ul;

	if (sig->tag != PGP_TAG_SIG || pgp_sig_parse(b, len, s) != PKS_OK)
		return 0;
	if (s->version == 3 || s->version == 2)
		return len >= 19 && sig_mpis_ok(b[15], b + 19, len - 19);
	if (s->version != 4 || len < 6)
		return 0;
	hl = pgp_be16(b + 4);
	at = 6 + hl;
	if (at + 2 > len)
		return 0;
	ul = pgp_be16(b + at);
	at += 2 + ul;
	if (at + 2 > len)
		return 0;
	return sig_mpis_ok(b[2], b + at + 2, len - at - 2);
}

/* A signature picked for the served key, with its check state. */
struct pick {
	const struct pgp_pkt *p;
	int64_t ctime;
	uint8_t state;
	uint8_t known; /* issuer stored here (check record mark) */
};

/* Known issuers first, then newest first; equal times keep stored
 * order (stable by pointer). */
static int
pick_cmp(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;

	if (x->known != y->known)
		return x->known ? -1 : 1;
	if (x->ctime != y->ctime)
		return x->ctime > y->ctime ? -1 : 1;
	return x->p < y->p ? -1 : x->p > y->p;
}

/* Stored order: the signatures of one area are one array. */
static int
pos_cmp(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;

	return x->p < y->p ? -1 : x->p > y->p;
}

static int
third_party_kept(unsigned type, int direct)
{
	if (direct)
		return type == 0x20;
	return (type >= 0x10 && type <= 0x13) || type == 0x30;
}

/* Whether sigs[i] (check state 'state') is a third-party signature
 * the served key may carry (*s gets its facts). */
static int
candidate(
    const struct pgp_pkt *sig, uint8_t state, int direct, struct pgp_sig *s)
{
	return state == PGP_SIG_OTHER && pgp_sig_wellformed(sig, s) &&
	       third_party_kept(s->type, direct);
}

/*
 * Choose the signatures of one area: the verified self-signatures of
 * the allowed types, then 'ncerts' well-formed third-party ones, those
 * marked in kn (issuer known; may be NULL) first, then the newest.
 * Returns the number picked into v (room for n), in stored order.
 */
static size_t
choose(const struct pgp_pkt *sigs, size_t n, const uint8_t *st,
    const uint8_t *kn, int direct, size_t ncerts, struct pick *v)
{
	struct pgp_sig s;
	size_t i, k = 0, t0;

	for (i = 0; i < n; i++)
		if (st[i] == PGP_SIG_VALID) {
			v[k].p = &sigs[i];
			v[k].ctime = 0;
			v[k].known = 0;
			v[k++].state = PGP_SIG_VALID;
		}
	t0 = k;
	for (i = 0; i < n; i++) {
		if (!candidate(&sigs[i], st[i], direct, &s))
			continue;
		v[k].p = &sigs[i];
		v[k].ctime = s.ctime;
		v[k].known = kn != NULL && kn[i];
		v[k++].state = PGP_SIG_OTHER;
	}
	if (k - t0 > ncerts) {
		qsort(v + t0, k - t0, sizeof(*v), pick_cmp);
		k = t0 + ncerts;
	}
	/* Served in stored order. */
	qsort(v, k, sizeof(*v), pos_cmp);
	return k;
}

/* Output state: the key being built and its check record. */
struct served {
	struct pgp_key *out;
	struct buf *rec;
	size_t idx; /* flat index of the next packet of out */
	enum pks_rc rc;
	struct pick *tmp;
	const uint8_t *kn; /* issuer-known marks by flat index, or NULL */
};

static void
copy_pkt(struct pgp_pkt *to, const struct pgp_pkt *from)
{
	to->tag = from->tag;
	to->len = from->len;
	to->body = xmemdup(from->body, from->len);
}

/* Append the picked signatures to (*v, *nv), recording their state. */
static void
emit(struct served *sv, const struct pick *p, size_t n, struct pgp_pkt **v,
    size_t *nv)
{
	size_t i;

	*v = n ? xreallocarray(NULL, n, sizeof(**v)) : NULL;
	for (i = 0; i < n; i++) {
		copy_pkt(&(*v)[i], p[i].p);
		if (p[i].state != PGP_SIG_OTHER && sv->rc == PKS_OK)
			sv->rc = buf_add_be32(
			    sv->rec, (uint32_t)(sv->idx << 2) | p[i].state);
		sv->idx++;
	}
	*nv = n;
}

/* Whether a block has a verified self-signature of the wanted kind:
 * a binding for a subkey, a certification or its revocation for a
 * user ID or attribute (as pgp_index.c lists them). */
static int
block_valid(const struct pgp_block *b, const uint8_t *st)
{
	struct pgp_sig s;
	size_t i;
	int sub = b->head.tag == PGP_TAG_PUBSUBKEY;

	for (i = 0; i < b->nsigs; i++) {
		if (st[i] != PGP_SIG_VALID || pgp_sig_parse(b->sigs[i].body,
						  b->sigs[i].len, &s) != PKS_OK)
			continue;
		if (sub ? s.type == 0x18
			: (s.type >= 0x10 && s.type <= 0x13) || s.type == 0x30)
			return 1;
	}
	return 0;
}

static void
blocks(struct served *sv, const struct pgp_block *in, size_t n,
    const uint8_t *st, size_t *at, size_t ncerts, struct pgp_block **out,
    size_t *nout)
{
	struct pgp_block *b;
	size_t i, k;
	int sub;

	*out = n ? xcalloc(n, sizeof(**out)) : NULL;
	*nout = 0;
	for (i = 0; i < n; i++) {
		const uint8_t *bs = st + *at + 2;

		*at += 1 + in[i].nsigs;
		if (!block_valid(&in[i], bs))
			continue;
		sub = in[i].head.tag == PGP_TAG_PUBSUBKEY;
		b = &(*out)[(*nout)++];
		copy_pkt(&b->head, &in[i].head);
		sv->idx++;
		k = choose(in[i].sigs, in[i].nsigs, bs,
		    sv->kn != NULL ? sv->kn + (bs - st) : NULL, 0,
		    sub ? 0 : ncerts, sv->tmp);
		emit(sv, sv->tmp, k, &b->sigs, &b->nsigs);
	}
}

static size_t
max_sigs(const struct pgp_key *key)
{
	size_t m = key->nsigs, i;

	for (i = 0; i < key->nuids; i++)
		if (key->uids[i].nsigs > m)
			m = key->uids[i].nsigs;
	for (i = 0; i < key->nsubkeys; i++)
		if (key->subkeys[i].nsigs > m)
			m = key->subkeys[i].nsigs;
	return m;
}

/*
 * The issuer-known marks of a check record by flat packet index (a new
 * array of the key's packet count), or NULL when there are none or
 * [keys] served_certs_prefer is "newest".
 */
static uint8_t *
known_marks(const struct pgp_key *key, const uint8_t *rec, size_t len)
{
	size_t npkts, i, idx;
	uint8_t *kn = NULL;
	uint32_t e;

	/* Format 1 marks were matched, not verified: not preferred. */
	if (!pks_key_limits()->served_known || rec == NULL || len < 1 ||
	    rec[0] != PGP_CHECKS_FORMAT || (len - 1) % 4 != 0)
		return NULL;
	npkts = pgp_key_npackets(key);
	for (i = 0; i < (len - 1) / 4; i++) {
		e = pgp_be32(rec + 1 + 4 * i);
		idx = e >> 2;
		if ((e & 3) != PGP_SIG_OTHER || idx >= npkts)
			continue;
		if (kn == NULL)
			kn = xcalloc(npkts, 1);
		kn[idx] = 1;
	}
	return kn;
}

enum pks_rc
pgp_key_served(const struct pgp_key *key, const uint8_t *checks,
    size_t checks_len, size_t ncerts, struct pgp_key **out, struct buf *rec)
{
	struct served sv;
	uint8_t *st, *kn;
	size_t at, k, base = rec->len;

	memset(&sv, 0, sizeof(sv));
	st = pgp_key_sigstates(key, checks, checks_len);
	sv.out = xcalloc(1, sizeof(*sv.out));
	sv.rec = rec;
	sv.tmp = xreallocarray(NULL, max_sigs(key) + 1, sizeof(*sv.tmp));
	sv.kn = kn = known_marks(key, checks, checks_len);
	sv.rc = buf_addc(rec, PGP_CHECKS_FORMAT);
	copy_pkt(&sv.out->key, &key->key);
	sv.idx = 1;
	k = choose(key->sigs, key->nsigs, st + 1, kn ? kn + 1 : NULL, 1, ncerts,
	    sv.tmp);
	emit(&sv, sv.tmp, k, &sv.out->sigs, &sv.out->nsigs);
	at = key->nsigs;
	blocks(&sv, key->uids, key->nuids, st, &at, ncerts, &sv.out->uids,
	    &sv.out->nuids);
	blocks(&sv, key->subkeys, key->nsubkeys, st, &at, ncerts,
	    &sv.out->subkeys, &sv.out->nsubkeys);
	free(sv.tmp);
	free(kn);
	free(st);
	if (sv.rc != PKS_OK) {
		pgp_key_free(sv.out);
		rec->len = base;
		*out = NULL;
		return sv.rc;
	}
	*out = sv.out;
	return PKS_OK;
}

enum pks_rc
pgp_served_bytes(const uint8_t *data, size_t len, const uint8_t *checks,
    size_t checks_len, size_t ncerts, struct buf *out)
{
	struct pks_err err = { 0, NULL };
	struct pgp_key *key = NULL, *sv = NULL;
	struct buf rec;
	enum pks_rc rc;

	buf_init(&rec, (size_t)-1);
	rc = pgp_key_parse(data, len, &key, &err);
	if (rc == PKS_OK)
		rc = pgp_key_served(key, checks, checks_len, ncerts, &sv, &rec);
	if (rc == PKS_OK)
		rc = pgp_key_write(sv, out, PGP_HDR_SKS);
	pgp_key_free(sv);
	pgp_key_free(key);
	buf_free(&rec);
	return rc;
}

enum pks_rc
pgp_key_listing(const uint8_t *data, size_t len, const uint8_t *checks,
    size_t checks_len, size_t ncerts, struct pgp_key **key,
    struct pgp_key_info **info, struct pks_err *err)
{
	struct pgp_key *stored = NULL;
	struct buf rec;
	enum pks_rc rc;

	*key = NULL;
	*info = NULL;
	buf_init(&rec, (size_t)-1);
	rc = pgp_key_parse(data, len, &stored, err);
	if (rc == PKS_OK && ncerts == PGP_LISTING_SHORT) {
		/* The same facts without a served copy: a short listing
		 * shows no signatures. */
		*key = stored;
		stored = NULL;
		rc = pgp_key_info(*key, checks, checks_len, info);
	} else if (rc == PKS_OK) {
		rc = pgp_key_served(
		    stored, checks, checks_len, ncerts, key, &rec);
	}
	if (rc == PKS_OK && *info == NULL)
		rc = pgp_key_info(*key, rec.data, rec.len, info);
	if (rc != PKS_OK) {
		pgp_key_free(*key);
		*key = NULL;
	}
	pgp_key_free(stored);
	buf_free(&rec);
	return rc;
}

/* Whether p is among v[0..n). */
static int
has_pkt(const struct pgp_pkt *v, size_t n, const struct pgp_pkt *p)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pgp_pkt_equal(&v[i], p))
			return 1;
	return 0;
}

/* Keep in (*v, *n) only the packets also in (a, na). */
static void
restrict_sigs(struct pgp_pkt *v, size_t *n, const struct pgp_pkt *a, size_t na)
{
	size_t i, k = 0;

	for (i = 0; i < *n; i++) {
		if (has_pkt(a, na, &v[i]))
			v[k++] = v[i];
		else
			free(v[i].body);
	}
	*n = k;
}

static const struct pgp_block *
find_block(const struct pgp_block *v, size_t n, const struct pgp_pkt *head)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (pgp_pkt_equal(&v[i].head, head))
			return &v[i];
	return NULL;
}

/* Blocks of (*v, *n) restricted to the blocks of (a, na). */
static size_t
restrict_blocks(
    struct pgp_block *v, size_t *n, const struct pgp_block *a, size_t na)
{
	const struct pgp_block *m;
	size_t i, k = 0, left = 0;

	for (i = 0; i < *n; i++) {
		m = find_block(a, na, &v[i].head);
		if (m == NULL) {
			free(v[i].head.body);
			restrict_sigs(v[i].sigs, &v[i].nsigs, NULL, 0);
			free(v[i].sigs);
			continue;
		}
		restrict_sigs(v[i].sigs, &v[i].nsigs, m->sigs, m->nsigs);
		left += v[i].nsigs;
		v[k++] = v[i];
	}
	*n = k;
	return left + k;
}

size_t
pgp_key_restrict(struct pgp_key *k, const struct pgp_key *allowed)
{
	size_t left;

	restrict_sigs(k->sigs, &k->nsigs, allowed->sigs, allowed->nsigs);
	left = k->nsigs;
	left +=
	    restrict_blocks(k->uids, &k->nuids, allowed->uids, allowed->nuids);
	left += restrict_blocks(
	    k->subkeys, &k->nsubkeys, allowed->subkeys, allowed->nsubkeys);
	return left;
}

/* The issuers found so far (pgp_key_flood_issuers). */
struct issuers {
	struct pgp_issuer *v;
	size_t n, cap;
};

/* Append the issuer 'sig' names (s: its facts), if it names one. */
static void
add_issuer(struct issuers *is, size_t idx, const struct pgp_sig *s)
{
	struct pgp_issuer *e;

	if (!s->has_issuer && s->issuer_fpr_len == 0)
		return;
	if (is->n == is->cap) {
		is->cap = is->cap ? 2 * is->cap : 64;
		is->v = xreallocarray(is->v, is->cap, sizeof(*is->v));
	}
	e = &is->v[is->n++];
	memset(e, 0, sizeof(*e));
	e->idx = idx;
	e->fpr_len = s->issuer_fpr_len;
	memcpy(e->fpr, s->issuer_fpr, s->issuer_fpr_len);
	if (s->has_issuer)
		memcpy(e->keyid, s->issuer, 8);
	else if (s->issuer_fpr_len == 20) /* v4: the low 64 bits */
		memcpy(e->keyid, s->issuer_fpr + 12, 8);
	else /* v6: the high 64 bits */
		memcpy(e->keyid, s->issuer_fpr, 8);
}

/* The issuers of one area whose flat index starts at 'idx', when it
 * holds more than ncerts candidates. */
static void
area_issuers(struct issuers *is, const struct pgp_pkt *sigs, size_t n,
    const uint8_t *st, size_t idx, int direct, size_t ncerts)
{
	struct pgp_sig s;
	size_t i, count = 0;

	if (n <= ncerts)
		return;
	for (i = 0; i < n; i++)
		count += (size_t)candidate(&sigs[i], st[i], direct, &s);
	if (count <= ncerts)
		return;
	for (i = 0; i < n; i++)
		if (candidate(&sigs[i], st[i], direct, &s))
			add_issuer(is, idx + i, &s);
}

/* Whether some area of key holds more than ncerts signatures. */
static int
any_over(const struct pgp_key *key, size_t ncerts)
{
	size_t i;

	if (key->nsigs > ncerts)
		return 1;
	for (i = 0; i < key->nuids; i++)
		if (key->uids[i].nsigs > ncerts)
			return 1;
	return 0;
}

size_t
pgp_key_flood_issuers(const struct pgp_key *key, const uint8_t *checks,
    size_t checks_len, size_t ncerts, struct pgp_issuer **out)
{
	struct issuers is = { NULL, 0, 0 };
	uint8_t *st;
	size_t at, i;

	*out = NULL;
	/* With a bound of 0 nothing third-party is served: no choice. */
	if (ncerts == 0 || !any_over(key, ncerts))
		return 0;
	st = pgp_key_sigstates(key, checks, checks_len);
	area_issuers(&is, key->sigs, key->nsigs, st + 1, 1, 1, ncerts);
	at = 1 + key->nsigs;
	for (i = 0; i < key->nuids; i++) {
		area_issuers(&is, key->uids[i].sigs, key->uids[i].nsigs,
		    st + at + 1, at + 1, 0, ncerts);
		at += 1 + key->uids[i].nsigs;
	}
	free(st);
	*out = is.v;
	return is.n;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

enum pks_rc
pgp_checks_mark_known(struct buf *rec, const struct pgp_issuer *v, size_t n)
{
	size_t i, k, old, nknown = 0;
	enum pks_rc rc = PKS_OK;
	uint32_t *e;

	if (rec->len < 1 || rec->data[0] != PGP_CHECKS_FORMAT ||
	    (rec->len - 1) % 4 != 0)
		return PKS_OK;
	for (i = 0; i < n; i++)
		nknown += v[i].verdict != PGP_ISSUER_UNJUDGED;
	if (nknown == 0)
		return PKS_OK;
	if (4 * nknown > rec->max - rec->len)
		return PKS_ERR_TOOBIG; /* the record is left as it was */
	old = (rec->len - 1) / 4;
	e = xreallocarray(NULL, old + nknown, sizeof(*e));
	for (k = 0; k < old; k++)
		e[k] = pgp_be32(rec->data + 1 + 4 * k);
	for (i = 0; i < n; i++)
		if (v[i].verdict != PGP_ISSUER_UNJUDGED)
			e[k++] =
			    (uint32_t)(v[i].idx << 2) |
			    (v[i].verdict == PGP_ISSUER_VALID ? PGP_SIG_OTHER
							      : PGP_SIG_BAD);
	/* Entries stay ascending: readers walk them with the key. */
	qsort(e, k, sizeof(*e), u32_cmp);
	rec->len = 1;
	for (i = 0; i < k && rc == PKS_OK; i++)
		rc = buf_add_be32(rec, e[i]);
	free(e);
	return rc;
}

/* Where a signature sits: the head of its area (NULL: direct). */
struct at_sig {
	const struct pgp_pkt *head;
	const struct pgp_pkt *sig;
	enum pgp_verdict verdict;
};

/* The signature at flat index idx of key (direct area and user IDs,
 * where certifications are), or 0. */
static int
locate(const struct pgp_key *key, size_t idx, struct at_sig *a)
{
	size_t at = 1, i;

	if (idx >= at && idx < at + key->nsigs) {
		a->head = NULL;
		a->sig = &key->sigs[idx - at];
		return 1;
	}
	at += key->nsigs;
	for (i = 0; i < key->nuids; i++) {
		if (idx > at && idx <= at + key->uids[i].nsigs) {
			a->head = &key->uids[i].head;
			a->sig = &key->uids[i].sigs[idx - at - 1];
			return 1;
		}
		at += 1 + key->uids[i].nsigs;
	}
	return 0;
}

static int
at_cmp(const void *a, const void *b)
{
	const struct at_sig *x = a, *y = b;

	return pgp_sig_at_cmp(x->head, x->sig, y->head, y->sig);
}

/* The verdicts of a format-2 record on prev's certifications, sorted
 * for lookup; *n gets their number. */
static struct at_sig *
prior_verdicts(
    const struct pgp_key *prev, const uint8_t *rec, size_t len, size_t *n)
{
	struct at_sig *v = NULL;
	size_t i, k = 0, m;
	uint32_t e;

	*n = 0;
	if (prev == NULL || rec == NULL || len < 1 ||
	    rec[0] != PGP_CHECKS_FORMAT || (len - 1) % 4 != 0)
		return NULL;
	m = (len - 1) / 4;
	for (i = 0; i < m; i++) {
		e = pgp_be32(rec + 1 + 4 * i);
		if ((e & 3) != PGP_SIG_OTHER && (e & 3) != PGP_SIG_BAD)
			continue;
		if (v == NULL)
			v = xreallocarray(NULL, m, sizeof(*v));
		if (!locate(prev, e >> 2, &v[k]))
			continue;
		v[k++].verdict = (e & 3) == PGP_SIG_OTHER ? PGP_ISSUER_VALID
							  : PGP_ISSUER_FORGED;
	}
	if (k > 0)
		qsort(v, k, sizeof(*v), at_cmp);
	*n = k;
	return v;
}

size_t
pgp_issuers_reuse(const struct pgp_key *key, struct pgp_issuer *v, size_t n,
    const struct pgp_key *prev, const uint8_t *prevrec, size_t prevlen)
{
	struct at_sig *pv, want, *hit;
	size_t np, i, taken = 0;

	pv = prior_verdicts(prev, prevrec, prevlen, &np);
	for (i = 0; i < n && np > 0; i++) {
		if (v[i].verdict != PGP_ISSUER_UNJUDGED ||
		    !locate(key, v[i].idx, &want))
			continue;
		hit = bsearch(&want, pv, np, sizeof(*pv), at_cmp);
		/* A bad self-signature's entry is BAD too: only a
		 * third-party signature is a candidate, so never hit. */
		if (hit != NULL) {
			v[i].verdict = hit->verdict;
			taken++;
		}
	}
	free(pv);
	return taken;
}

/* Whether key packet p is the one e names. */
static int
names(const struct pgp_pkt *p, const struct pgp_issuer *e)
{
	struct pgp_fpr f;

	if (pgp_fpr_compute(p->body, p->len, &f, NULL) != PKS_OK)
		return 0;
	if (e->fpr_len != 0)
		return f.len == e->fpr_len && memcmp(f.fpr, e->fpr, f.len) == 0;
	return memcmp(f.keyid, e->keyid, 8) == 0;
}

const struct pgp_pkt *
pgp_issuer_packet(const struct pgp_key *issuer, const struct pgp_issuer *e)
{
	size_t i;

	if (names(&issuer->key, e))
		return &issuer->key;
	for (i = 0; i < issuer->nsubkeys; i++)
		if (names(&issuer->subkeys[i].head, e))
			return &issuer->subkeys[i].head;
	return NULL;
}

enum pgp_verdict
pgp_cert_verify(const struct pgp_key *key, const struct pgp_issuer *e,
    const struct pgp_pkt *ik)
{
	struct at_sig a;

	if (!locate(key, e->idx, &a))
		return PGP_ISSUER_UNJUDGED;
	switch (pgp_sig_verify_by(ik, &key->key, a.head, a.sig)) {
	case PGP_SIG_VALID:
		return PGP_ISSUER_VALID;
	case PGP_SIG_BAD:
		return PGP_ISSUER_FORGED;
	default:
		return PGP_ISSUER_UNJUDGED;
	}
}
