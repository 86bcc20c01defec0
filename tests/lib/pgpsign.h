/*
 * pgpsign.h: a small OpenPGP signer for tests (libgcrypt, Ed25519).
 *
 * Makes a v4 EdDSA (legacy Ed25519) primary key and signs v4 key
 * signatures over it, so that unit tests can build keys whose
 * self-signatures really verify, next to forged ones.
 */
#ifndef PKS_TESTS_PGPSIGN_H
#define PKS_TESTS_PGPSIGN_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

struct tsigner {
	void *sk;          /* gcry_sexp_t key pair */
	uint8_t pkt[64];   /* the key packet body */
	size_t pktlen;
	uint8_t keyid[8];
};

/* Options of one signature. */
struct tsig {
	unsigned type;
	uint32_t ctime;
	uint32_t key_expiry; /* 0: none */
	uint32_t sig_expiry; /* 0: none */
	int primary;         /* primary user ID flag */
	int forge;           /* flip a bit of the signature */
	const uint8_t *issuer; /* 8 octets; NULL: the signer's */
};

/* A new signer with key creation time ctime (a new key pair each). */
void tsigner_init(struct tsigner *s, uint32_t ctime);
void tsigner_free(struct tsigner *s);

/* Append a signature packet over the key and 'target' (a user ID or
 * subkey packet body with its tag; NULL for a direct signature). */
void tsigner_sign(const struct tsigner *s, const struct tsig *o,
    unsigned target_tag, const uint8_t *target, size_t tlen,
    struct buf *out);

#endif
