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

/* Signature type of a signature body without a full parse; -1 if none. */
int pgp_sig_type(const uint8_t *body, size_t len);

#endif
