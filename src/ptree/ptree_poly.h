/*
 * ptree_poly.h: polynomials over GF(p) and the recon solver.
 *
 * The solver needs only small degrees (at most mbar = 5 before products),
 * so a polynomial is a fixed array of PTREE_POLY_CAP coefficients on the
 * stack; nothing here allocates.  Degree of the zero polynomial is -1.
 * Operations whose result would not fit fail with PKS_ERR_TOOBIG.
 *
 * ptree_solve() is the whole of SKS's per-node decoding: from the six
 * remote and six local sample values and both sizes it recovers the
 * elements only the remote side has and those only the local side has,
 * or fails cleanly ("low mbar") when the difference is too large or the
 * input is inconsistent.  Its input comes from the peer and is treated
 * as hostile: every step is bounded and no input makes it crash or loop.
 */
#ifndef PKS_PTREE_POLY_H
#define PKS_PTREE_POLY_H

#include <stddef.h>
#include <stdint.h>

#include "ptree/ptree_zzp.h"
#include "util/rc.h"

/* Coefficients per polynomial (degree <= 31). */
#define PTREE_POLY_CAP 32
/* Sample values per node (mbar + 1) and mbar itself. */
#define PTREE_MBAR 5
#define PTREE_NSAMPLES (PTREE_MBAR + 1)

struct ptree_poly {
	int deg;                      /* -1 for the zero polynomial */
	struct zzp c[PTREE_POLY_CAP]; /* c[i] is the coefficient of z^i */
};

/* The six sample points 0, -1, 1, -2, 2, -3 (mod p), in that order. */
void ptree_points(struct zzp pts[PTREE_NSAMPLES]);

void ptree_poly_zero(struct ptree_poly *f);
void ptree_poly_one(struct ptree_poly *f);
/* f = z + a (monic linear). */
void ptree_poly_linear(struct ptree_poly *f, const struct zzp *a);
/* f from n coefficients (lowest first); PKS_ERR_TOOBIG if n > CAP. */
enum pks_rc ptree_poly_set(struct ptree_poly *f, const struct zzp *c, size_t n);
/* Recompute deg after coefficients were written (drops leading zeros). */
void ptree_poly_normalize(struct ptree_poly *f);
int ptree_poly_eq(const struct ptree_poly *a, const struct ptree_poly *b);

/* r = a + b, a - b, s * a.  r may alias an input. */
void ptree_poly_add(struct ptree_poly *r, const struct ptree_poly *a,
    const struct ptree_poly *b);
void ptree_poly_sub(struct ptree_poly *r, const struct ptree_poly *a,
    const struct ptree_poly *b);
void ptree_poly_scale(
    struct ptree_poly *r, const struct ptree_poly *a, const struct zzp *s);
/* r = a * b; PKS_ERR_TOOBIG if the degree would pass CAP - 1. */
enum pks_rc ptree_poly_mul(struct ptree_poly *r, const struct ptree_poly *a,
    const struct ptree_poly *b);
/* q, rem = a divmod b (either out may be NULL; may alias inputs).
 * PKS_ERR_PARSE when b is zero. */
enum pks_rc ptree_poly_divmod(struct ptree_poly *q, struct ptree_poly *rem,
    const struct ptree_poly *a, const struct ptree_poly *b);
/* g = monic gcd(a, b); gcd(0, 0) = 0. */
void ptree_poly_gcd(struct ptree_poly *g, const struct ptree_poly *a,
    const struct ptree_poly *b);
/* r = base^e mod m, e a 192-bit exponent; PKS_ERR_PARSE if m is zero,
 * PKS_ERR_TOOBIG if deg m >= CAP / 2. */
enum pks_rc ptree_poly_powmod(struct ptree_poly *r,
    const struct ptree_poly *base, const uint64_t e[3],
    const struct ptree_poly *m);
/* v = f(x). */
void ptree_poly_eval(
    struct zzp *v, const struct ptree_poly *f, const struct zzp *x);

/*
 * Rational interpolation (sks-recon.md 6.4 step 2): from n = mbar values
 * f_j = A(k_j)/B(k_j) at points k_j and d = deg A - deg B, solve for
 * monic A and B by Gauss-Jordan elimination and reduce them by their gcd.
 * PKS_ERR_TOOMANY when |d| > n or n > PTREE_MBAR.  A singular system
 * still yields a candidate; ptree_solve() checks it.
 */
enum pks_rc ptree_poly_interpolate(struct ptree_poly *a, struct ptree_poly *b,
    const struct zzp *values, const struct zzp *points, size_t n, long d);

/* Nonzero when f (monic) splits into distinct linear factors over GF(p),
 * tested as z^p == z (mod f).  Degree 0 and 1 pass. */
int ptree_poly_factor_check(const struct ptree_poly *f);

/*
 * Roots of a monic f that passed ptree_poly_factor_check, by
 * Cantor-Zassenhaus with a deterministic generator seeded from 'seed'
 * (same input, same steps).  Writes deg f roots to roots[] (room for
 * max) in ascending order.  PKS_ERR_TOOMANY if deg f > max;
 * PKS_ERR_PARSE if f does not split (bounded number of attempts).
 */
enum pks_rc ptree_poly_roots(const struct ptree_poly *f, uint64_t seed,
    struct zzp *roots, size_t max, size_t *n);

/*
 * Solve one node.  remote_sv/local_sv: the six sample values of each
 * side; remote_size/local_size: element counts under the node.
 * On PKS_OK, remote_only[0..*n_remote) are the elements only the remote
 * side has, local_only[0..*n_local) those only the local side has (each
 * at most PTREE_MBAR, ascending).  PKS_ERR_TOOMANY ("low mbar") when the
 * difference exceeds mbar or any check fails; outputs are then empty.
 * Roots of B are not checked against the local set here: a hostile peer
 * can make them arbitrary, so callers intersect with what they hold.
 */
enum pks_rc ptree_solve(const struct zzp remote_sv[PTREE_NSAMPLES],
    uint32_t remote_size, const struct zzp local_sv[PTREE_NSAMPLES],
    uint32_t local_size, struct zzp remote_only[PTREE_MBAR], size_t *n_remote,
    struct zzp local_only[PTREE_MBAR], size_t *n_local);

#endif
