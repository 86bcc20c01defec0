/*
 * ptree_poly.c: polynomial arithmetic over GF(p), rational interpolation,
 * root finding and the per-node recon solver.
 *
 * Follows the method of SKS decode.ml/linearAlg.ml (Minsky-Trachtenberg
 * set reconciliation): interpolate A/B from mbar sample values, verify
 * with the extra sample, require both to split into distinct linear
 * factors, then factor them by Cantor-Zassenhaus.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "ptree/ptree_poly.h"

/* (p - 1) / 2, the exponent of the Cantor-Zassenhaus splitter. */
static const uint64_t HALF_PM1[3] = { 0xe48fc2ec9852a18dULL,
	0xc78e887243c58fefULL, 0x0ULL };
/* Random splitter attempts per factor before giving up. */
#define SPLIT_TRIES 64

void
ptree_points(struct zzp pts[PTREE_NSAMPLES])
{
	int i;

	for (i = 0; i < PTREE_NSAMPLES; i++) {
		int64_t v = (i + 1) / 2;

		zzp_set_i64(&pts[i], i % 2 == 0 ? v : -v);
	}
}

void
ptree_poly_zero(struct ptree_poly *f)
{
	f->deg = -1;
}

void
ptree_poly_one(struct ptree_poly *f)
{
	f->deg = 0;
	zzp_set_one(&f->c[0]);
}

void
ptree_poly_linear(struct ptree_poly *f, const struct zzp *a)
{
	f->deg = 1;
	f->c[0] = *a;
	zzp_set_one(&f->c[1]);
}

void
ptree_poly_normalize(struct ptree_poly *f)
{
	while (f->deg >= 0 && zzp_is_zero(&f->c[f->deg]))
		f->deg--;
}

enum pks_rc
ptree_poly_set(struct ptree_poly *f, const struct zzp *c, size_t n)
{
	if (n > PTREE_POLY_CAP)
		return PKS_ERR_TOOBIG;
	if (n > 0)
		memcpy(f->c, c, n * sizeof(*c));
	f->deg = (int)n - 1;
	ptree_poly_normalize(f);
	return PKS_OK;
}

int
ptree_poly_eq(const struct ptree_poly *a, const struct ptree_poly *b)
{
	int i;

	if (a->deg != b->deg)
		return 0;
	for (i = 0; i <= a->deg; i++) {
		if (!zzp_eq(&a->c[i], &b->c[i]))
			return 0;
	}
	return 1;
}

/* r = a + sign * b with sign +1 or -1. */
static void
addsub(struct ptree_poly *r, const struct ptree_poly *a,
    const struct ptree_poly *b, int neg)
{
	struct zzp zero;
	int i, deg = a->deg > b->deg ? a->deg : b->deg;

	zzp_set_zero(&zero);
	for (i = 0; i <= deg; i++) {
		const struct zzp *x = i <= a->deg ? &a->c[i] : &zero;
		const struct zzp *y = i <= b->deg ? &b->c[i] : &zero;

		if (neg)
			zzp_sub(&r->c[i], x, y);
		else
			zzp_add(&r->c[i], x, y);
	}
	r->deg = deg;
	ptree_poly_normalize(r);
}

void
ptree_poly_add(struct ptree_poly *r, const struct ptree_poly *a,
    const struct ptree_poly *b)
{
	addsub(r, a, b, 0);
}

void
ptree_poly_sub(struct ptree_poly *r, const struct ptree_poly *a,
    const struct ptree_poly *b)
{
	addsub(r, a, b, 1);
}

void
ptree_poly_scale(
    struct ptree_poly *r, const struct ptree_poly *a, const struct zzp *s)
{
	int i;

	for (i = 0; i <= a->deg; i++)
		zzp_mul(&r->c[i], &a->c[i], s);
	r->deg = a->deg;
	ptree_poly_normalize(r);
}

enum pks_rc
ptree_poly_mul(struct ptree_poly *r, const struct ptree_poly *a,
    const struct ptree_poly *b)
{
	struct ptree_poly t;
	struct zzp x;
	int i, j;

	if (a->deg < 0 || b->deg < 0) {
		ptree_poly_zero(r);
		return PKS_OK;
	}
	if (a->deg + b->deg >= PTREE_POLY_CAP)
		return PKS_ERR_TOOBIG;
	t.deg = a->deg + b->deg;
	for (i = 0; i <= t.deg; i++)
		zzp_set_zero(&t.c[i]);
	for (i = 0; i <= a->deg; i++) {
		for (j = 0; j <= b->deg; j++) {
			zzp_mul(&x, &a->c[i], &b->c[j]);
			zzp_add(&t.c[i + j], &t.c[i + j], &x);
		}
	}
	ptree_poly_normalize(&t);
	*r = t;
	return PKS_OK;
}

