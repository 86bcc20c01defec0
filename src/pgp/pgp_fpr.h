/*
 * pgp_fpr.h: fingerprints and key IDs of key packets.
 *
 * v4: SHA-1 over 0x99, 2-octet length, body; key ID = last 8 octets.
 * v5: SHA-256 over 0x9A, 4-octet length, body; key ID = first 8 octets.
 * v6: SHA-256 over 0x9B, 4-octet length, body; key ID = first 8 octets.
 * v2/v3: key ID = low 64 bits of the RSA modulus; fingerprint =
 * MD5(n-body || e-body).  Hashes come from libgcrypt.  Pure: no I/O.
 */
#ifndef PKS_PGP_FPR_H
#define PKS_PGP_FPR_H

#include <stddef.h>
#include <stdint.h>

#include "util/rc.h"

#define PGP_FPR_MAX 32

struct pgp_fpr {
	int version; /* key packet version: 2..6 */
	size_t len;  /* 16 (v3), 20 (v4), 32 (v5, v6) */
	uint8_t fpr[PGP_FPR_MAX];
	uint8_t keyid[8];
};

/*
 * Compute fingerprint and key ID of a key or subkey packet body.
 * PKS_ERR_PARSE for a body too short for its version (or a v4 body over
 * 65535 octets), PKS_ERR_UNSUPPORTED for versions other than 2..6.
 */
enum pks_rc pgp_fpr_compute(
    const uint8_t *body, size_t len, struct pgp_fpr *out, struct pks_err *err);

/*
 * Initialise libgcrypt once per process (thread-safe, idempotent; a
 * no-op when the program already finished libgcrypt's initialisation).
 * Every function of src/pgp that hashes calls it itself; a program may
 * call it at start-up so the first key is not the one that pays.
 */
void pgp_init(void);

/* Upper-case hex of n bytes into out (2n+1 bytes). */
void pgp_hex(const uint8_t *p, size_t n, char *out);

/* 64-bit key ID as an integer (big-endian bytes). */
uint64_t pgp_keyid64(const uint8_t keyid[8]);

#endif
