/*
 * ptree_zzp.h: the prime field GF(p) of SKS set reconciliation.
 *
 * p = 530512889551602322505127520352579437339 (129 bits).  A value is
 * three 64-bit limbs, least significant first, always fully reduced
 * (0 <= v < p), so values compare with memcmp-free zzp_eq() and can be
 * copied by assignment.  Multiplication uses Montgomery reduction with
 * R = 2^192 on fixed-width limbs (no GMP, no allocation): about 20 ns a
 * product here, against roughly 100 ns for GMP's mpz with a division.
 * All functions are pure and total; none can fail except the decoders.
 *
 * Wire form (SKS recon): exactly 17 bytes, little-endian, reduced.
 * A key's MD5 maps to the value of its 16 bytes read little-endian.
 */
#ifndef PKS_PTREE_ZZP_H
#define PKS_PTREE_ZZP_H

#include <stddef.h>
#include <stdint.h>

#include "util/rc.h"

#define ZZP_WIRE_LEN 17
#define ZZP_MD5_LEN 16

struct zzp {
	uint64_t v[3];
};

/* The modulus p as limbs (not a field value). */
extern const uint64_t zzp_modulus[3];

/* r = 0, r = 1, r = n mod p for a signed small n. */
void zzp_set_zero(struct zzp *r);
void zzp_set_one(struct zzp *r);
void zzp_set_i64(struct zzp *r, int64_t n);

int zzp_is_zero(const struct zzp *a);
int zzp_eq(const struct zzp *a, const struct zzp *b);
/* Numeric order of the canonical values: -1, 0, 1 (qsort-compatible via
 * zzp_qsort_cmp). */
int zzp_cmp(const struct zzp *a, const struct zzp *b);
int zzp_qsort_cmp(const void *a, const void *b);

/* r = a + b, a - b, -a, a * b (all mod p).  r may alias a or b. */
void zzp_add(struct zzp *r, const struct zzp *a, const struct zzp *b);
void zzp_sub(struct zzp *r, const struct zzp *a, const struct zzp *b);
void zzp_neg(struct zzp *r, const struct zzp *a);
void zzp_mul(struct zzp *r, const struct zzp *a, const struct zzp *b);

/* r = a^e for a 192-bit exponent e (limbs, least significant first). */
void zzp_pow(struct zzp *r, const struct zzp *a, const uint64_t e[3]);

/* r = 1/a.  The inverse of zero is defined as zero; callers that may
 * see zero test zzp_is_zero() first. */
void zzp_inv(struct zzp *r, const struct zzp *a);

/* r = a / b, i.e. a * inv(b); zero when b is zero. */
void zzp_div(struct zzp *r, const struct zzp *a, const struct zzp *b);

/*
 * Montgomery helpers for hot loops that multiply many values by the same
 * factor (sample-value updates): zzp_to_mont(m, b) prepares b once, then
 * zzp_mul_mont(r, a, m) = a * b with one reduction instead of two.
 */
void zzp_to_mont(struct zzp *m, const struct zzp *b);
void zzp_mul_mont(struct zzp *r, const struct zzp *a, const struct zzp *m);

/* The 17-byte little-endian wire form.  Decoding fails with
 * PKS_ERR_PARSE for values >= p (SKS and Hockeypuck never send those). */
void zzp_to_wire(const struct zzp *a, uint8_t out[ZZP_WIRE_LEN]);
enum pks_rc zzp_from_wire(struct zzp *r, const uint8_t in[ZZP_WIRE_LEN]);

/* Key hash to element: the 16 MD5 bytes read little-endian (< 2^128 < p,
 * so no reduction).  zzp_to_md5 is the inverse and fails with
 * PKS_ERR_PARSE when a >= 2^128 (no MD5 has that value). */
void zzp_from_md5(struct zzp *r, const uint8_t md5[ZZP_MD5_LEN]);
enum pks_rc zzp_to_md5(const struct zzp *a, uint8_t md5[ZZP_MD5_LEN]);

/* Byte i (0..16) of the wire form; the prefix tree walks these bits. */
uint8_t zzp_wire_byte(const struct zzp *a, unsigned i);

#endif
