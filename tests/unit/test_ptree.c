/*
 * test_ptree.c: unit tests of src/ptree: field arithmetic (checked
 * against GMP), wire forms, polynomials, the solver, and the prefix tree
 * (every node recomputed from scratch after random inserts and deletes).
 */
#include <config.h>

#include <gmp.h>
#include <stdlib.h>
#include <string.h>

#include "ptree/ptree_node.h"
#include "ptree/ptree_poly.h"
#include "ptree/ptree_zzp.h"
#include "tap.h"

static uint64_t rng_state = 12345;

static uint64_t
rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A random field element (below 2^128, like a key hash). */
static void
rnd_md5(struct zzp *x)
{
	uint8_t md5[16];
	int i;

	for (i = 0; i < 16; i++)
		md5[i] = (uint8_t)rnd();
	zzp_from_md5(x, md5);
}

/* A random element of the whole field, near p sometimes. */
static void
rnd_zzp(struct zzp *x)
{
	x->v[0] = rnd();
	x->v[1] = rnd();
	x->v[2] = rnd() & 1;
	if (rnd() % 4 == 0) {
		x->v[0] = zzp_modulus[0] - 1 - (rnd() % 3);
		x->v[1] = zzp_modulus[1];
		x->v[2] = zzp_modulus[2];
	}
	if (x->v[2] == 1 && (x->v[1] > zzp_modulus[1] ||
	    (x->v[1] == zzp_modulus[1] && x->v[0] >= zzp_modulus[0])))
		x->v[2] = 0;
}

static void
to_mpz(mpz_t r, const struct zzp *x)
{
	mpz_import(r, 3, -1, sizeof(uint64_t), 0, 0, x->v);
}

static int
eq_mpz(const struct zzp *x, const mpz_t m)
{
	mpz_t t;
	int ok;

	mpz_init(t);
	to_mpz(t, x);
	ok = mpz_cmp(t, m) == 0;
	mpz_clear(t);
	return ok;
}

static void
test_field_vs_gmp(void)
{
	mpz_t p, a, b, r;
	struct zzp x, y, z;
	int i, bad = 0;

	mpz_inits(p, a, b, r, NULL);
	mpz_set_str(p, "530512889551602322505127520352579437339", 10);
	x.v[0] = zzp_modulus[0];
	x.v[1] = zzp_modulus[1];
	x.v[2] = zzp_modulus[2];
	CHECK(eq_mpz(&x, p));
	for (i = 0; i < 20000; i++) {
		rnd_zzp(&x);
		rnd_zzp(&y);
		to_mpz(a, &x);
		to_mpz(b, &y);
		zzp_add(&z, &x, &y);
		mpz_add(r, a, b);
		mpz_mod(r, r, p);
		bad += !eq_mpz(&z, r);
		zzp_sub(&z, &x, &y);
		mpz_sub(r, a, b);
		mpz_mod(r, r, p);
		bad += !eq_mpz(&z, r);
		zzp_mul(&z, &x, &y);
		mpz_mul(r, a, b);
		mpz_mod(r, r, p);
		bad += !eq_mpz(&z, r);
		if (i % 50 == 0 && !zzp_is_zero(&x)) {
			zzp_inv(&z, &x);
			mpz_invert(r, a, p);
			bad += !eq_mpz(&z, r);
		}
	}
	CHECK(bad == 0);
	mpz_clears(p, a, b, r, NULL);
}

