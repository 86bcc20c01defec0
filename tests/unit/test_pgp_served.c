/*
 * test_pgp_served.c: which third-party certifications a served key
 * carries ([keys] served_certs_prefer), on every key of Debian's
 * keyring with a small bound so that many user IDs are "flooded".
 *
 * pgp_key_flood_issuers names the issuers of exactly the areas over
 * the bound; the verdicts pgp_checks_mark_known adds keep the record
 * ascending, and change no state pgp_key_sigstates reads but that of a
 * forged certification (bad); with prefer = known every verified
 * certification of an area is served (up to the bound) before any
 * other, a forged one never, and with prefer = newest the verified
 * marks change nothing, nor do the marks of a format 1 record (matched,
 * not verified); pgp_issuers_reuse takes every verdict back
 * from the record.  The keyring's certifications by its own keys
 * verify with pgp_cert_verify, and one with a changed octet does not.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgp/pgp_fpr.h"
#include "pgp/pgp_int.h"
#include "pgp/pgp_verify.h"
#include "tap.h"
#include "util/limits.h"
#include "util/xalloc.h"

#define KEYRING "/usr/share/keyrings/debian-keyring.gpg"
#define BOUND 3

static void
set_prefer(int known)
{
	struct pks_key_limits l = *pks_key_limits();

	l.served_known = known;
	pks_key_limits_set(&l);
}

/* Whether sig is one of the marked issuers' signatures of key. */
static int
is_marked(const struct pgp_key *key, const struct pgp_issuer *v, size_t n,
    const struct pgp_pkt *sig)
{
	size_t i, at, u;

	for (i = 0; i < n; i++) {
		if (v[i].verdict != PGP_ISSUER_VALID)
			continue;
		at = 1 + key->nsigs;
		for (u = 0; u < key->nuids; u++) {
			if (v[i].idx > at &&
			    v[i].idx <= at + key->uids[u].nsigs &&
			    pgp_pkt_equal(
				&key->uids[u].sigs[v[i].idx - at - 1], sig))
				return 1;
			at += 1 + key->uids[u].nsigs;
		}
	}
	return 0;
}

/* Marked issuers of user ID u of key (its flat index range). */
static size_t
marked_in_uid(
    const struct pgp_key *key, const struct pgp_issuer *v, size_t n, size_t u)
{
	size_t i, at = 1 + key->nsigs, k = 0;

	for (i = 0; i < u; i++)
		at += 1 + key->uids[i].nsigs;
	for (i = 0; i < n; i++)
		k += v[i].verdict == PGP_ISSUER_VALID && v[i].idx > at &&
		     v[i].idx <= at + key->uids[u].nsigs;
	return k;
}

/* Served with the marks: per user ID, min(marked, BOUND) marked ones. */
static int
served_prefers(const struct pgp_key *key, const struct pgp_issuer *v, size_t n,
    const struct pgp_key *sv)
{
	size_t u, j, w, got, want;

	for (u = 0; u < key->nuids; u++) {
		want = marked_in_uid(key, v, n, u);
		want = want < BOUND ? want : BOUND;
		for (w = 0; w < sv->nuids; w++)
			if (pgp_pkt_equal(
				&sv->uids[w].head, &key->uids[u].head))
				break;
		if (w == sv->nuids)
			continue; /* no valid self-signature: not served */
		for (got = 0, j = 0; j < sv->uids[w].nsigs; j++)
			got +=
			    (size_t)is_marked(key, v, n, &sv->uids[w].sigs[j]);
		if (got != want)
			return 0;
	}
	return 1;
}

static int
same_bytes(const struct pgp_key *a, const struct pgp_key *b)
{
	struct buf x, y;
	int same;

	buf_init(&x, PKS_MAX_KEY);
	buf_init(&y, PKS_MAX_KEY);
	same = pgp_key_write(a, &x, PGP_HDR_SKS) == PKS_OK &&
	       pgp_key_write(b, &y, PGP_HDR_SKS) == PKS_OK && x.len == y.len &&
	       memcmp(x.data, y.data, x.len) == 0;
	buf_free(&x);
	buf_free(&y);
	return same;
}

