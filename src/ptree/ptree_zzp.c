/*
 * ptree_zzp.c: GF(p) arithmetic on three 64-bit limbs.
 *
 * Montgomery multiplication (CIOS, R = 2^192) with 128-bit intermediate
 * products.  Values outside this file are always in standard form; the
 * Montgomery form only appears inside zzp_mul/zzp_pow and in the
 * prepared factors of zzp_to_mont/zzp_mul_mont.  The constants below
 * were derived from p and are checked against GMP by the unit tests.
 */
#include <config.h>

#include <string.h>

#include "ptree/ptree_zzp.h"

__extension__ typedef unsigned __int128 u128;

const uint64_t zzp_modulus[3] = { 0xc91f85d930a5431bULL, 0x8f1d10e4878b1fdfULL,
	0x1ULL };
/* -p^-1 mod 2^64 */
static const uint64_t NINV = 0x6320d927c830a0edULL;
/* R^2 mod p and R mod p (Montgomery one), R = 2^192 */
static const uint64_t R2[3] = { 0x5e931f9f7f2a1e51ULL, 0x8d2900fcfdf6ca30ULL,
	0x0ULL };
static const uint64_t R1[3] = { 0xa5804f1870d6b547ULL, 0x862c9a994c8dd0dbULL,
	0x0ULL };
/* p - 2: the exponent of Fermat inversion */
static const uint64_t PM2[3] = { 0xc91f85d930a54319ULL, 0x8f1d10e4878b1fdfULL,
	0x1ULL };

/* r = t - p over four limbs if t >= p, else t (t < 2p). */
static void
reduce_once(uint64_t r[3], const uint64_t t[4])
{
	uint64_t d[4], borrow = 0;
	int i;

	for (i = 0; i < 4; i++) {
		uint64_t pi = i < 3 ? zzp_modulus[i] : 0;
		u128 x = (u128)t[i] - pi - borrow;

		d[i] = (uint64_t)x;
		borrow = (uint64_t)(x >> 64) & 1;
	}
	if (borrow)
		memcpy(r, t, 3 * sizeof(uint64_t));
	else
		memcpy(r, d, 3 * sizeof(uint64_t));
}

/* r = a * b * R^-1 mod p for a, b < p. */
static void
mont_mul(uint64_t r[3], const uint64_t a[3], const uint64_t b[3])
{
	uint64_t t[5] = { 0, 0, 0, 0, 0 };
	uint64_t c, m;
	u128 acc;
	int i, j;

	for (i = 0; i < 3; i++) {
		c = 0;
		for (j = 0; j < 3; j++) {
			acc = (u128)a[j] * b[i] + t[j] + c;
			t[j] = (uint64_t)acc;
			c = (uint64_t)(acc >> 64);
		}
		acc = (u128)t[3] + c;
		t[3] = (uint64_t)acc;
		t[4] = (uint64_t)(acc >> 64);

		m = t[0] * NINV;
		acc = (u128)m * zzp_modulus[0] + t[0];
		c = (uint64_t)(acc >> 64);
		for (j = 1; j < 3; j++) {
			acc = (u128)m * zzp_modulus[j] + t[j] + c;
			t[j - 1] = (uint64_t)acc;
			c = (uint64_t)(acc >> 64);
		}
		acc = (u128)t[3] + c;
		t[2] = (uint64_t)acc;
		t[3] = t[4] + (uint64_t)(acc >> 64);
	}
	reduce_once(r, t);
}

void
zzp_set_zero(struct zzp *r)
{
	r->v[0] = r->v[1] = r->v[2] = 0;
}

void
zzp_set_one(struct zzp *r)
{
	r->v[0] = 1;
	r->v[1] = r->v[2] = 0;
}

void
zzp_set_i64(struct zzp *r, int64_t n)
{
	struct zzp m;

	if (n >= 0) {
		r->v[0] = (uint64_t)n;
		r->v[1] = r->v[2] = 0;
		return;
	}
	m.v[0] = (uint64_t)(-(n + 1)) + 1;
	m.v[1] = m.v[2] = 0;
	zzp_neg(r, &m);
}

int
zzp_is_zero(const struct zzp *a)
{
	return (a->v[0] | a->v[1] | a->v[2]) == 0;
}

int
zzp_eq(const struct zzp *a, const struct zzp *b)
{
	return a->v[0] == b->v[0] && a->v[1] == b->v[1] && a->v[2] == b->v[2];
}

int
zzp_cmp(const struct zzp *a, const struct zzp *b)
{
	int i;

	for (i = 2; i >= 0; i--) {
		if (a->v[i] != b->v[i])
			return a->v[i] < b->v[i] ? -1 : 1;
	}
	return 0;
}

int
zzp_qsort_cmp(const void *a, const void *b)
{
	return zzp_cmp(a, b);
}