static void
test_field_laws(void)
{
	struct zzp a, b, c, t1, t2, t3, one, zero, m;
	uint64_t e[3] = { 5, 0, 0 };
	int i, bad = 0;

	zzp_set_one(&one);
	zzp_set_zero(&zero);
	for (i = 0; i < 2000; i++) {
		rnd_zzp(&a);
		rnd_zzp(&b);
		rnd_zzp(&c);
		/* a (b + c) = ab + ac */
		zzp_add(&t1, &b, &c);
		zzp_mul(&t1, &a, &t1);
		zzp_mul(&t2, &a, &b);
		zzp_mul(&t3, &a, &c);
		zzp_add(&t2, &t2, &t3);
		bad += !zzp_eq(&t1, &t2);
		/* (a - b) + b = a, a + (-a) = 0 */
		zzp_sub(&t1, &a, &b);
		zzp_add(&t1, &t1, &b);
		bad += !zzp_eq(&t1, &a);
		zzp_neg(&t1, &a);
		zzp_add(&t1, &t1, &a);
		bad += !zzp_is_zero(&t1);
		/* a * inv(a) = 1, a / a = 1 */
		if (!zzp_is_zero(&a)) {
			zzp_inv(&t1, &a);
			zzp_mul(&t1, &t1, &a);
			bad += !zzp_eq(&t1, &one);
		}
		/* a^5 by pow and by products; prepared multiplier */
		zzp_pow(&t1, &a, e);
		zzp_mul(&t2, &a, &a);
		zzp_mul(&t2, &t2, &t2);
		zzp_mul(&t2, &t2, &a);
		bad += !zzp_eq(&t1, &t2);
		zzp_to_mont(&m, &b);
		zzp_mul_mont(&t1, &a, &m);
		zzp_mul(&t2, &a, &b);
		bad += !zzp_eq(&t1, &t2);
	}
	CHECK(bad == 0);
	zzp_inv(&t1, &zero);
	CHECK(zzp_is_zero(&t1));
	/* Fermat: a^p = a */
	rnd_zzp(&a);
	zzp_pow(&t1, &a, zzp_modulus);
	CHECK(zzp_eq(&t1, &a));
}

static void
test_wire_example(void)
{
	/* sks-recon.md 6.1 */
	const char *hexmd5 = "62DE72FD503A3D71992C9E58E235E285";
	uint8_t md5[16], wire[17], back[16], want[17];
	struct zzp x, y;
	mpz_t m;
	char *dec;

	CHECK(tap_unhex(hexmd5, md5, sizeof(md5)) == 16);
	zzp_from_md5(&x, md5);
	mpz_init(m);
	to_mpz(m, &x);
	dec = mpz_get_str(NULL, 10, m);
	CHECK(strcmp(dec, "177961875430122305660941305751664778850") == 0);
	free(dec);
	mpz_clear(m);
	zzp_to_wire(&x, wire);
	CHECK(tap_unhex("62de72fd503a3d71992c9e58e235e28500", want, 17) == 17);
	CHECK(memcmp(wire, want, 17) == 0);
	CHECK(zzp_from_wire(&y, wire) == PKS_OK && zzp_eq(&x, &y));
	CHECK(zzp_to_md5(&y, back) == PKS_OK && memcmp(back, md5, 16) == 0);
	/* p itself and 2^136 - 1 are refused; p - 1 is fine */
	y.v[0] = zzp_modulus[0];
	y.v[1] = zzp_modulus[1];
	y.v[2] = zzp_modulus[2];
	zzp_to_wire(&y, wire);
	CHECK(zzp_from_wire(&x, wire) == PKS_ERR_PARSE);
	wire[0]--;
	CHECK(zzp_from_wire(&x, wire) == PKS_OK);
	CHECK(zzp_to_md5(&x, back) == PKS_ERR_PARSE);
	memset(wire, 0xff, sizeof(wire));
	CHECK(zzp_from_wire(&x, wire) == PKS_ERR_PARSE);
}

static void
test_points(void)
{
	struct zzp pts[PTREE_NSAMPLES], one, t;
	const int64_t want[PTREE_NSAMPLES] = { 0, -1, 1, -2, 2, -3 };
	int i;

	ptree_points(pts);
	zzp_set_one(&one);
	for (i = 0; i < PTREE_NSAMPLES; i++) {
		zzp_set_i64(&t, want[i]);
		CHECK(zzp_eq(&pts[i], &t));
	}
	/* -1 is p - 1 */
	CHECK(pts[1].v[0] == zzp_modulus[0] - 1 &&
	    pts[1].v[1] == zzp_modulus[1] && pts[1].v[2] == 1);
	zzp_add(&t, &pts[1], &one);
	CHECK(zzp_is_zero(&t));
	CHECK(ptree_is_point(&pts[5]) && ptree_is_point(&pts[0]));
	zzp_set_i64(&t, 3);
	CHECK(!ptree_is_point(&t));
}

static void
rnd_poly(struct ptree_poly *f, int deg)
{
	int i;

	f->deg = deg;
	for (i = 0; i <= deg; i++)
		rnd_zzp(&f->c[i]);
	if (deg >= 0 && zzp_is_zero(&f->c[deg]))
		zzp_set_one(&f->c[deg]);
}

