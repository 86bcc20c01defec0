/*
 * pgp_verify.c: cryptographic verification of a key's self-signatures
 * and the check record the key is stored with.
 *
 * A signature is self-issued when its issuer key ID or fingerprint
 * names the primary key.  Only those are verified (third-party
 * certifications need the issuer's key, which a keyserver does not
 * judge).  What a self-signature covers (RFC 4880 5.2.4, RFC 9580
 * 5.2.4): the primary key packet framed as 0x99 + 2-octet length (v4,
 * v3) or 0x9A/0x9B + 4-octet length (v5/v6); for a certification or
 * certification revocation (0x10..0x13, 0x30) the user ID as 0xB4 (user
 * attribute 0xD1) + 4-octet length + body (v3 signatures: the body
 * alone); for a subkey binding or revocation (0x18, 0x28) the subkey
 * packet framed like the primary; then the signature's hashed part and
 * trailer (v3: type and creation; v4: version .. hashed subpackets,
 * 0x04 0xFF, 4-octet length; v6: salt first, 0x06 0xFF trailer).
 * A direct-key signature or key revocation (0x1F, 0x20) covers the
 * primary key alone.  A self-issued signature of another type, or in
 * another place, counts as bad.
 *
 * The primary key is loaded once per key, not once per signature, and
 * a signature that the stored copy held under the same user ID or
 * subkey keeps its earlier result without being verified again, so a
 * merge verifies only what is new.  Ed25519 is verified with libsodium
 * (libgcrypt 1.10 spends about 0.5 ms of CPU on one Ed25519
 * verification, Nettle about 0.1 ms, libsodium about half of Nettle:
 * its variable-time code suits public data), with Nettle's answer where
 * libsodium refuses (pgp_ed25519.c, which opens both on first use).
 * Everything else, and an Ed25519 point in an unusual form, goes
 * through libgcrypt.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>

#include "pgp/pgp_ed25519.h"
#include "pgp/pgp_fpr.h"
#include "pgp/pgp_int.h"
#include "pgp/pgp_verify.h"
#include "util/xalloc.h"

/* Hash algorithms gpg accepts for signatures, by OpenPGP id. */
static const struct vhash {
	unsigned id;
	int gcry;
	const char *name; /* for PKCS#1 */
	size_t salt;      /* v6 salt size */
} vhashes[] = {
	{ 2, GCRY_MD_SHA1, "sha1", 0 },
	{ 3, GCRY_MD_RMD160, "rmd160", 0 },
	{ 8, GCRY_MD_SHA256, "sha256", 16 },
	{ 9, GCRY_MD_SHA384, "sha384", 24 },
	{ 10, GCRY_MD_SHA512, "sha512", 32 },
	{ 11, GCRY_MD_SHA224, "sha224", 16 },
	{ 12, GCRY_MD_SHA3_256, "sha3-256", 16 },
	{ 14, GCRY_MD_SHA3_512, "sha3-512", 32 },
};

static const struct vhash *
vhash_find(unsigned id)
{
	size_t i;

	for (i = 0; i < sizeof(vhashes) / sizeof(vhashes[0]); i++)
		if (vhashes[i].id == id)
			return &vhashes[i];
	return NULL;
}

/* The parts of a signature body that verification needs. */
struct vsig {
	int version;
	unsigned type, pkalgo, hashalgo;
	size_t hashedlen; /* octets hashed from the start of the body */
	const uint8_t *salt;
	size_t saltlen;
	const uint8_t *left16;
	const uint8_t *mat; /* signature material */
	size_t matlen;
};

static int
vsig_v3(const uint8_t *b, size_t len, struct vsig *v)
{
	if (len < 19 || b[1] != 5)
		return 0;
	v->type = b[2];
	v->pkalgo = b[15];
	v->hashalgo = b[16];
	v->left16 = b + 17;
	v->mat = b + 19;
	v->matlen = len - 19;
	return 1;
}