/* Counts over the keyring. */
struct tally {
	size_t keys, flooded, issuers, bad_states, bad_order, bad_prefer,
	    bad_newest, bad_reuse, forged_served;
};

/* The verdict the test gives issuer i. */
static enum pgp_verdict
verdict_of(size_t i)
{
	return i % 3 == 0   ? PGP_ISSUER_VALID
	       : i % 3 == 1 ? PGP_ISSUER_FORGED
			    : PGP_ISSUER_UNJUDGED;
}

/* Whether a forged one (v) is among the served sigs of sv. */
static size_t
forged_in(const struct pgp_key *k, const struct pgp_issuer *v, size_t n,
    const struct pgp_key *sv)
{
	struct pgp_issuer w;
	size_t i, j, u, hit = 0;

	for (i = 0; i < n; i++) {
		if (v[i].verdict != PGP_ISSUER_FORGED)
			continue;
		w = v[i];
		w.verdict = PGP_ISSUER_VALID;
		for (u = 0; u < sv->nuids; u++)
			for (j = 0; j < sv->uids[u].nsigs; j++)
				hit += (size_t)is_marked(
				    k, &w, 1, &sv->uids[u].sigs[j]);
	}
	return hit;
}

/* Verdicts cleared and taken back from the record chk. */
static int
reuse_all(const struct pgp_key *k, const struct pgp_issuer *v, size_t n,
    const struct buf *chk)
{
	struct pgp_issuer *w;
	size_t i, want = 0, got;
	int ok = 1;

	if (n == 0)
		return 1;
	w = xreallocarray(NULL, n, sizeof(*w));
	for (i = 0; i < n; i++) {
		w[i] = v[i];
		w[i].verdict = PGP_ISSUER_UNJUDGED;
		want += v[i].verdict != PGP_ISSUER_UNJUDGED;
	}
	got = pgp_issuers_reuse(k, w, n, k, chk->data, chk->len);
	for (i = 0; i < n; i++)
		ok &= w[i].verdict == v[i].verdict;
	free(w);
	return ok && got == want;
}

static void
one_key(const struct pgp_key *k, struct tally *t)
{
	struct pgp_key *plain = NULL, *marked = NULL;
	struct pgp_issuer *v = NULL;
	struct buf rec, chk, out;
	uint8_t *s0, *s1;
	size_t n, i, np = pgp_key_npackets(k);

	buf_init(&rec, PKS_MAX_KEY);
	buf_init(&chk, PKS_MAX_KEY);
	buf_init(&out, PKS_MAX_KEY);
	CHECK(pgp_key_verify(k, NULL, NULL, 0, &rec, NULL) == PKS_OK);
	CHECK(buf_add(&chk, rec.data, rec.len) == PKS_OK);
	n = pgp_key_flood_issuers(k, rec.data, rec.len, BOUND, &v);
	t->keys++;
	t->flooded += n > 0;
	t->issuers += n;
	for (i = 0; i < n; i++)
		v[i].verdict = verdict_of(i);
	CHECK(pgp_checks_mark_known(&chk, v, n) == PKS_OK);
	t->bad_reuse += !reuse_all(k, v, n, &chk);
	for (i = 1; i + 8 <= chk.len; i += 4)
		t->bad_order +=
		    pgp_be32(chk.data + i) >= pgp_be32(chk.data + i + 4);
	s0 = pgp_key_sigstates(k, rec.data, rec.len);
	s1 = pgp_key_sigstates(k, chk.data, chk.len);
	for (i = 0; i < n; i++)
		if (v[i].verdict == PGP_ISSUER_FORGED)
			s0[v[i].idx] = PGP_SIG_BAD;
	t->bad_states += memcmp(s0, s1, np) != 0;
	set_prefer(1);
	CHECK(pgp_key_served(k, chk.data, chk.len, BOUND, &marked, &out) ==
	      PKS_OK);
	t->bad_prefer += marked != NULL && !served_prefers(k, v, n, marked);
	t->forged_served += marked != NULL ? forged_in(k, v, n, marked) : 0;
	pgp_key_free(marked);
	marked = NULL;
	/* prefer = newest: verified marks change nothing, and no forged
	 * one is served either. */
	for (i = 0; i < n; i++)
		if (v[i].verdict == PGP_ISSUER_FORGED)
			v[i].verdict = PGP_ISSUER_UNJUDGED;
	chk.len = 0;
	CHECK(buf_add(&chk, rec.data, rec.len) == PKS_OK);
	CHECK(pgp_checks_mark_known(&chk, v, n) == PKS_OK);
	set_prefer(0);
	CHECK(pgp_key_served(k, chk.data, chk.len, BOUND, &marked, &out) ==
	      PKS_OK);
	CHECK(pgp_key_served(k, rec.data, rec.len, BOUND, &plain, &out) ==
	      PKS_OK);
	t->bad_newest += !same_bytes(marked, plain);
	/* A format 1 record (matched, not verified): its self-signature
	 * states read, its marks are not preferred. */
	pgp_key_free(marked);
	marked = NULL;
	chk.data[0] = PGP_CHECKS_FORMAT_MATCHED;
	set_prefer(1);
	CHECK(pgp_key_served(k, chk.data, chk.len, BOUND, &marked, &out) ==
	      PKS_OK);
	t->bad_newest += !same_bytes(marked, plain);
	pgp_key_free(marked);
	pgp_key_free(plain);
	free(s0);
	free(s1);
	free(v);
	buf_free(&rec);
	buf_free(&chk);
	buf_free(&out);
}

