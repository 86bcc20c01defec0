/*
 * pgp_ed25519.h: Ed25519 verification through libsodium, with Nettle's
 * answer where libsodium refuses; both libraries opened on first use.
 */
#ifndef PKS_PGP_ED25519_H
#define PKS_PGP_ED25519_H

#include <stddef.h>
#include <stdint.h>

/*
 * Load libsodium and Nettle's libhogweed (once per process; only the
 * first call pays).  1 when both are usable, 0 when either cannot be
 * opened: the caller then verifies Ed25519 through libgcrypt.
 */
int pgp_ed25519_ready(void);

/*
 * RFC 8032's cofactorless check of the 64-octet signature rs (R || S)
 * over the dlen octets at d by the 32-octet public key a: 1 valid, 0
 * not.  Only after pgp_ed25519_ready() returned 1.
 */
int pgp_ed25519_check(
    const uint8_t *a, const uint8_t *d, size_t dlen, const uint8_t *rs);

#endif