/* v4 (2-octet area counts) and v6 (4-octet counts, then a salt). */
static int
vsig_v46(const uint8_t *b, size_t len, struct vsig *v)
{
	size_t w = v->version == 6 ? 4 : 2, hl, ul, at;

	if (len < 4 + w)
		return 0;
	v->type = b[1];
	v->pkalgo = b[2];
	v->hashalgo = b[3];
	hl = w == 4 ? pgp_be32(b + 4) : pgp_be16(b + 4);
	if (hl > len - 4 - w || len - 4 - w - hl < w)
		return 0;
	v->hashedlen = 4 + w + hl;
	at = v->hashedlen;
	ul = w == 4 ? pgp_be32(b + at) : pgp_be16(b + at);
	at += w;
	if (ul > len - at || len - at - ul < 2)
		return 0;
	at += ul;
	v->left16 = b + at;
	at += 2;
	if (v->version == 6) {
		if (len - at < 1 || b[at] > len - at - 1)
			return 0;
		v->saltlen = b[at];
		v->salt = b + at + 1;
		at += 1 + v->saltlen;
	}
	v->mat = b + at;
	v->matlen = len - at;
	return 1;
}

static int
vsig_parse(const uint8_t *b, size_t len, struct vsig *v)
{
	memset(v, 0, sizeof(*v));
	if (len < 1)
		return 0;
	v->version = b[0];
	if (v->version == 2 || v->version == 3)
		return vsig_v3(b, len, v);
	if (v->version == 4 || v->version == 6)
		return vsig_v46(b, len, v);
	return 0;
}

/* Hash a key packet with its framing octet and length. */
static int
hash_keypkt(gcry_md_hd_t h, const struct pgp_pkt *p)
{
	uint8_t f[5];

	if (p->len > 0 && p->body[0] >= 5) {
		f[0] = p->body[0] == 5 ? 0x9a : 0x9b;
		f[1] = (uint8_t)(p->len >> 24);
		f[2] = (uint8_t)(p->len >> 16);
		f[3] = (uint8_t)(p->len >> 8);
		f[4] = (uint8_t)p->len;
		gcry_md_write(h, f, 5);
	} else {
		if (p->len > 0xffff)
			return 0;
		f[0] = 0x99;
		f[1] = (uint8_t)(p->len >> 8);
		f[2] = (uint8_t)p->len;
		gcry_md_write(h, f, 3);
	}
	gcry_md_write(h, p->body, p->len);
	return 1;
}

static void
hash_uid(gcry_md_hd_t h, const struct pgp_pkt *p, int sigver)
{
	uint8_t f[5];

	if (sigver >= 4) {
		f[0] = p->tag == PGP_TAG_UAT ? 0xd1 : 0xb4;
		f[1] = (uint8_t)(p->len >> 24);
		f[2] = (uint8_t)(p->len >> 16);
		f[3] = (uint8_t)(p->len >> 8);
		f[4] = (uint8_t)p->len;
		gcry_md_write(h, f, 5);
	}
	gcry_md_write(h, p->body, p->len);
}

/* The signature's own part: hashed area and trailer. */
static void
hash_trailer(gcry_md_hd_t h, const uint8_t *b, const struct vsig *v)
{
	uint8_t t[6];

	if (v->version < 4) {
		gcry_md_write(h, b + 2, 5);
		return;
	}
	gcry_md_write(h, b, v->hashedlen);
	t[0] = (uint8_t)v->version;
	t[1] = 0xff;
	t[2] = (uint8_t)(v->hashedlen >> 24);
	t[3] = (uint8_t)(v->hashedlen >> 16);
	t[4] = (uint8_t)(v->hashedlen >> 8);
	t[5] = (uint8_t)v->hashedlen;
	gcry_md_write(h, t, 6);
}