static void
test_keyring(void)
{
	struct pgp_keyring_iter it;
	struct pks_err e;
	struct tally t;
	const uint8_t *kp;
	uint8_t *d;
	size_t n = 0, kl;
	struct pgp_key *k;

	d = tap_read_file(KEYRING, &n);
	if (d == NULL) {
		tap_skip("test_keyring", "debian-keyring not installed");
		return;
	}
	memset(&t, 0, sizeof(t));
	pgp_keyring_init(&it, d, n);
	while (pgp_keyring_next(&it, &kp, &kl, &e) != PKS_ERR_NOTFOUND) {
		if (kp == NULL || pgp_key_parse(kp, kl, &k, &e) != PKS_OK)
			continue;
		one_key(k, &t);
		pgp_key_free(k);
	}
	printf("# %zu keys, %zu with a user ID over %d certifications, "
	       "%zu issuers\n",
	    t.keys, t.flooded, BOUND, t.issuers);
	CHECK(t.keys > 900 && t.flooded > 100);
	CHECK(t.bad_order == 0);
	CHECK(t.bad_states == 0);
	CHECK(t.bad_prefer == 0);
	CHECK(t.bad_newest == 0);
	CHECK(t.bad_reuse == 0);
	CHECK(t.forged_served == 0);
	set_prefer(1);
	free(d);
}

/* The keys of the keyring, and their primary key IDs. */
struct ring {
	struct pgp_key **k;
	uint8_t (*id)[8];
	size_t n;
};

static const struct pgp_key *
ring_find(const struct ring *r, const uint8_t id[8])
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (memcmp(r->id[i], id, 8) == 0)
			return r->k[i];
	return NULL;
}

/* Verify the flooded certifications of k by keys of the ring; *valid,
 * *forged count verdicts, *tampered those still valid once changed. */