void
zzp_add(struct zzp *r, const struct zzp *a, const struct zzp *b)
{
	uint64_t t[4], c = 0;
	int i;

	for (i = 0; i < 3; i++) {
		u128 x = (u128)a->v[i] + b->v[i] + c;

		t[i] = (uint64_t)x;
		c = (uint64_t)(x >> 64);
	}
	t[3] = c;
	reduce_once(r->v, t);
}

void
zzp_sub(struct zzp *r, const struct zzp *a, const struct zzp *b)
{
	uint64_t t[3], borrow = 0, c = 0;
	int i;

	for (i = 0; i < 3; i++) {
		u128 x = (u128)a->v[i] - b->v[i] - borrow;

		t[i] = (uint64_t)x;
		borrow = (uint64_t)(x >> 64) & 1;
	}
	if (borrow) {
		/* a - b + p wraps back below 2^192 and is < p. */
		for (i = 0; i < 3; i++) {
			u128 x = (u128)t[i] + zzp_modulus[i] + c;

			t[i] = (uint64_t)x;
			c = (uint64_t)(x >> 64);
		}
	}
	memcpy(r->v, t, sizeof(t));
}

void
zzp_neg(struct zzp *r, const struct zzp *a)
{
	struct zzp z;

	zzp_set_zero(&z);
	zzp_sub(r, &z, a);
}

void
zzp_mul(struct zzp *r, const struct zzp *a, const struct zzp *b)
{
	uint64_t t[3];

	mont_mul(t, a->v, b->v);
	mont_mul(r->v, t, R2);
}

void
zzp_to_mont(struct zzp *m, const struct zzp *b)
{
	mont_mul(m->v, b->v, R2);
}

void
zzp_mul_mont(struct zzp *r, const struct zzp *a, const struct zzp *m)
{
	mont_mul(r->v, a->v, m->v);
}

void
zzp_pow(struct zzp *r, const struct zzp *a, const uint64_t e[3])
{
	uint64_t am[3], x[3];
	const uint64_t one[3] = { 1, 0, 0 };
	int bit;

	mont_mul(am, a->v, R2);
	memcpy(x, R1, sizeof(x));
	bit = 191;
	while (bit > 0 && ((e[bit / 64] >> (bit % 64)) & 1) == 0)
		bit--;
	for (; bit >= 0; bit--) {
		mont_mul(x, x, x);
		if ((e[bit / 64] >> (bit % 64)) & 1)
			mont_mul(x, x, am);
	}
	mont_mul(r->v, x, one);
}

void
zzp_inv(struct zzp *r, const struct zzp *a)
{
	zzp_pow(r, a, PM2);
}

void
zzp_div(struct zzp *r, const struct zzp *a, const struct zzp *b)
{
	struct zzp i;

	zzp_inv(&i, b);
	zzp_mul(r, a, &i);
}

uint8_t
zzp_wire_byte(const struct zzp *a, unsigned i)
{
	if (i >= ZZP_WIRE_LEN)
		return 0;
	return (uint8_t)(a->v[i / 8] >> (8 * (i % 8)));
}

void
zzp_to_wire(const struct zzp *a, uint8_t out[ZZP_WIRE_LEN])
{
	unsigned i;

	for (i = 0; i < ZZP_WIRE_LEN; i++)
		out[i] = zzp_wire_byte(a, i);
}

enum pks_rc
zzp_from_wire(struct zzp *r, const uint8_t in[ZZP_WIRE_LEN])
{
	struct zzp t;
	unsigned i;

	zzp_set_zero(&t);
	for (i = 0; i < ZZP_WIRE_LEN; i++)
		t.v[i / 8] |= (uint64_t)in[i] << (8 * (i % 8));
	if (t.v[2] > zzp_modulus[2] ||
	    (t.v[2] == zzp_modulus[2] &&
		(t.v[1] > zzp_modulus[1] ||
		    (t.v[1] == zzp_modulus[1] && t.v[0] >= zzp_modulus[0]))))
		return PKS_ERR_PARSE;
	*r = t;
	return PKS_OK;
}

void
zzp_from_md5(struct zzp *r, const uint8_t md5[ZZP_MD5_LEN])
{
	unsigned i;

	zzp_set_zero(r);
	for (i = 0; i < ZZP_MD5_LEN; i++)
		r->v[i / 8] |= (uint64_t)md5[i] << (8 * (i % 8));
}

enum pks_rc
zzp_to_md5(const struct zzp *a, uint8_t md5[ZZP_MD5_LEN])
{
	unsigned i;

	if (a->v[2] != 0)
		return PKS_ERR_PARSE;
	for (i = 0; i < ZZP_MD5_LEN; i++)
		md5[i] = zzp_wire_byte(a, i);
	return PKS_OK;
}