/* What a signature is over: the head of its block (NULL: direct). */
struct target {
	const struct pgp_pkt *primary;
	const struct pgp_pkt *head;
};

/* Digest of what the signature covers into d (64 octets). */
static int
digest(const struct target *t, const struct pgp_pkt *sig, const struct vsig *v,
    const struct vhash *vh, uint8_t *d)
{
	gcry_md_hd_t h;
	int ok;

	if (gcry_md_open(&h, vh->gcry, 0) != 0)
		return 0;
	if (v->salt != NULL)
		gcry_md_write(h, v->salt, v->saltlen);
	ok = hash_keypkt(h, t->primary);
	if (ok && t->head != NULL && t->head->tag == PGP_TAG_PUBSUBKEY)
		ok = hash_keypkt(h, t->head);
	else if (ok && t->head != NULL)
		hash_uid(h, t->head, v->version);
	hash_trailer(h, sig->body, v);
	if (ok)
		memcpy(d, gcry_md_read(h, vh->gcry),
		    gcry_md_get_algo_dlen(vh->gcry));
	gcry_md_close(h);
	return ok;
}

/* Signature MPIs (RSA: one; DSA, ECDSA, EdDSA: two). */
static int
sig_mpis(const struct vsig *v, struct pgp_mpi *m, int n)
{
	size_t at = 0, bits, len;
	int i;

	for (i = 0; i < n; i++) {
		if (v->matlen - at < 2)
			return 0;
		bits = pgp_be16(v->mat + at);
		len = (bits + 7) / 8;
		if (len > v->matlen - at - 2)
			return 0;
		m[i].p = v->mat + at + 2;
		m[i].n = len;
		at += 2 + len;
	}
	return 1;
}

static gcry_mpi_t
mpi_of(const uint8_t *p, size_t n)
{
	gcry_mpi_t r = NULL;

	if (gcry_mpi_scan(&r, GCRYMPI_FMT_USG, p, n, NULL) != 0)
		return NULL;
	return r;
}

/* Build the signature and data S-expressions for the key's kind. */
static int
rsa_sexps(const struct vsig *v, const struct vhash *vh, const uint8_t *d,
    gcry_sexp_t *sig, gcry_sexp_t *data)
{
	struct pgp_mpi m[1];
	gcry_mpi_t s;
	int ok;

	if (!sig_mpis(v, m, 1) || (s = mpi_of(m[0].p, m[0].n)) == NULL)
		return 0;
	ok = gcry_sexp_build(sig, NULL, "(sig-val(rsa(s%m)))", s) == 0 &&
	     gcry_sexp_build(data, NULL, "(data(flags pkcs1)(hash %s %b))",
		 vh->name, (int)gcry_md_get_algo_dlen(vh->gcry), d) == 0;
	gcry_mpi_release(s);
	return ok;
}

/* DSA and ECDSA: r and s; the digest cut to the size of q. */
static int
dsa_sexps(const struct pgp_vkey *k, const struct vsig *v,
    const struct vhash *vh, const uint8_t *d, gcry_sexp_t *sig,
    gcry_sexp_t *data)
{
	const char *fmt = k->kind == PGP_VK_DSA ? "(sig-val(dsa(r%m)(s%m)))"
						: "(sig-val(ecdsa(r%m)(s%m)))";
	struct pgp_mpi m[2];
	gcry_mpi_t r, s, h;
	size_t dlen = gcry_md_get_algo_dlen(vh->gcry), q = (k->qbits + 7) / 8;
	int ok = 0;

	if (!sig_mpis(v, m, 2))
		return 0;
	r = mpi_of(m[0].p, m[0].n);
	s = mpi_of(m[1].p, m[1].n);
	h = mpi_of(d, dlen < q || q == 0 ? dlen : q);
	if (r != NULL && s != NULL && h != NULL)
		ok = gcry_sexp_build(sig, NULL, fmt, r, s) == 0 &&
		     gcry_sexp_build(
			 data, NULL, "(data(flags raw)(value %m))", h) == 0;
	gcry_mpi_release(r);
	gcry_mpi_release(s);
	gcry_mpi_release(h);
	return ok;
}

