/*
 * pgp_material.c: public key material of key packets, read the way gpg
 * reads it, and turned into libgcrypt public keys for verification.
 *
 * A key packet is: version, creation time, (v2/v3: validity days),
 * algorithm, (v5/v6: 4-octet material length), then the material:
 * MPIs (RSA n e; DSA p q g y; Elgamal p g y), a curve OID and an MPI
 * point (ECDSA, EdDSA; ECDH adds its KDF parameters), or a native key
 * of fixed size (X25519 32, X448 56, Ed25519 32, Ed448 57 octets).  An
 * MPI or OID that runs past the packet is refused, as gpg refuses it;
 * unknown algorithms are kept as opaque bytes.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <gcrypt.h>

#include "pgp/pgp_fpr.h"
#include "pgp/pgp_int.h"
#include "pgp/pgp_verify.h"

/* Curves a signature can be verified on, by OID: libgcrypt's name. */
static const struct vcurve {
	const char *oid;
	size_t len;
	const char *name;
	unsigned bits;
	int eddsa; /* 0 ECDSA, 1 Ed25519, 2 Ed448 */
} vcurves[] = {
	{ "\x2a\x86\x48\xce\x3d\x03\x01\x07", 8, "NIST P-256", 256, 0 },
	{ "\x2b\x81\x04\x00\x22", 5, "NIST P-384", 384, 0 },
	{ "\x2b\x81\x04\x00\x23", 5, "NIST P-521", 521, 0 },
	{ "\x2b\x24\x03\x03\x02\x08\x01\x01\x07", 9, "brainpoolP256r1", 256,
	    0 },
	{ "\x2b\x24\x03\x03\x02\x08\x01\x01\x0b", 9, "brainpoolP384r1", 384,
	    0 },
	{ "\x2b\x24\x03\x03\x02\x08\x01\x01\x0d", 9, "brainpoolP512r1", 512,
	    0 },
	{ "\x2b\x81\x04\x00\x0a", 5, "secp256k1", 256, 0 },
	{ "\x2b\x06\x01\x04\x01\xda\x47\x0f\x01", 9, "Ed25519", 255, 1 },
	{ "\x2b\x65\x70", 3, "Ed25519", 255, 1 },
	{ "\x2b\x65\x71", 3, "Ed448", 448, 2 },
};

/* Why key material does not parse; 0 = it parses. */
enum {
	M_OK,
	M_MPILEN,
	M_MPI,
	M_OIDMISS,
	M_OIDRES,
	M_OID,
	M_KDF,
	M_NATIVE,
	M_EMPTY,
	M_VERSION,
	M_SHORT,
	M_MLEN,
	M_COUNT
};

/* The reasons, naming the packet: for the primary key, for a subkey. */
static const char *const why_primary[M_COUNT] = {
	[M_MPILEN] = "primary key: MPI length past the end of the packet",
	[M_MPI] = "primary key: MPI runs past the end of the packet",
	[M_OIDMISS] = "primary key: curve OID missing",
	[M_OIDRES] = "primary key: reserved curve OID length",
	[M_OID] = "primary key: curve OID runs past the end of the packet",
	[M_KDF] = "primary key: ECDH KDF parameters run past the end",
	[M_NATIVE] = "primary key: native key shorter than its key size",
	[M_EMPTY] = "primary key: empty key packet",
	[M_VERSION] = "primary key: unsupported key packet version",
	[M_SHORT] = "primary key: key packet too short",
	[M_MLEN] = "primary key: material length does not match the packet",
};
static const char *const why_subkey[M_COUNT] = {
	[M_MPILEN] = "subkey: MPI length past the end of the packet",
	[M_MPI] = "subkey: MPI runs past the end of the packet",
	[M_OIDMISS] = "subkey: curve OID missing",
	[M_OIDRES] = "subkey: reserved curve OID length",
	[M_OID] = "subkey: curve OID runs past the end of the packet",
	[M_KDF] = "subkey: ECDH KDF parameters run past the end",
	[M_NATIVE] = "subkey: native key shorter than its key size",
	[M_EMPTY] = "subkey: empty key packet",
	[M_VERSION] = "subkey: unsupported key packet version",
	[M_SHORT] = "subkey: key packet too short",
	[M_MLEN] = "subkey: material length does not match the packet",
};

/* Read an MPI: its value octets (leading zero octets kept as sent). */
static int
read_mpi(const uint8_t *b, size_t len, size_t *at, struct pgp_mpi *out)
{
	size_t bits, n;

	if (len - *at < 2)
		return M_MPILEN;
	bits = pgp_be16(b + *at);
	n = (bits + 7) / 8;
	if (n > len - *at - 2)
		return M_MPI;
	out->p = b + *at + 2;
	out->n = n;
	*at += 2 + n;
	return M_OK;
}