enum pks_rc
ptree_poly_divmod(struct ptree_poly *q, struct ptree_poly *rem,
    const struct ptree_poly *a, const struct ptree_poly *b)
{
	struct ptree_poly qq, rr;
	struct zzp inv, coef, x;
	int i, j, m = b->deg;

	if (m < 0)
		return PKS_ERR_PARSE;
	rr = *a;
	ptree_poly_zero(&qq);
	if (a->deg >= m) {
		if (b->c[m].v[0] == 1 && b->c[m].v[1] == 0 && b->c[m].v[2] == 0)
			inv = b->c[m]; /* monic: skip the inversion */
		else
			zzp_inv(&inv, &b->c[m]);
		qq.deg = a->deg - m;
		for (i = a->deg - m; i >= 0; i--) {
			zzp_mul(&coef, &rr.c[i + m], &inv);
			qq.c[i] = coef;
			for (j = 0; j <= m; j++) {
				zzp_mul(&x, &coef, &b->c[j]);
				zzp_sub(&rr.c[i + j], &rr.c[i + j], &x);
			}
		}
		rr.deg = m - 1;
		ptree_poly_normalize(&rr);
		ptree_poly_normalize(&qq);
	}
	if (q != NULL)
		*q = qq;
	if (rem != NULL)
		*rem = rr;
	return PKS_OK;
}

void
ptree_poly_gcd(struct ptree_poly *g, const struct ptree_poly *a,
    const struct ptree_poly *b)
{
	struct ptree_poly x = *a, y = *b, r;
	struct zzp inv;

	while (y.deg >= 0) {
		ptree_poly_divmod(NULL, &r, &x, &y);
		x = y;
		y = r;
	}
	if (x.deg >= 0) {
		zzp_inv(&inv, &x.c[x.deg]);
		ptree_poly_scale(&x, &x, &inv);
	}
	*g = x;
}

/* r = a * b mod m, for deg a, deg b < deg m <= CAP / 2. */
static void
mulmod(struct ptree_poly *r, const struct ptree_poly *a,
    const struct ptree_poly *b, const struct ptree_poly *m)
{
	struct ptree_poly t;

	ptree_poly_mul(&t, a, b);
	ptree_poly_divmod(NULL, r, &t, m);
}

enum pks_rc
ptree_poly_powmod(struct ptree_poly *r, const struct ptree_poly *base,
    const uint64_t e[3], const struct ptree_poly *m)
{
	struct ptree_poly b, x, mm;
	struct zzp inv;
	int bit, started = 0;

	if (m->deg < 0)
		return PKS_ERR_PARSE;
	if (m->deg >= PTREE_POLY_CAP / 2)
		return PKS_ERR_TOOBIG;
	/* Reducing by the monic multiple of m gives the same remainders and
	 * saves an inversion in every step. */
	zzp_inv(&inv, &m->c[m->deg]);
	ptree_poly_scale(&mm, m, &inv);
	ptree_poly_divmod(NULL, &b, base, &mm);
	ptree_poly_one(&x);
	ptree_poly_divmod(NULL, &x, &x, &mm);
	for (bit = 191; bit >= 0; bit--) {
		int set = (int)((e[bit / 64] >> (bit % 64)) & 1);

		if (started)
			mulmod(&x, &x, &x, &mm);
		if (set) {
			mulmod(&x, &x, &b, &mm);
			started = 1;
		}
	}
	*r = x;
	return PKS_OK;
}

void
ptree_poly_eval(struct zzp *v, const struct ptree_poly *f, const struct zzp *x)
{
	struct zzp acc;
	int i;

	zzp_set_zero(&acc);
	for (i = f->deg; i >= 0; i--) {
		zzp_mul(&acc, &acc, x);
		zzp_add(&acc, &acc, &f->c[i]);
	}
	*v = acc;
}

int
ptree_poly_factor_check(const struct ptree_poly *f)
{
	struct ptree_poly z, zp, diff;
	struct zzp zero;

	if (f->deg <= 1)
		return f->deg >= 0;
	zzp_set_zero(&zero);
	ptree_poly_linear(&z, &zero);
	if (ptree_poly_powmod(&zp, &z, zzp_modulus, f) != PKS_OK)
		return 0;
	ptree_poly_sub(&diff, &zp, &z);
	ptree_poly_divmod(NULL, &diff, &diff, f);
	return diff.deg < 0;
}

/* splitmix64: a small deterministic generator for the splitters. */
static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Split monic f (deg >= 2, distinct roots) into g * h, both nontrivial.
 * PKS_ERR_PARSE after SPLIT_TRIES useless splitters. */