/* Left-pad an MPI to n octets into out; 0 if it does not fit. */
static int
pad(const struct pgp_mpi *m, uint8_t *out, size_t n)
{
	size_t skip = 0;

	while (skip < m->n && m->p[skip] == 0)
		skip++;
	if (m->n - skip > n)
		return 0;
	memset(out, 0, n);
	memcpy(out + n - (m->n - skip), m->p + skip, m->n - skip);
	return 1;
}

/* EdDSA's R || S, n octets each, from legacy MPIs or native octets
 * into rs (2n octets). */
static int
eddsa_rs(const struct pgp_vkey *k, const struct vsig *v, size_t n, uint8_t *rs)
{
	struct pgp_mpi m[2];

	if (k->algo == 27 || k->algo == 28) {
		if (v->matlen != 2 * n)
			return 0;
		memcpy(rs, v->mat, 2 * n);
		return 1;
	}
	return sig_mpis(v, m, 2) && pad(&m[0], rs, n) && pad(&m[1], rs + n, n);
}

/* Ed25519: the signed message is the digest, as in gpg. */
static enum pgp_sigstate
ed25519_verify(const struct pgp_vkey *k, const struct vsig *v,
    const struct vhash *vh, const uint8_t *d)
{
	size_t dlen = gcry_md_get_algo_dlen(vh->gcry);
	uint8_t rs[64];

	if (!eddsa_rs(k, v, 32, rs))
		return PGP_SIG_BAD;
	return pgp_ed25519_check(k->a, d, dlen, rs) ? PGP_SIG_VALID
						    : PGP_SIG_BAD;
}

/* EdDSA: r and s of n octets each (legacy MPIs or native octets). */
static int
eddsa_sexps(const struct pgp_vkey *k, const struct vsig *v,
    const struct vhash *vh, const uint8_t *d, gcry_sexp_t *sig,
    gcry_sexp_t *data)
{
	size_t n = k->kind == PGP_VK_ED25519 ? 32 : 57;
	uint8_t rs[114];
	int dlen = (int)gcry_md_get_algo_dlen(vh->gcry);

	if (!eddsa_rs(k, v, n, rs))
		return 0;
	if (gcry_sexp_build(sig, NULL, "(sig-val(eddsa(r%b)(s%b)))", (int)n, rs,
		(int)n, rs + n) != 0)
		return 0;
	if (k->kind == PGP_VK_ED25519)
		return gcry_sexp_build(data, NULL,
			   "(data(flags eddsa)(hash-algo sha512)(value %b))",
			   dlen, d) == 0;
	return gcry_sexp_build(
		   data, NULL, "(data(flags eddsa)(value %b))", dlen, d) == 0;
}

static int
build_sexps(const struct pgp_vkey *k, const struct vsig *v,
    const struct vhash *vh, const uint8_t *d, gcry_sexp_t *sig,
    gcry_sexp_t *data)
{
	switch (k->kind) {
	case PGP_VK_RSA:
		return rsa_sexps(v, vh, d, sig, data);
	case PGP_VK_DSA:
	case PGP_VK_ECDSA:
		return dsa_sexps(k, v, vh, d, sig, data);
	case PGP_VK_ED25519:
	case PGP_VK_ED448:
		return eddsa_sexps(k, v, vh, d, sig, data);
	default:
		return 0;
	}
}

/* Whether a self-signature of this type belongs where it is. */
static int
type_fits(unsigned type, const struct pgp_pkt *head)
{
	if (head == NULL)
		return type == 0x1f || type == 0x20;
	if (head->tag == PGP_TAG_PUBSUBKEY)
		return type == 0x18 || type == 0x28;
	return (type >= 0x10 && type <= 0x13) || type == 0x30;
}

