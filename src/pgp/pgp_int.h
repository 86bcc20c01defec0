/*
 * pgp_int.h: internals shared by the files of src/pgp (not for other
 * modules).  Hash wrappers over libgcrypt, big-endian readers, the
 * packet order SKS uses, and the signature facts the index needs.
 */
#ifndef PKS_PGP_INT_H
#define PKS_PGP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pgp/pgp_key.h"
#include "util/rc.h"

/* Hashes (libgcrypt; each calls pgp_init() first). */
void pgp_md5(const void *p, size_t n, uint8_t out[16]);

/* A streaming MD5/SHA context over libgcrypt. */
struct pgp_md;
struct pgp_md *pgp_md_open(int algo);
void pgp_md_write(struct pgp_md *md, const void *p, size_t n);
/* Copy the digest to out (dlen bytes) and release the context. */
void pgp_md_close(struct pgp_md *md, uint8_t *out, size_t dlen);

/* Big-endian readers; the caller has checked the bounds. */
static inline uint32_t
pgp_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline uint32_t
pgp_be16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

/*
 * OCaml's compare on SKS packet records: tag, then length, then the body
 * bytes.  The order of sets of signatures and of uid/subkey blocks.
 */
int pgp_pkt_cmp_sks(const struct pgp_pkt *a, const struct pgp_pkt *b);

/*
 * A signature (sa, sb) under its user ID or subkey packet (ha, hb; NULL
 * for a direct signature, first): by head, then by signature, in the
 * order of pgp_pkt_cmp_sks.  For sorting and finding judged signatures.
 */
int pgp_sig_at_cmp(const struct pgp_pkt *ha, const struct pgp_pkt *sa,
    const struct pgp_pkt *hb, const struct pgp_pkt *sb);

/* Byte-equality of two packets. */
int pgp_pkt_equal(const struct pgp_pkt *a, const struct pgp_pkt *b);

/* Free every packet and list of key, not key itself; zeroes it. */
void pgp_key_free_parts(struct pgp_key *key);

/*
 * MD5 over packets sorted in place by (tag, body), each framed with a
 * 4-octet tag and a 4-octet length: the SKS key hash of any packet set.
 */
void pgp_hash_pkts(const struct pgp_pkt **v, size_t n, uint8_t md5[16]);

/* Signature facts read by pgp_sig_parse (no verification). */
struct pgp_sig {
	int version;
	unsigned type;
	unsigned pkalgo;
	int64_t ctime;       /* 0 when absent */
	uint32_t sig_expiry; /* seconds after ctime, 0 = never */
	uint32_t key_expiry; /* seconds after key creation, 0 = never */
	int has_key_expiry;
	int primary_uid; /* primary user ID flag set */
	int has_issuer;
	uint8_t issuer[8];
	size_t issuer_fpr_len; /* 0 when absent */
	uint8_t issuer_fpr[32];
};

/*
 * Read a signature packet body (v2..v6).  Creation, expiry and primary
 * flag come from the hashed area only; issuer key ID and fingerprint
 * from either area.  PKS_ERR_PARSE on a malformed body.
 */
enum pks_rc pgp_sig_parse(const uint8_t *body, size_t len, struct pgp_sig *out);

/* Whether gpg can parse a signature packet: v3/v4, subpacket areas and
 * algorithm MPIs well framed (*s gets its facts). */
int pgp_sig_wellformed(const struct pgp_pkt *sig, struct pgp_sig *s);

/* Signature type of a signature body without a full parse; -1 if none. */
int pgp_sig_type(const uint8_t *body, size_t len);

/* Key material (pgp_material.c): pointers into the key packet body. */
struct pgp_mpi {
	const uint8_t *p; /* value octets, big-endian */
	size_t n;
};

struct pgp_material {
	int version;
	unsigned algo;
	struct pgp_mpi mpi[4]; /* RSA n e; DSA p q g y; ECC: the point */
	unsigned nmpi;
	const uint8_t *oid; /* curve OID content octets (ECC) */
	size_t oidlen;
	const uint8_t *raw; /* native keys (algorithms 25..28) */
	size_t rawlen;
};

/* Read the material of a key packet body; 0 when it parses, else a
 * reason code (pgp_key_check_material turns it into text). */
int pgp_material_parse(const uint8_t *b, size_t len, struct pgp_material *m);

/* A public key ready to verify signatures (libgcrypt S-expression). */
enum pgp_vkind {
	PGP_VK_NONE, /* cannot verify: unknown algorithm or curve */
	PGP_VK_RSA,
	PGP_VK_DSA,
	PGP_VK_ECDSA,
	PGP_VK_ED25519,
	PGP_VK_ED448
};

struct pgp_vkey {
	enum pgp_vkind kind;
	unsigned algo;
	unsigned qbits; /* DSA: bits of q; ECDSA: curve size */
	void *sexp;     /* gcry_sexp_t, NULL when kind is NONE */
	/* Ed25519: the public key A as 32 octets (RFC 8032), for the fast
	 * path of pgp_verify.c; 0 when the point is in another form. */
	int have_a;
	uint8_t a[32];
};

/* Load (kind NONE when the key cannot verify) and release. */
void pgp_vkey_load(const uint8_t *b, size_t len, struct pgp_vkey *vk);
void pgp_vkey_free(struct pgp_vkey *vk);

/* Verify 'sig' over 'primary' and 'head' (NULL: direct) with the key
 * packet 'signer' (any key, not only the primary: pgp_verify.c); an
 * enum pgp_sigstate. */
int pgp_sig_verify_by(const struct pgp_pkt *signer,
    const struct pgp_pkt *primary, const struct pgp_pkt *head,
    const struct pgp_pkt *sig);

#endif