static int
read_oid(const uint8_t *b, size_t len, size_t *at, struct pgp_material *m)
{
	size_t n;

	if (len - *at < 1)
		return M_OIDMISS;
	n = b[*at];
	if (n == 0 || n == 0xff)
		return M_OIDRES;
	if (n > len - *at - 1)
		return M_OID;
	m->oid = b + *at + 1;
	m->oidlen = n;
	*at += 1 + n;
	return M_OK;
}

static int
read_mpis(
    const uint8_t *b, size_t len, size_t *at, struct pgp_material *m, int n)
{
	int why = M_OK, i;

	for (i = 0; i < n && why == M_OK; i++)
		why = read_mpi(b, len, at, &m->mpi[i]);
	m->nmpi = (unsigned)i;
	return why;
}

/* ECDH: OID, point, then the KDF parameters (length, 1, hash, cipher). */
static int
read_ecdh(const uint8_t *b, size_t len, size_t *at, struct pgp_material *m)
{
	int why;

	if ((why = read_oid(b, len, at, m)) != M_OK ||
	    (why = read_mpis(b, len, at, m, 1)) != M_OK)
		return why;
	if (len - *at < 1 || b[*at] < 3 || b[*at] == 0xff ||
	    b[*at] > len - *at - 1)
		return M_KDF;
	*at += 1 + b[*at];
	return M_OK;
}

static int
read_native(
    const uint8_t *b, size_t len, size_t at, struct pgp_material *m, size_t n)
{
	if (len - at < n)
		return M_NATIVE;
	m->raw = b + at;
	m->rawlen = n;
	return M_OK;
}

/* The material after the fixed header at 'at'. */
static int
read_material(const uint8_t *b, size_t len, size_t at, struct pgp_material *m)
{
	int why;

	switch (m->algo) {
	case 1:
	case 2:
	case 3:
		return read_mpis(b, len, &at, m, 2);
	case 16:
	case 20:
		return read_mpis(b, len, &at, m, 3);
	case 17:
		return read_mpis(b, len, &at, m, 4);
	case 18:
		return read_ecdh(b, len, &at, m);
	case 19:
	case 22:
		if ((why = read_oid(b, len, &at, m)) != M_OK)
			return why;
		return read_mpis(b, len, &at, m, 1);
	case 25:
	case 27:
		return read_native(b, len, at, m, 32);
	case 26:
		return read_native(b, len, at, m, 56);
	case 28:
		return read_native(b, len, at, m, 57);
	default:
		return M_OK; /* unknown: opaque, never refused */
	}
}

int
pgp_material_parse(const uint8_t *b, size_t len, struct pgp_material *m)
{
	size_t at;

	memset(m, 0, sizeof(*m));
	if (len < 1)
		return M_EMPTY;
	m->version = b[0];
	if (m->version < 2 || m->version > 6)
		return M_VERSION;
	at = m->version < 4 ? 8 : m->version == 4 ? 6 : 10;
	if (len < at)
		return M_SHORT;
	m->algo = b[at - 1 - (m->version >= 5 ? 4 : 0)];
	if (m->version >= 5 && pgp_be32(b + 6) != len - at)
		return M_MLEN;
	return read_material(b, len, at, m);
}

enum pks_rc
pgp_key_check_material(const struct pgp_key *key, struct pks_err *err)
{
	struct pgp_material m;
	size_t i;
	int w;

	w = pgp_material_parse(key->key.body, key->key.len, &m);
	if (w != M_OK)
		return pks_fail(err, 0, why_primary[w], PKS_ERR_PARSE);
	for (i = 0; i < key->nsubkeys; i++) {
		w = pgp_material_parse(
		    key->subkeys[i].head.body, key->subkeys[i].head.len, &m);
		if (w != M_OK)
			return pks_fail(
			    err, i + 1, why_subkey[w], PKS_ERR_PARSE);
	}
	return PKS_OK;
}

static const struct vcurve *
vcurve_find(const struct pgp_material *m)
{
	size_t i;

	for (i = 0; i < sizeof(vcurves) / sizeof(vcurves[0]); i++)
		if (vcurves[i].len == m->oidlen &&
		    memcmp(vcurves[i].oid, m->oid, m->oidlen) == 0)
			return &vcurves[i];
	return NULL;
}