/*
 * What can be told before any hashing: PGP_SIG_VALID means "go on and
 * verify" (*v and *vh filled); otherwise the final state.
 */
static enum pgp_sigstate
precheck(const struct pgp_vkey *k, const struct target *t,
    const struct pgp_pkt *sig, struct vsig *v, const struct vhash **vh)
{
	if (!vsig_parse(sig->body, sig->len, v))
		return sig->len > 0 && sig->body[0] == 5 ? PGP_SIG_UNCHECKABLE
							 : PGP_SIG_BAD;
	if (!type_fits(v->type, t->head))
		return PGP_SIG_BAD;
	*vh = vhash_find(v->hashalgo);
	if (*vh == NULL || k->kind == PGP_VK_NONE)
		return PGP_SIG_UNCHECKABLE;
	if (v->pkalgo != k->algo)
		return PGP_SIG_BAD;
	if (v->version == 6 && v->saltlen != (*vh)->salt)
		return PGP_SIG_BAD;
	return PGP_SIG_VALID;
}

/* Verify one self-issued signature. */
static enum pgp_sigstate
verify_one(
    const struct pgp_vkey *k, const struct target *t, const struct pgp_pkt *sig)
{
	gcry_sexp_t s = NULL, data = NULL;
	const struct vhash *vh = NULL;
	struct vsig v;
	uint8_t d[64];
	enum pgp_sigstate r;

	if ((r = precheck(k, t, sig, &v, &vh)) != PGP_SIG_VALID)
		return r;
	r = PGP_SIG_BAD;
	if (!digest(t, sig, &v, vh, d) || memcmp(d, v.left16, 2) != 0)
		return PGP_SIG_BAD;
	if (k->kind == PGP_VK_ED25519 && k->have_a && pgp_ed25519_ready())
		return ed25519_verify(k, &v, vh, d);
	if (build_sexps(k, &v, vh, d, &s, &data) &&
	    gcry_pk_verify(s, data, k->sexp) == 0)
		r = PGP_SIG_VALID;
	gcry_sexp_release(s);
	gcry_sexp_release(data);
	return r;
}

/* ---- the check record ---- */

/* A judged signature of the stored copy, for reuse. */
struct prior {
	const struct pgp_pkt *head; /* NULL: direct */
	const struct pgp_pkt *sig;
	enum pgp_sigstate state;
};

static int
prior_cmp(const void *a, const void *b)
{
	const struct prior *x = a, *y = b;

	return pgp_sig_at_cmp(x->head, x->sig, y->head, y->sig);
}

/* Walks the packets of a key in flat order. */
struct walk {
	const struct pgp_key *key;
	size_t idx;
};

typedef void (*sig_fn)(void *arg, size_t idx, const struct pgp_pkt *head,
    const struct pgp_pkt *sig);

static void
walk_blocks(
    const struct pgp_block *v, size_t n, size_t *idx, sig_fn fn, void *arg)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		(*idx)++;
		for (j = 0; j < v[i].nsigs; j++)
			fn(arg, (*idx)++, &v[i].head, &v[i].sigs[j]);
	}
}

static void
walk_sigs(const struct pgp_key *key, sig_fn fn, void *arg)
{
	size_t idx = 1, i;

	for (i = 0; i < key->nsigs; i++)
		fn(arg, idx++, NULL, &key->sigs[i]);
	walk_blocks(key->uids, key->nuids, &idx, fn, arg);
	walk_blocks(key->subkeys, key->nsubkeys, &idx, fn, arg);
}

/* Decoding a record while walking the key it belongs to. */
struct decode {
	const uint8_t *rec;
	size_t n, at; /* entries, next entry */
	struct prior *out;
	size_t nout;
	uint8_t *states;
	size_t npkts;
};