static void
test_poly_arith(void)
{
	struct ptree_poly a, b, q, r, t, g, ga, gb;
	struct zzp x, va, vb, vt;
	int i, bad = 0;

	for (i = 0; i < 300; i++) {
		rnd_poly(&a, (int)(rnd() % 12));
		rnd_poly(&b, (int)(rnd() % 6));
		CHECK(ptree_poly_divmod(&q, &r, &a, &b) == PKS_OK);
		bad += r.deg >= b.deg;
		CHECK(ptree_poly_mul(&t, &q, &b) == PKS_OK);
		ptree_poly_add(&t, &t, &r);
		bad += !ptree_poly_eq(&t, &a);
		/* eval is a ring homomorphism */
		rnd_zzp(&x);
		CHECK(ptree_poly_mul(&t, &a, &b) == PKS_OK);
		ptree_poly_eval(&va, &a, &x);
		ptree_poly_eval(&vb, &b, &x);
		ptree_poly_eval(&vt, &t, &x);
		zzp_mul(&va, &va, &vb);
		bad += !zzp_eq(&va, &vt);
		/* gcd of (g a, g b) is a multiple of g */
		rnd_poly(&g, 2);
		ptree_poly_mul(&ga, &g, &a);
		ptree_poly_mul(&gb, &g, &b);
		ptree_poly_gcd(&t, &ga, &gb);
		ptree_poly_divmod(NULL, &r, &t, &g);
		bad += r.deg >= 0;
		ptree_poly_divmod(NULL, &r, &ga, &t);
		bad += r.deg >= 0;
	}
	CHECK(bad == 0);
	ptree_poly_zero(&b);
	CHECK(ptree_poly_divmod(&q, &r, &a, &b) == PKS_ERR_PARSE);
	rnd_poly(&a, 20);
	rnd_poly(&b, 20);
	CHECK(ptree_poly_mul(&t, &a, &b) == PKS_ERR_TOOBIG);
}

/* f = prod (z - r_i) */
static void
poly_from_roots(struct ptree_poly *f, const struct zzp *r, size_t n)
{
	struct ptree_poly l;
	struct zzp neg;
	size_t i;

	ptree_poly_one(f);
	for (i = 0; i < n; i++) {
		zzp_neg(&neg, &r[i]);
		ptree_poly_linear(&l, &neg);
		ptree_poly_mul(f, f, &l);
	}
}

static void
test_poly_roots(void)
{
	struct zzp r[8], got[8];
	struct ptree_poly f, sq;
	size_t n, k;
	int i, bad = 0;

	for (i = 0; i < 100; i++) {
		size_t want = (size_t)(rnd() % 8);

		for (k = 0; k < want; k++)
			rnd_md5(&r[k]);     /* distinct (2^-128 aside) */
		qsort(r, want, sizeof(r[0]), zzp_qsort_cmp);
		poly_from_roots(&f, r, want);
		bad += !ptree_poly_factor_check(&f);
		if (ptree_poly_roots(&f, rnd(), got, 8, &n) != PKS_OK ||
		    n != want) {
			bad++;
			continue;
		}
		for (k = 0; k < n; k++)
			bad += !zzp_eq(&r[k], &got[k]);
	}
	CHECK(bad == 0);
	/* a square does not pass the factor check; z^2 + 1 has no roots
	 * when p = 3 mod 4, which holds here */
	poly_from_roots(&f, r, 1);
	ptree_poly_mul(&sq, &f, &f);
	CHECK(!ptree_poly_factor_check(&sq));
	CHECK((zzp_modulus[0] & 3) == 3);
	ptree_poly_zero(&f);
	f.deg = 2;
	zzp_set_one(&f.c[0]);
	zzp_set_zero(&f.c[1]);
	zzp_set_one(&f.c[2]);
	CHECK(!ptree_poly_factor_check(&f));
	CHECK(ptree_poly_roots(&f, 1, got, 8, &n) == PKS_ERR_PARSE && n == 0);
	CHECK(ptree_poly_roots(&sq, 1, got, 1, &n) == PKS_ERR_TOOMANY);
}