static gcry_mpi_t
to_mpi(const struct pgp_mpi *v)
{
	gcry_mpi_t r = NULL;

	if (gcry_mpi_scan(&r, GCRYMPI_FMT_USG, v->p, v->n, NULL) != 0)
		return NULL;
	return r;
}

static gcry_sexp_t
rsa_key(const struct pgp_material *m)
{
	gcry_sexp_t k = NULL;
	gcry_mpi_t n = to_mpi(&m->mpi[0]), e = to_mpi(&m->mpi[1]);

	if (n != NULL && e != NULL &&
	    gcry_sexp_build(&k, NULL, "(public-key(rsa(n%m)(e%m)))", n, e) != 0)
		k = NULL;
	gcry_mpi_release(n);
	gcry_mpi_release(e);
	return k;
}

static gcry_sexp_t
dsa_key(const struct pgp_material *m, struct pgp_vkey *vk)
{
	gcry_sexp_t k = NULL;
	gcry_mpi_t v[4];
	int i, ok = 1;

	for (i = 0; i < 4; i++)
		ok &= (v[i] = to_mpi(&m->mpi[i])) != NULL;
	if (ok &&
	    gcry_sexp_build(&k, NULL, "(public-key(dsa(p%m)(q%m)(g%m)(y%m)))",
		v[0], v[1], v[2], v[3]) != 0)
		k = NULL;
	if (ok)
		vk->qbits = gcry_mpi_get_nbits(v[1]);
	for (i = 0; i < 4; i++)
		gcry_mpi_release(v[i]);
	return k;
}

/* An EC point or native key: libgcrypt takes the octets as sent. */
static gcry_sexp_t
ecc_key(const char *curve, const uint8_t *q, size_t n, int eddsa)
{
	gcry_sexp_t k = NULL;
	const char *fmt = eddsa == 1 ? "(public-key(ecc(curve %s)(flags eddsa)"
				       "(q%b)))"
				     : "(public-key(ecc(curve %s)(q%b)))";

	if (gcry_sexp_build(&k, NULL, fmt, curve, (int)n, q) != 0)
		return NULL;
	return k;
}

/* Ed25519's A: 32 native octets, after a 0x40 prefix in an MPI. */
static void
ed25519_a(const uint8_t *q, size_t n, struct pgp_vkey *vk)
{
	if (n == 33 && q[0] == 0x40) {
		q++;
		n--;
	}
	if (n != 32)
		return;
	memcpy(vk->a, q, 32);
	vk->have_a = 1;
}

static void
curve_key(const struct pgp_material *m, struct pgp_vkey *vk)
{
	const struct vcurve *c = vcurve_find(m);

	if (c == NULL || m->nmpi != 1)
		return;
	if ((m->algo == 19) != (c->eddsa == 0))
		return;
	vk->kind = c->eddsa == 0   ? PGP_VK_ECDSA
		   : c->eddsa == 1 ? PGP_VK_ED25519
				   : PGP_VK_ED448;
	vk->qbits = c->bits;
	vk->sexp = ecc_key(c->name, m->mpi[0].p, m->mpi[0].n, c->eddsa);
	if (c->eddsa == 1)
		ed25519_a(m->mpi[0].p, m->mpi[0].n, vk);
}

void
pgp_vkey_load(const uint8_t *b, size_t len, struct pgp_vkey *vk)
{
	struct pgp_material m;

	memset(vk, 0, sizeof(*vk));
	pgp_init();
	if (pgp_material_parse(b, len, &m) != M_OK)
		return;
	vk->algo = m.algo;
	switch (m.algo) {
	case 1:
	case 3:
		vk->kind = PGP_VK_RSA;
		vk->sexp = rsa_key(&m);
		break;
	case 17:
		vk->kind = PGP_VK_DSA;
		vk->sexp = dsa_key(&m, vk);
		break;
	case 19:
	case 22:
		curve_key(&m, vk);
		break;
	case 27:
		vk->kind = PGP_VK_ED25519;
		vk->sexp = ecc_key("Ed25519", m.raw, m.rawlen, 1);
		ed25519_a(m.raw, m.rawlen, vk);
		break;
	case 28:
		vk->kind = PGP_VK_ED448;
		vk->sexp = ecc_key("Ed448", m.raw, m.rawlen, 2);
		break;
	default:
		break;
	}
	if (vk->sexp == NULL)
		vk->kind = PGP_VK_NONE;
}

void
pgp_vkey_free(struct pgp_vkey *vk)
{
	gcry_sexp_release(vk->sexp);
	vk->sexp = NULL;
}