static enum pgp_sigstate
rec_state(struct decode *dc, size_t idx)
{
	uint32_t e;

	while (dc->at < dc->n) {
		e = pgp_be32(dc->rec + 1 + 4 * dc->at);
		if ((e >> 2) > idx)
			break;
		dc->at++;
		if ((e >> 2) == idx)
			return (enum pgp_sigstate)(e & 3);
	}
	return PGP_SIG_OTHER;
}

static void
collect_prior(void *arg, size_t idx, const struct pgp_pkt *head,
    const struct pgp_pkt *sig)
{
	struct decode *dc = arg;
	enum pgp_sigstate s = rec_state(dc, idx);

	if (s == PGP_SIG_OTHER)
		return;
	dc->out[dc->nout].head = head;
	dc->out[dc->nout].sig = sig;
	dc->out[dc->nout].state = s;
	dc->nout++;
}

static int
rec_ok(const uint8_t *rec, size_t len)
{
	return rec != NULL && len >= 1 &&
	       (rec[0] == PGP_CHECKS_FORMAT ||
		   rec[0] == PGP_CHECKS_FORMAT_MATCHED) &&
	       (len - 1) % 4 == 0;
}

/* The judged signatures of prev, sorted for lookup. */
static struct prior *
load_prior(
    const struct pgp_key *prev, const uint8_t *rec, size_t len, size_t *n)
{
	struct decode dc;

	*n = 0;
	if (prev == NULL || !rec_ok(rec, len) || len == 1)
		return NULL;
	memset(&dc, 0, sizeof(dc));
	dc.rec = rec;
	dc.n = (len - 1) / 4;
	dc.out = xreallocarray(NULL, dc.n, sizeof(*dc.out));
	walk_sigs(prev, collect_prior, &dc);
	qsort(dc.out, dc.nout, sizeof(*dc.out), prior_cmp);
	*n = dc.nout;
	return dc.out;
}

/* One verification run over a key. */
struct vrun {
	struct pgp_fpr fpr;
	struct pgp_vkey vk;
	int loaded;
	struct target t;
	const struct prior *prior;
	size_t nprior;
	struct buf *out;
	enum pks_rc rc;
	size_t nchecked;
};

static int
self_issued(const struct pgp_pkt *sig, const struct pgp_fpr *fpr)
{
	struct pgp_sig s;

	if (pgp_sig_parse(sig->body, sig->len, &s) != PKS_OK)
		return 0;
	if (s.issuer_fpr_len != 0 && s.issuer_fpr_len == fpr->len &&
	    memcmp(s.issuer_fpr, fpr->fpr, fpr->len) == 0)
		return 1;
	return s.has_issuer && memcmp(s.issuer, fpr->keyid, 8) == 0;
}

static void
judge(void *arg, size_t idx, const struct pgp_pkt *head,
    const struct pgp_pkt *sig)
{
	struct vrun *vr = arg;
	struct prior key, *hit = NULL;
	enum pgp_sigstate s;

	if (vr->rc != PKS_OK || !self_issued(sig, &vr->fpr))
		return;
	key.head = head;
	key.sig = sig;
	if (vr->nprior > 0)
		hit = bsearch(
		    &key, vr->prior, vr->nprior, sizeof(key), prior_cmp);
	if (hit != NULL) {
		s = hit->state;
	} else {
		if (!vr->loaded) {
			pgp_vkey_load(
			    vr->t.primary->body, vr->t.primary->len, &vr->vk);
			vr->loaded = 1;
		}
		vr->t.head = head;
		s = verify_one(&vr->vk, &vr->t, sig);
		vr->nchecked++;
	}
	vr->rc = buf_add_be32(vr->out, (uint32_t)(idx << 2) | s);
}