static enum pks_rc
split_once(const struct ptree_poly *f, uint64_t *rng, struct ptree_poly *g,
    struct ptree_poly *h)
{
	struct ptree_poly za, s, one;
	struct zzp a;
	int tries;

	ptree_poly_one(&one);
	for (tries = 0; tries < SPLIT_TRIES; tries++) {
		/* Any value below 2^128 is a field element (2^128 < p). */
		a.v[0] = rng_next(rng);
		a.v[1] = rng_next(rng);
		a.v[2] = 0;
		ptree_poly_linear(&za, &a);
		if (ptree_poly_powmod(&s, &za, HALF_PM1, f) != PKS_OK)
			return PKS_ERR_TOOBIG;
		ptree_poly_sub(&s, &s, &one);
		ptree_poly_gcd(g, &s, f);
		if (g->deg > 0 && g->deg < f->deg)
			return ptree_poly_divmod(h, NULL, f, g);
	}
	return PKS_ERR_PARSE;
}

/* Append the roots of monic f to roots[*n..max).  depth bounds recursion
 * (each level strictly lowers the degree). */
static enum pks_rc
find_roots(const struct ptree_poly *f, uint64_t *rng, struct zzp *roots,
    size_t max, size_t *n, int depth)
{
	struct ptree_poly g, h;
	enum pks_rc rc;

	if (f->deg <= 0)
		return PKS_OK;
	if (depth > PTREE_POLY_CAP || *n + (size_t)f->deg > max)
		return PKS_ERR_TOOMANY;
	if (f->deg == 1) {
		zzp_neg(&roots[*n], &f->c[0]);
		(*n)++;
		return PKS_OK;
	}
	rc = split_once(f, rng, &g, &h);
	if (rc != PKS_OK)
		return rc;
	rc = find_roots(&g, rng, roots, max, n, depth + 1);
	if (rc != PKS_OK)
		return rc;
	return find_roots(&h, rng, roots, max, n, depth + 1);
}

enum pks_rc
ptree_poly_roots(const struct ptree_poly *f, uint64_t seed, struct zzp *roots,
    size_t max, size_t *n)
{
	struct ptree_poly m;
	struct zzp inv;
	uint64_t rng = seed;
	enum pks_rc rc;

	*n = 0;
	if (f->deg < 0)
		return PKS_ERR_PARSE;
	if ((size_t)f->deg > max)
		return PKS_ERR_TOOMANY;
	zzp_inv(&inv, &f->c[f->deg]);
	ptree_poly_scale(&m, f, &inv);
	rc = find_roots(&m, &rng, roots, max, n, 0);
	if (rc != PKS_OK) {
		*n = 0;
		return rc;
	}
	qsort(roots, *n, sizeof(*roots), zzp_qsort_cmp);
	return PKS_OK;
}

/* Gauss-Jordan elimination in place on an m x (m + 1) matrix; a column
 * without a pivot is skipped (its unknown reads as the right-hand side
 * of its row), as SKS does. */
static void
gauss_jordan(struct zzp mat[PTREE_MBAR][PTREE_MBAR + 1], int m)
{
	struct zzp inv, f, x, tmp[PTREE_MBAR + 1];
	int col, row, k, piv;

	for (col = 0; col < m; col++) {
		for (piv = col; piv < m && zzp_is_zero(&mat[piv][col]); piv++)
			;
		if (piv == m)
			continue;
		if (piv != col) {
			memcpy(tmp, mat[piv], sizeof(tmp));
			memcpy(mat[piv], mat[col], sizeof(tmp));
			memcpy(mat[col], tmp, sizeof(tmp));
		}
		zzp_inv(&inv, &mat[col][col]);
		for (k = 0; k <= m; k++)
			zzp_mul(&mat[col][k], &mat[col][k], &inv);
		for (row = 0; row < m; row++) {
			if (row == col || zzp_is_zero(&mat[row][col]))
				continue;
			f = mat[row][col];
			for (k = 0; k <= m; k++) {
				zzp_mul(&x, &f, &mat[col][k]);
				zzp_sub(&mat[row][k], &mat[row][k], &x);
			}
		}
	}
}

/* Row j of the system A(k) - f B(k) = 0 in the unknown low coefficients:
 * k^i for A's, -f k^i for B's, right-hand side f k^mb - k^ma. */
static void
fill_row(
    struct zzp *row, const struct zzp *k, const struct zzp *f, int ma, int mb)
{
	struct zzp acc, kma;
	int i;