/* Sets: common elements plus nr only-remote and nl only-local. */
static int
solve_case(size_t common, size_t nr, size_t nl)
{
	struct zzp *all = calloc(common + nr + nl, sizeof(*all));
	struct zzp rsv[PTREE_NSAMPLES], lsv[PTREE_NSAMPLES], rem[PTREE_NSAMPLES];
	struct zzp ro[PTREE_MBAR], lo[PTREE_MBAR], lset[64];
	size_t i, nro, nlo, nlocal = 0;
	enum pks_rc rc;
	int ok = 1;

	for (i = 0; i < common + nr + nl; i++)
		rnd_md5(&all[i]);
	ptree_samples_of(rsv, all, common + nr);
	memcpy(lset, all, common * sizeof(*all));
	nlocal = common;
	for (i = 0; i < nl; i++)
		lset[nlocal++] = all[common + nr + i];
	ptree_samples_of(lsv, lset, nlocal);
	memcpy(rem, rsv, sizeof(rem));
	rc = ptree_solve(rem, (uint32_t)(common + nr), lsv, (uint32_t)nlocal,
	    ro, &nro, lo, &nlo);
	if (nr + nl > PTREE_MBAR) {
		ok = rc == PKS_ERR_TOOMANY && nro == 0 && nlo == 0;
		goto out;
	}
	if (rc != PKS_OK || nro != nr || nlo != nl) {
		ok = 0;
		goto out;
	}
	qsort(all + common, nr, sizeof(*all), zzp_qsort_cmp);
	qsort(all + common + nr, nl, sizeof(*all), zzp_qsort_cmp);
	for (i = 0; i < nr; i++)
		ok &= zzp_eq(&ro[i], &all[common + i]);
	for (i = 0; i < nl; i++)
		ok &= zzp_eq(&lo[i], &all[common + nr + i]);
out:
	free(all);
	return ok;
}

static void
test_solve_recovers(void)
{
	size_t nr, nl;
	int rep, bad = 0;

	for (nr = 0; nr <= 5; nr++) {
		for (nl = 0; nr + nl <= 5; nl++) {
			/* five differences (odd) fit; four fit when even */
			for (rep = 0; rep < 10; rep++)
				bad += !solve_case((size_t)(rnd() % 40), nr, nl);
		}
	}
	CHECK(bad == 0);
}

static void
test_solve_too_many(void)
{
	size_t nr, nl;
	int bad = 0;

	for (nr = 0; nr <= 8; nr++) {
		for (nl = 0; nl <= 8; nl++) {
			if (nr + nl > 5)
				bad += !solve_case(30, nr, nl);
		}
	}
	CHECK(bad == 0);
}

static void
test_solve_garbage(void)
{
	struct zzp rsv[PTREE_NSAMPLES], lsv[PTREE_NSAMPLES];
	struct zzp ro[PTREE_MBAR], lo[PTREE_MBAR];
	size_t nro, nlo;
	int i, k, bad = 0;
	enum pks_rc rc;

	for (i = 0; i < 3000; i++) {
		for (k = 0; k < PTREE_NSAMPLES; k++) {
			rnd_zzp(&rsv[k]);
			rnd_zzp(&lsv[k]);
			if (rnd() % 8 == 0)
				zzp_set_zero(&rsv[k]);
			if (rnd() % 16 == 0)
				zzp_set_zero(&lsv[k]);
			if (rnd() % 8 == 0)
				zzp_set_one(&rsv[k]);
		}
		rc = ptree_solve(rsv, (uint32_t)rnd(), lsv, (uint32_t)(rnd() % 8),
		    ro, &nro, lo, &nlo);
		bad += rc != PKS_OK && rc != PKS_ERR_TOOMANY;
		bad += nro > PTREE_MBAR || nlo > PTREE_MBAR;
		rc = ptree_solve(rsv, 10 + (uint32_t)(rnd() % 11), lsv, 15, ro,
		    &nro, lo, &nlo);
		bad += rc != PKS_OK && rc != PKS_ERR_TOOMANY;
	}
	CHECK(bad == 0);
	/* sizes far apart, and at the extremes of uint32 */
	CHECK(ptree_solve(rsv, UINT32_MAX, lsv, 0, ro, &nro, lo, &nlo) ==
	    PKS_ERR_TOOMANY);
	CHECK(ptree_solve(rsv, 0, lsv, UINT32_MAX, ro, &nro, lo, &nlo) ==
	    PKS_ERR_TOOMANY);
	/* all-zero remote samples with a local zero */
	for (k = 0; k < PTREE_NSAMPLES; k++) {
		zzp_set_zero(&rsv[k]);
		zzp_set_zero(&lsv[k]);
	}
	CHECK(ptree_solve(rsv, 3, lsv, 3, ro, &nro, lo, &nlo) ==
	    PKS_ERR_TOOMANY);
}

/* ---- tree ---- */

struct check_state {
	const struct ptree_ops *ops;
	size_t nodes;
	int bad;
};