enum pks_rc
pgp_key_verify(const struct pgp_key *key, const struct pgp_key *prev,
    const uint8_t *prevrec, size_t prevlen, struct buf *out, size_t *nchecked)
{
	struct vrun vr;
	size_t base = out->len;
	struct prior *prior;

	memset(&vr, 0, sizeof(vr));
	if (nchecked != NULL)
		*nchecked = 0;
	pgp_init();
	if (buf_addc(out, PGP_CHECKS_FORMAT) != PKS_OK)
		return PKS_ERR_TOOBIG;
	/* A key without a fingerprint has no self-signatures. */
	if (pgp_fpr_compute(key->key.body, key->key.len, &vr.fpr, NULL) !=
	    PKS_OK)
		return PKS_OK;
	prior = load_prior(prev, prevrec, prevlen, &vr.nprior);
	vr.prior = prior;
	vr.t.primary = &key->key;
	vr.out = out;
	walk_sigs(key, judge, &vr);
	if (vr.loaded)
		pgp_vkey_free(&vr.vk);
	free(prior);
	if (nchecked != NULL)
		*nchecked = vr.nchecked;
	if (vr.rc != PKS_OK) {
		out->len = base;
		if (out->data != NULL)
			out->data[base] = '\0';
	}
	return vr.rc;
}

static void
fill_state(void *arg, size_t idx, const struct pgp_pkt *head,
    const struct pgp_pkt *sig)
{
	struct decode *dc = arg;

	(void)head;
	(void)sig;
	if (idx < dc->npkts)
		dc->states[idx] = (uint8_t)rec_state(dc, idx);
}

uint8_t *
pgp_key_sigstates(const struct pgp_key *key, const uint8_t *rec, size_t reclen)
{
	struct decode dc;
	struct buf tmp;

	memset(&dc, 0, sizeof(dc));
	dc.npkts = pgp_key_npackets(key);
	dc.states = xcalloc(dc.npkts, 1);
	buf_init(&tmp, (size_t)-1);
	if (rec == NULL &&
	    pgp_key_verify(key, NULL, NULL, 0, &tmp, NULL) == PKS_OK) {
		rec = tmp.data;
		reclen = tmp.len;
	}
	if (rec_ok(rec, reclen)) {
		dc.rec = rec;
		dc.n = (reclen - 1) / 4;
		walk_sigs(key, fill_state, &dc);
	}
	buf_free(&tmp);
	return dc.states;
}

/* Drop from v[0..*n) the signatures not issued by the primary key. */
static size_t
keep_self_sigs(struct pgp_pkt *v, size_t *n, const struct pgp_fpr *fpr)
{
	size_t i, k = 0, dropped = 0;

	for (i = 0; i < *n; i++) {
		if (self_issued(&v[i], fpr)) {
			v[k++] = v[i];
		} else {
			free(v[i].body);
			dropped++;
		}
	}
	*n = k;
	return dropped;
}

size_t
pgp_key_keep_self(struct pgp_key *key)
{
	struct pgp_fpr fpr;
	size_t i, dropped;

	if (pgp_fpr_compute(key->key.body, key->key.len, &fpr, NULL) != PKS_OK)
		return 0;
	dropped = keep_self_sigs(key->sigs, &key->nsigs, &fpr);
	for (i = 0; i < key->nuids; i++)
		dropped += keep_self_sigs(
		    key->uids[i].sigs, &key->uids[i].nsigs, &fpr);
	for (i = 0; i < key->nsubkeys; i++)
		dropped += keep_self_sigs(
		    key->subkeys[i].sigs, &key->subkeys[i].nsigs, &fpr);
	return dropped;
}

int
pgp_sig_verify_by(const struct pgp_pkt *signer, const struct pgp_pkt *primary,
    const struct pgp_pkt *head, const struct pgp_pkt *sig)
{
	struct pgp_vkey vk;
	struct target t;
	enum pgp_sigstate s;

	pgp_init();
	t.primary = primary;
	t.head = head;
	pgp_vkey_load(signer->body, signer->len, &vk);
	s = verify_one(&vk, &t, sig);
	pgp_vkey_free(&vk);
	return s;
}