	zzp_set_one(&acc);
	for (i = 0; i < ma; i++) {
		row[i] = acc;
		zzp_mul(&acc, &acc, k);
	}
	kma = acc;
	zzp_neg(&acc, f);
	for (i = ma; i < ma + mb; i++) {
		row[i] = acc;
		zzp_mul(&acc, &acc, k);
	}
	/* acc = -f k^mb */
	zzp_neg(&acc, &acc);
	zzp_sub(&row[ma + mb], &acc, &kma);
}

enum pks_rc
ptree_poly_interpolate(struct ptree_poly *a, struct ptree_poly *b,
    const struct zzp *values, const struct zzp *points, size_t n, long d)
{
	struct zzp mat[PTREE_MBAR][PTREE_MBAR + 1];
	struct ptree_poly g;
	int m, ma, mb, i;

	if (n > PTREE_MBAR || d > (long)n || d < -(long)n)
		return PKS_ERR_TOOMANY;
	m = (int)n;
	if ((m + d) % 2 != 0)
		m--;
	ma = (m + (int)d) / 2;
	mb = (m - (int)d) / 2;
	for (i = 0; i < m; i++)
		fill_row(mat[i], &points[i], &values[i], ma, mb);
	gauss_jordan(mat, m);
	a->deg = ma;
	b->deg = mb;
	for (i = 0; i < ma; i++)
		a->c[i] = mat[i][m];
	for (i = 0; i < mb; i++)
		b->c[i] = mat[ma + i][m];
	zzp_set_one(&a->c[ma]);
	zzp_set_one(&b->c[mb]);
	ptree_poly_gcd(&g, a, b);
	ptree_poly_divmod(a, NULL, a, &g);
	ptree_poly_divmod(b, NULL, b, &g);
	return PKS_OK;
}

/* A seed that depends on the polynomial, so runs are reproducible. */
static uint64_t
poly_seed(const struct ptree_poly *f)
{
	uint64_t s = 0x5eed0f5e7c0de5ULL;
	int i;

	for (i = 0; i <= f->deg; i++)
		s = s * 31 + f->c[i].v[0] + (f->c[i].v[1] << 1) + f->c[i].v[2];
	return s;
}

/* Steps 1-3 of sks-recon.md 6.4: values, interpolation, checks. */
static enum pks_rc
solve_polys(const struct zzp *remote_sv, uint32_t remote_size,
    const struct zzp *local_sv, uint32_t local_size, struct ptree_poly *a,
    struct ptree_poly *b)
{
	struct zzp pts[PTREE_NSAMPLES], values[PTREE_NSAMPLES], va, vb;
	int64_t d = (int64_t)remote_size - (int64_t)local_size;
	int i;

	if (d > PTREE_MBAR || d < -PTREE_MBAR)
		return PKS_ERR_TOOMANY;
	ptree_points(pts);
	for (i = 0; i < PTREE_NSAMPLES; i++) {
		if (zzp_is_zero(&local_sv[i]))
			return PKS_ERR_TOOMANY;
		zzp_div(&values[i], &remote_sv[i], &local_sv[i]);
	}
	if (ptree_poly_interpolate(a, b, values, pts, PTREE_MBAR, (long)d) !=
	    PKS_OK)
		return PKS_ERR_TOOMANY;
	ptree_poly_eval(&va, a, &pts[PTREE_MBAR]);
	ptree_poly_eval(&vb, b, &pts[PTREE_MBAR]);
	if (zzp_is_zero(&vb))
		return PKS_ERR_TOOMANY;
	zzp_div(&va, &va, &vb);
	if (!zzp_eq(&va, &values[PTREE_MBAR]))
		return PKS_ERR_TOOMANY;
	if (!ptree_poly_factor_check(a) || !ptree_poly_factor_check(b))
		return PKS_ERR_TOOMANY;
	return PKS_OK;
}

enum pks_rc
ptree_solve(const struct zzp remote_sv[PTREE_NSAMPLES], uint32_t remote_size,
    const struct zzp local_sv[PTREE_NSAMPLES], uint32_t local_size,
    struct zzp remote_only[PTREE_MBAR], size_t *n_remote,
    struct zzp local_only[PTREE_MBAR], size_t *n_local)
{
	struct ptree_poly a, b;
	enum pks_rc rc;

	*n_remote = *n_local = 0;
	rc = solve_polys(remote_sv, remote_size, local_sv, local_size, &a, &b);
	if (rc != PKS_OK)
		return rc;
	if (ptree_poly_roots(&a, poly_seed(&a), remote_only, PTREE_MBAR,
		n_remote) != PKS_OK ||
	    ptree_poly_roots(
		&b, poly_seed(&b), local_only, PTREE_MBAR, n_local) != PKS_OK) {
		*n_remote = *n_local = 0;
		return PKS_ERR_TOOMANY;
	}
	return PKS_OK;
}
