/*
 * test_pgp_verify.c: self-signature verification and key material.
 *
 * tests/data/pgp/verify/ holds keys made by gpg 2.2 (RSA, DSA with an
 * Elgamal subkey, ECDSA on the NIST, Brainpool and secp256k1 curves,
 * EdDSA with a Curve25519 subkey), each with two user IDs and signing
 * subkeys: every self-signature must verify, and must stop verifying
 * when one octet of it, or of what it covers, changes.  The check
 * record is reused on a merge.  Debian's keyring: every self-issued
 * signature is judged, nearly all verify.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgp/pgp_verify.h"
#include "fixture.h"
#include "tap.h"
#include "util/limits.h"

#define KEYRING "/usr/share/keyrings/debian-keyring.gpg"

static const char *const names[] = { "rsa2048", "dsa2048", "nistp256",
	"nistp384", "nistp521", "brainpoolP256r1", "brainpoolP384r1",
	"brainpoolP512r1", "ed25519", "secp256k1" };

static struct pgp_key *
load(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "tests/data/pgp/verify/%s.pgp", name);
	return fixture_key_file(path);
}

/* Count the states of a record. */
static void
count(const struct buf *rec, size_t st[4])
{
	size_t i;

	memset(st, 0, 4 * sizeof(st[0]));
	CHECK(rec->len >= 1 && rec->data[0] == PGP_CHECKS_FORMAT &&
	      (rec->len - 1) % 4 == 0);
	for (i = 1; i + 4 <= rec->len; i += 4)
		st[rec->data[i + 3] & 3]++;
}

static void
test_gpg_keys(void)
{
	size_t i, st[4], n;
	struct buf rec;
	struct pgp_key *k;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		k = load(names[i]);
		if (k == NULL)
			continue;
		buf_init(&rec, 1 << 20);
		CHECK(pgp_key_verify(k, NULL, NULL, 0, &rec, &n) == PKS_OK);
		count(&rec, st);
		/* 2 uid certs, 2 subkey bindings at least. */
		CHECK(st[PGP_SIG_VALID] >= 4);
		CHECK(st[PGP_SIG_BAD] == 0 && st[PGP_SIG_UNCHECKABLE] == 0);
		CHECK(n == st[PGP_SIG_VALID]);
		if (st[PGP_SIG_VALID] < 4 || st[PGP_SIG_BAD] != 0)
			printf("# %s: %zu valid %zu bad %zu uncheckable\n",
			    names[i], st[1], st[2], st[3]);
		buf_free(&rec);
		pgp_key_free(k);
	}
}

/* Flip the last octet of the first uid's first signature, or of the
 * uid itself: the signature no longer verifies. */
static void
test_tampered(void)
{
	size_t i, st[4];
	struct buf rec;
	struct pgp_key *k;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		k = load(names[i]);
		if (k == NULL)
			continue;
		k->uids[0].sigs[0].body[k->uids[0].sigs[0].len - 1] ^= 1;
		k->uids[1].head.body[0] ^= 0x20;
		buf_init(&rec, 1 << 20);
		CHECK(pgp_key_verify(k, NULL, NULL, 0, &rec, NULL) == PKS_OK);
		count(&rec, st);
		CHECK(st[PGP_SIG_BAD] == 2);
		if (st[PGP_SIG_BAD] != 2)
			printf("# %s: %zu bad\n", names[i], st[PGP_SIG_BAD]);
		buf_free(&rec);
		pgp_key_free(k);
	}
}

/* A merge reuses the record: nothing is verified twice. */
static void
test_reuse(void)
{
	struct buf a, b;
	struct pgp_key *k = load("rsa2048");
	uint8_t *st;
	size_t n = 99, i, nvalid = 0;

	if (k == NULL)
		return;
	buf_init(&a, 1 << 20);
	buf_init(&b, 1 << 20);
	CHECK(pgp_key_verify(k, NULL, NULL, 0, &a, NULL) == PKS_OK);
	CHECK(pgp_key_verify(k, k, a.data, a.len, &b, &n) == PKS_OK);
	CHECK(n == 0);
	CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	st = pgp_key_sigstates(k, a.data, a.len);
	for (i = 0; i < pgp_key_npackets(k); i++)
		nvalid += st[i] == PGP_SIG_VALID;
	CHECK(nvalid == (a.len - 1) / 4);
	free(st);
	buf_free(&a);
	buf_free(&b);
	pgp_key_free(k);
}

/* An EdDSA point MPI that claims 65,535 bits in a 51-octet packet. */
static void
test_material(void)
{
	static uint8_t ed[51] = { 4, 0x5f, 0, 0, 0, 22, 9, 0x2b, 6, 1, 4, 1,
		0xda, 0x47, 0x0f, 1, 0xff, 0xff };
	struct pgp_key k;
	struct pks_err e = { 0, NULL };
	struct pgp_key *g = load("ed25519");

	memset(&k, 0, sizeof(k));
	k.key.tag = 6;
	k.key.body = ed;
	k.key.len = sizeof(ed);
	CHECK(pgp_key_check_material(&k, &e) == PKS_ERR_PARSE);
	CHECK(e.why != NULL && strstr(e.why, "primary key") != NULL);
	if (g != NULL) {
		CHECK(pgp_key_check_material(g, &e) == PKS_OK);
		g->subkeys[0].head.len = 20;
		CHECK(pgp_key_check_material(g, &e) == PKS_ERR_PARSE);
		CHECK(e.why != NULL && strstr(e.why, "subkey") != NULL);
		pgp_key_free(g);
	}
}

/* Every key of debian-keyring: self-signatures judged, almost all
 * verify (old keys keep a few SHA-1 or MD5 signatures). */
static void
test_keyring(void)
{
	struct pgp_keyring_iter it;
	struct pks_err e;
	const uint8_t *kp;
	uint8_t *d;
	size_t n = 0, kl, st[4], tot[4] = { 0, 0, 0, 0 }, nkeys = 0, i;
	struct pgp_key *k;
	struct buf rec;

	d = tap_read_file(KEYRING, &n);
	if (d == NULL) {
		tap_skip("test_keyring", "debian-keyring not installed");
		return;
	}
	pgp_keyring_init(&it, d, n);
	buf_init(&rec, PKS_MAX_KEY);
	while (pgp_keyring_next(&it, &kp, &kl, &e) != PKS_ERR_NOTFOUND) {
		if (kp == NULL || pgp_key_parse(kp, kl, &k, &e) != PKS_OK)
			continue;
		buf_reset(&rec);
		CHECK(pgp_key_verify(k, NULL, NULL, 0, &rec, NULL) == PKS_OK);
		count(&rec, st);
		for (i = 0; i < 4; i++)
			tot[i] += st[i];
		nkeys++;
		pgp_key_free(k);
	}
	printf("# %zu keys: %zu valid, %zu bad, %zu uncheckable\n", nkeys,
	    tot[1], tot[2], tot[3]);
	CHECK(nkeys > 900);
	CHECK(tot[PGP_SIG_VALID] > 20 * (tot[PGP_SIG_BAD] + 1));
	buf_free(&rec);
	free(d);
}

int
main(void)
{
	RUN(test_gpg_keys);
	RUN(test_tampered);
	RUN(test_reuse);
	RUN(test_material);
	RUN(test_keyring);
	return tap_done();
}