static void
verify_by_ring(const struct ring *r, const struct pgp_key *k, size_t *valid,
    size_t *forged, size_t *tampered)
{
	struct pgp_issuer *v = NULL;
	const struct pgp_key *ik;
	const struct pgp_pkt *p;
	struct pgp_key *copy;
	enum pgp_verdict d;
	size_t n, i, u, at;

	n = pgp_key_flood_issuers(k, NULL, 0, BOUND, &v);
	for (i = 0; i < n; i++) {
		if ((ik = ring_find(r, v[i].keyid)) == NULL ||
		    (p = pgp_issuer_packet(ik, &v[i])) == NULL)
			continue;
		d = pgp_cert_verify(k, &v[i], p);
		*valid += d == PGP_ISSUER_VALID;
		*forged += d == PGP_ISSUER_FORGED;
		if (d != PGP_ISSUER_VALID || *valid % 50 != 1)
			continue;
		/* The same signature with its last octet changed. */
		copy = pgp_key_dup(k);
		for (at = 1 + copy->nsigs, u = 0; u < copy->nuids; u++) {
			if (v[i].idx > at &&
			    v[i].idx <= at + copy->uids[u].nsigs)
				copy->uids[u].sigs[v[i].idx - at - 1].body
				    [copy->uids[u].sigs[v[i].idx - at - 1].len -
					1] ^= 0x40;
			at += 1 + copy->uids[u].nsigs;
		}
		*tampered +=
		    pgp_cert_verify(copy, &v[i], p) != PGP_ISSUER_FORGED;
		pgp_key_free(copy);
	}
	free(v);
}

static void
test_cert_verify(void)
{
	struct pgp_keyring_iter it;
	struct pks_err e;
	struct ring r = { NULL, NULL, 0 };
	struct pgp_fpr f;
	const uint8_t *kp;
	uint8_t *d;
	size_t n = 0, kl, i, valid = 0, forged = 0, tampered = 0;
	struct pgp_key *k;

	d = tap_read_file(KEYRING, &n);
	if (d == NULL) {
		tap_skip("test_cert_verify", "debian-keyring not installed");
		return;
	}
	pgp_keyring_init(&it, d, n);
	while (pgp_keyring_next(&it, &kp, &kl, &e) != PKS_ERR_NOTFOUND) {
		if (kp == NULL || pgp_key_parse(kp, kl, &k, &e) != PKS_OK)
			continue;
		if (pgp_fpr_compute(k->key.body, k->key.len, &f, NULL) !=
		    PKS_OK) {
			pgp_key_free(k);
			continue;
		}
		r.k = xreallocarray(r.k, r.n + 1, sizeof(*r.k));
		r.id = xreallocarray(r.id, r.n + 1, sizeof(*r.id));
		r.k[r.n] = k;
		memcpy(r.id[r.n++], f.keyid, 8);
	}
	for (i = 0; i < r.n; i++)
		verify_by_ring(&r, r.k[i], &valid, &forged, &tampered);
	printf("# %zu certifications by keyring keys verify, %zu do not\n",
	    valid, forged);
	CHECK(valid > 1000 && forged < valid / 10);
	CHECK(tampered == 0);
	for (i = 0; i < r.n; i++)
		pgp_key_free(r.k[i]);
	free(r.k);
	free(r.id);
	free(d);
}

/* An ordinary key (no area over the bound) names no issuer, and a
 * bound of 0 none either. */
static void
test_ordinary(void)
{
	struct pgp_keyring_iter it;
	struct pgp_issuer *v = (struct pgp_issuer *)&it;
	struct pks_err e;
	const uint8_t *kp;
	uint8_t *d;
	size_t n = 0, kl, bad = 0, nkeys = 0;
	struct pgp_key *k;

	d = tap_read_file(KEYRING, &n);
	if (d == NULL) {
		tap_skip("test_ordinary", "debian-keyring not installed");
		return;
	}
	pgp_keyring_init(&it, d, n);
	while (pgp_keyring_next(&it, &kp, &kl, &e) != PKS_ERR_NOTFOUND) {
		if (kp == NULL || pgp_key_parse(kp, kl, &k, &e) != PKS_OK)
			continue;
		bad += pgp_key_flood_issuers(k, NULL, 0, 100000, &v) != 0 ||
		       v != NULL;
		bad +=
		    pgp_key_flood_issuers(k, NULL, 0, 0, &v) != 0 || v != NULL;
		nkeys++;
		pgp_key_free(k);
	}
	CHECK(nkeys > 900 && bad == 0);
	free(d);
}

int
main(void)
{
	RUN(test_keyring);
	RUN(test_ordinary);
	RUN(test_cert_verify);
	return tap_done();
}