/* Recompute node pfx from its subtree; returns its element count. */
static size_t
check_node(struct check_state *st, const struct ptree_prefix *pfx,
    struct zzp *acc, size_t *nacc)
{
	struct ptree_node *n = malloc(sizeof(*n));
	struct zzp sv[PTREE_NSAMPLES];
	size_t start = *nacc, cnt = 0, i;
	unsigned c;

	if (ptree_get(st->ops, pfx, n) != PKS_OK) {
		st->bad++;
		free(n);
		return 0;
	}
	st->nodes++;
	if (n->leaf) {
		memcpy(acc + *nacc, n->elem, n->nelem * sizeof(n->elem[0]));
		*nacc += n->nelem;
		cnt = n->nelem;
		st->bad += n->nelem > PTREE_SPLIT;
		for (i = 1; i < n->nelem; i++)
			st->bad += zzp_cmp(&n->elem[i - 1], &n->elem[i]) >= 0;
		for (i = 0; i < n->nelem; i++) {
			struct ptree_prefix ep;

			ptree_prefix_of(&ep, &n->elem[i], pfx->nbits);
			st->bad += !ptree_prefix_eq(&ep, pfx);
		}
	} else {
		st->bad += n->size <= PTREE_JOIN;
		for (c = 0; c < PTREE_NCHILD; c++) {
			struct ptree_prefix cp;

			ptree_prefix_child(&cp, pfx, c);
			cnt += check_node(st, &cp, acc, nacc);
		}
	}
	st->bad += cnt != n->size;
	ptree_samples_of(sv, acc + start, cnt);
	for (i = 0; i < PTREE_NSAMPLES; i++)
		st->bad += !zzp_eq(&sv[i], &n->sv[i]);
	free(n);
	return cnt;
}

/* Check the whole tree against the reference set ref[0..nref). */
static int
check_tree(const struct ptree_ops *ops, struct zzp *ref, size_t nref,
    size_t *nodes)
{
	struct check_state st = { ops, 0, 0 };
	struct ptree_prefix root;
	struct zzp *acc = malloc((nref + 1) * sizeof(*acc));
	size_t nacc = 0, i;

	ptree_prefix_root(&root);
	check_node(&st, &root, acc, &nacc);
	qsort(acc, nacc, sizeof(*acc), zzp_qsort_cmp);
	qsort(ref, nref, sizeof(*ref), zzp_qsort_cmp);
	st.bad += nacc != nref;
	for (i = 0; i < nacc && i < nref; i++)
		st.bad += !zzp_eq(&acc[i], &ref[i]);
	free(acc);
	if (nodes != NULL)
		*nodes = st.nodes;
	return st.bad == 0;
}

static void
test_tree_random(void)
{
	struct ptree_mem *t = ptree_mem_new();
	struct ptree_ops ops;
	struct zzp *ref = calloc(4000, sizeof(*ref)), x;
	size_t nref = 0, round, nodes, k;
	int bad = 0;

	ptree_mem_ops(t, &ops);
	CHECK(check_tree(&ops, ref, 0, NULL));
	for (round = 0; round < 30; round++) {
		/* grow, then shrink, with mixed operations */
		int grow = round % 3 != 2;

		for (k = 0; k < 150; k++) {
			int del = nref > 0 && (grow ? rnd() % 4 == 0 :
			    rnd() % 4 != 0);

			if (del) {
				size_t i = (size_t)(rnd() % nref);

				bad += ptree_delete(&ops, &ref[i]) != PKS_OK;
				ref[i] = ref[--nref];
			} else if (nref < 4000) {
				rnd_md5(&x);
				bad += ptree_insert(&ops, &x) != PKS_OK;
				ref[nref++] = x;
			}
		}
		bad += !check_tree(&ops, ref, nref, &nodes);
		bad += ptree_mem_count(t) != nodes;
	}
	CHECK(bad == 0);
	CHECK(nref > 500);
	/* delete everything: back to an empty root leaf */
	while (nref > 0)
		bad += ptree_delete(&ops, &ref[--nref]) != PKS_OK;
	CHECK(bad == 0);
	CHECK(check_tree(&ops, ref, 0, &nodes) && nodes == 1);
	free(ref);
	ptree_mem_free(t);
}

static void
test_tree_split_join(void)
{
	struct ptree_mem *t = ptree_mem_new();
	struct ptree_ops ops;
	struct ptree_node *root = malloc(sizeof(*root));
	struct ptree_prefix rp;
	struct zzp ref[60], pt;
	struct zzp *el;
	size_t i, n;

	ptree_mem_ops(t, &ops);
	ptree_prefix_root(&rp);
	for (i = 0; i < 51; i++) {
		rnd_md5(&ref[i]);
		CHECK(ptree_insert(&ops, &ref[i]) == PKS_OK);
		CHECK(ptree_get(&ops, &rp, root) == PKS_OK);
		CHECK(root->leaf == (i < 50));
	}
	CHECK(ptree_mem_count(t) == 5);
	CHECK(check_tree(&ops, ref, 51, NULL));
	CHECK(ptree_elements(&ops, &rp, &el, &n) == PKS_OK && n == 51);
	free(el);
	/* duplicates, absent elements and sample points */
	CHECK(ptree_insert(&ops, &ref[7]) == PKS_ERR_REFUSED);
	rnd_md5(&ref[55]);
	CHECK(ptree_delete(&ops, &ref[55]) == PKS_ERR_NOTFOUND);
	zzp_set_i64(&pt, 2);
	CHECK(ptree_insert(&ops, &pt) == PKS_ERR_REFUSED);
	CHECK(check_tree(&ops, ref, 51, NULL));
	/* down to 26: still internal; 25: a leaf again */
	for (i = 51; i > 26; i--)
		CHECK(ptree_delete(&ops, &ref[i - 1]) == PKS_OK);
	CHECK(ptree_get(&ops, &rp, root) == PKS_OK && !root->leaf &&
	    root->size == 26);
	CHECK(ptree_delete(&ops, &ref[25]) == PKS_OK);
	CHECK(ptree_get(&ops, &rp, root) == PKS_OK && root->leaf &&
	    root->size == 25 && root->nelem == 25);
	CHECK(ptree_mem_count(t) == 1);
	CHECK(check_tree(&ops, ref, 25, NULL));
	free(root);
	ptree_mem_free(t);
}

/* Many elements sharing a long prefix split several levels at once. */
static void
test_tree_deep_split(void)
{
	struct ptree_mem *t = ptree_mem_new();
	struct ptree_ops ops;
	struct zzp ref[60];
	uint8_t md5[16];
	size_t i, nodes;
	int j;

	ptree_mem_ops(t, &ops);
	for (i = 0; i < 60; i++) {
		memset(md5, 0xab, sizeof(md5));
		for (j = 13; j < 16; j++)
			md5[j] = (uint8_t)rnd();
		md5[12] = (uint8_t)i;
		zzp_from_md5(&ref[i], md5);
		CHECK(ptree_insert(&ops, &ref[i]) == PKS_OK);
	}
	CHECK(check_tree(&ops, ref, 60, &nodes));
	CHECK(nodes > 40);
	for (i = 0; i < 60; i++)
		CHECK(ptree_delete(&ops, &ref[i]) == PKS_OK);
	CHECK(check_tree(&ops, ref, 0, &nodes) && nodes == 1);
	ptree_mem_free(t);
}

static void
test_prefix(void)
{
	struct ptree_prefix p, c;
	const uint8_t junk[1] = { 0xff };
	struct zzp x;
	uint8_t md5[16] = { 0x9c };

	ptree_prefix_root(&p);
	CHECK(ptree_prefix_child(&c, &p, 2) == PKS_OK);
	CHECK(c.nbits == 2 && c.b[0] == 0x80);
	CHECK(ptree_prefix_child(&c, &c, 3) == PKS_OK && c.b[0] == 0xb0);
	CHECK(ptree_prefix_set(&p, 3, junk, 1) == PKS_OK && p.b[0] == 0xe0);
	CHECK(ptree_prefix_set(&p, 9, junk, 1) == PKS_ERR_PARSE);
	CHECK(ptree_prefix_set(&p, 200, NULL, 25) == PKS_ERR_PARSE);
	/* md5[0] = 10 01 11 00 */
	zzp_from_md5(&x, md5);
	CHECK(ptree_child_index(&x, 0) == 2 && ptree_child_index(&x, 1) == 1);
	CHECK(ptree_child_index(&x, 2) == 3 && ptree_child_index(&x, 3) == 0);
}

int
main(void)
{
	RUN(test_field_vs_gmp);
	RUN(test_field_laws);
	RUN(test_wire_example);
	RUN(test_points);
	RUN(test_prefix);
	RUN(test_poly_arith);
	RUN(test_poly_roots);
	RUN(test_solve_recovers);
	RUN(test_solve_too_many);
	RUN(test_solve_garbage);
	RUN(test_tree_split_join);
	RUN(test_tree_random);
	RUN(test_tree_deep_split);
	return tap_done();
}
