/*
 * test_pgp_key.c: splitting, SKS grammar, canonical form, merge, SKS key
 * hash and writing.
 *
 * Crafted keys check each SKS rule on its own (expected hash computed
 * with Python's hashlib over the packets sorted by (tag, body)).  The
 * debian-keyring checks use facts verified against a live SKS
 * (sks-recon.md §8.3): key 20691DFC... has 97 packets and hash
 * 62DE72FD..., and SKS held all 905 keys under the hashes computed from
 * their packets; 47E12921... is the MD5 of those 905 hashes, sorted,
 * as upper-case hex, concatenated (computed independently in Python).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "pgp/pgp_fpr.h"
#include "pgp/pgp_int.h"
#include "pgp/pgp_key.h"
#include "fixture.h"
#include "tap.h"
#include "util/limits.h"

#define KEYRING "/usr/share/keyrings/debian-keyring.gpg"

/* v4 RSA key packets (64-bit toy moduli) and toy signature bodies. */
static const uint8_t P[] = { 0x04, 0x5f, 0, 0, 0, 1, 0, 0x40, 0xc1, 0xc2,
	0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0, 0x11, 1, 0, 1 };
static const uint8_t Q[] = { 0x04, 0x5f, 0, 0, 1, 1, 0, 0x40, 0xd1, 0xd2,
	0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0, 0x11, 1, 0, 1 };
#define S1 "\004s1"
#define S3 "\004s3xx"
#define X1 "\004zz"
#define X2 "\004aaaa"
#define X3 "\004b"
#define Y "\004y"
#define Z "\004z"

static void
add(struct buf *b, unsigned tag, const void *body, size_t len)
{
	CHECK(pgp_packet_write(b, tag, body, len, PGP_HDR_SKS) == PKS_OK);
}

static void
adds(struct buf *b, unsigned tag, const char *s)
{
	add(b, tag, s, strlen(s));
}

/* 1 if key written SKS-style equals the bytes in want. */
static int
writes_as(const struct pgp_key *k, const struct buf *want)
{
	struct buf b;
	int ok;

	buf_init(&b, PKS_MAX_KEY);
	ok = pgp_key_write(k, &b, PGP_HDR_SKS) == PKS_OK &&
	    b.len == want->len && memcmp(b.data, want->data, b.len) == 0;
	buf_free(&b);
	return ok;
}

static int
hash_is(const struct pgp_key *k, const char *want)
{
	uint8_t h[16];
	char hex[33];

	pgp_key_hash(k, h);
	pgp_hex(h, 16, hex);
	return strcmp(hex, want) == 0;
}

static void
test_dedup_rules(void)
{
	struct buf in, want;
	struct pgp_key *k;

	buf_init(&in, PKS_MAX_KEY);
	add(&in, 6, P, sizeof(P));
	adds(&in, 2, S3);
	adds(&in, 2, S1);
	adds(&in, 2, S1);
	adds(&in, 13, "bb");
	adds(&in, 2, X2);
	adds(&in, 2, X1);
	adds(&in, 2, X1);
	adds(&in, 13, "aaa");
	adds(&in, 2, Y);
	adds(&in, 13, "bb");
	adds(&in, 2, X3);
	adds(&in, 2, X1);
	adds(&in, 13, "ab");
	adds(&in, 2, X2);
	add(&in, 14, Q, sizeof(Q));
	adds(&in, 2, Z);
	k = fixture_key(in.data, in.len);
	if (k == NULL)
		return;
	CHECK(pgp_key_npackets(k) == 17 && k->nuids == 4);
	pgp_key_canonicalize(k);
	/* Direct sigs: a sorted set.  Blocks by (tag, length, body).  The
	 * repeated uid "bb": sorted set of the union, length first.  The
	 * same signature under "ab" and "bb" stays under both. */
	buf_init(&want, PKS_MAX_KEY);
	add(&want, 6, P, sizeof(P));
	adds(&want, 2, S1);
	adds(&want, 2, S3);
	adds(&want, 13, "ab");
	adds(&want, 2, X2);
	adds(&want, 13, "bb");
	adds(&want, 2, X3);
	adds(&want, 2, X1);
	adds(&want, 2, X2);
	adds(&want, 13, "aaa");
	adds(&want, 2, Y);
	add(&want, 14, Q, sizeof(Q));
	adds(&want, 2, Z);
	CHECK(writes_as(k, &want));
	CHECK(pgp_key_npackets(k) == 13);
	CHECK(hash_is(k, "93487E4A3F65E731C76E1314EAD52CB8"));
	pgp_key_canonicalize(k);
	CHECK(writes_as(k, &want));
	pgp_key_free(k);
	buf_free(&in);
	buf_free(&want);
}

/* A uid that occurs once keeps its duplicate signatures. */
static void
test_single_uid_duplicates(void)
{
	struct buf in, more;
	struct pgp_key *k, *copy, *other, *delta = NULL;
	uint8_t h0[16], h1[16];
	size_t added = 99;

	buf_init(&in, PKS_MAX_KEY);
	add(&in, 6, P, sizeof(P));
	adds(&in, 13, "u");
	adds(&in, 2, X2);
	adds(&in, 2, X1);
	adds(&in, 2, X1);
	k = fixture_key(in.data, in.len);
	copy = fixture_key(in.data, in.len);
	if (k == NULL || copy == NULL)
		return;
	pgp_key_canonicalize(k);
	CHECK(writes_as(k, &in));
	pgp_key_hash(k, h0);
	/* An identical copy changes nothing, duplicates and all. */
	CHECK(pgp_key_merge(k, copy, &added, &delta) == PKS_OK);
	CHECK(added == 0 && delta == NULL);
	CHECK(writes_as(k, &in));
	/* A merge whose result has the stored hash changes nothing, even
	 * though it brings a packet (SKS sort_remove): here the direct
	 * signature X1 replaces the duplicate X1 the union of "u" drops. */
	buf_init(&more, PKS_MAX_KEY);
	add(&more, 6, P, sizeof(P));
	adds(&more, 2, X1);
	adds(&more, 13, "u");
	adds(&more, 2, X1);
	other = fixture_key(more.data, more.len);
	CHECK(pgp_key_merge(k, other, &added, &delta) == PKS_OK);
	CHECK(added == 0 && delta == NULL);
	CHECK(writes_as(k, &in));
	pgp_key_free(other);
	buf_free(&more);
	/* A copy with one more signature on "u": SKS unions the lists as a
	 * sorted set, so the duplicate goes and the hash changes. */
	buf_init(&more, PKS_MAX_KEY);
	add(&more, 6, P, sizeof(P));
	adds(&more, 13, "u");
	adds(&more, 2, X2);
	adds(&more, 2, Y);
	other = fixture_key(more.data, more.len);
	CHECK(pgp_key_merge(k, other, &added, &delta) == PKS_OK);
	CHECK(added == 1 && delta != NULL);
	CHECK(pgp_key_npackets(k) == 5);
	CHECK(k->uids[0].nsigs == 3);
	CHECK(k->uids[0].sigs[0].len == 2 && k->uids[0].sigs[2].len == 5);
	pgp_key_hash(k, h1);
	CHECK(memcmp(h0, h1, 16) != 0);
	CHECK(delta != NULL && pgp_key_npackets(delta) == 3);
	pgp_key_free(delta);
	pgp_key_free(k);
	pgp_key_free(copy);
	pgp_key_free(other);
	buf_free(&in);
	buf_free(&more);
}

static void
test_merge_delta(void)
{
	struct buf a, b, w;
	struct pgp_key *ka, *kb, *delta = NULL;
	size_t added = 0;

	buf_init(&a, PKS_MAX_KEY);
	buf_init(&b, PKS_MAX_KEY);
	buf_init(&w, PKS_MAX_KEY);
	add(&a, 6, P, sizeof(P));
	adds(&a, 13, "bb");
	adds(&a, 2, X1);
	add(&b, 6, P, sizeof(P));
	adds(&b, 2, S1);
	adds(&b, 13, "bb");
	adds(&b, 2, X1);
	adds(&b, 2, X3);
	add(&b, 14, Q, sizeof(Q));
	adds(&b, 2, Z);
	ka = fixture_key(a.data, a.len);
	kb = fixture_key(b.data, b.len);
	if (ka == NULL || kb == NULL)
		return;
	CHECK(pgp_key_merge(ka, kb, &added, &delta) == PKS_OK);
	CHECK(added == 4);
	/* The delta: primary, new direct sig, "bb" with its new sig, the
	 * new subkey with its sig. */
	add(&w, 6, P, sizeof(P));
	adds(&w, 2, S1);
	adds(&w, 13, "bb");
	adds(&w, 2, X3);
	add(&w, 14, Q, sizeof(Q));
	adds(&w, 2, Z);
	CHECK(delta != NULL && writes_as(delta, &w));
	/* The merged key: "bb" in both, so a sorted set. */
	buf_reset(&w);
	add(&w, 6, P, sizeof(P));
	adds(&w, 2, S1);
	adds(&w, 13, "bb");
	adds(&w, 2, X3);
	adds(&w, 2, X1);
	add(&w, 14, Q, sizeof(Q));
	adds(&w, 2, Z);
	CHECK(writes_as(ka, &w));
	pgp_key_free(delta);
	/* Merging the other way round gives the same key. */
	CHECK(pgp_key_merge(kb, ka, &added, &delta) == PKS_OK);
	CHECK(added == 0 && delta == NULL);
	/* Different primary keys do not merge. */
	pgp_key_free(ka);
	buf_reset(&a);
	add(&a, 6, Q, sizeof(Q));
	ka = fixture_key(a.data, a.len);
	CHECK(pgp_key_merge(ka, kb, &added, &delta) == PKS_ERR_REFUSED);
	pgp_key_free(ka);
	pgp_key_free(kb);
	buf_free(&a);
	buf_free(&b);
	buf_free(&w);
}

/* Parse the packets in b; returns the rc and the reason. */
static enum pks_rc
parse_rc(const struct buf *b, const char **why)
{
	struct pgp_key *k = NULL;
	struct pks_err e = { 0, NULL };
	enum pks_rc rc;

	rc = pgp_key_parse(b->data, b->len, &k, &e);
	*why = e.why;
	pgp_key_free(k);
	return rc;
}

static void
test_grammar(void)
{
	static const uint8_t trust[] = { 0, 0 };
	uint8_t v[sizeof(P)];
	struct buf b;
	struct pgp_key *k;
	const char *why = NULL;

	buf_init(&b, PKS_MAX_KEY);
	add(&b, 10, "PGP", 3);
	add(&b, 6, P, sizeof(P));
	add(&b, 12, trust, 2);
	adds(&b, 13, "u");
	add(&b, 12, trust, 2);
	adds(&b, 2, X1);
	add(&b, 21, "pad", 3);
	k = fixture_key(b.data, b.len);
	CHECK(k != NULL && pgp_key_npackets(k) == 3);
	pgp_key_free(k);

	add(&b, 7, Q, sizeof(Q));
	CHECK(parse_rc(&b, &why) == PKS_ERR_PARSE);
	CHECK(why != NULL && strstr(why, "secret") != NULL);
	buf_reset(&b);
	add(&b, 5, P, sizeof(P));
	CHECK(parse_rc(&b, &why) == PKS_ERR_PARSE);
	CHECK(why != NULL && strstr(why, "secret") != NULL);

	buf_reset(&b);
	add(&b, 6, P, sizeof(P));
	add(&b, 14, Q, sizeof(Q));
	adds(&b, 13, "u");
	CHECK(parse_rc(&b, &why) == PKS_ERR_PARSE);
	buf_reset(&b);
	add(&b, 6, P, sizeof(P));
	add(&b, 60, "x", 1);
	CHECK(parse_rc(&b, &why) == PKS_ERR_PARSE);
	buf_reset(&b);
	adds(&b, 13, "u");
	CHECK(parse_rc(&b, &why) == PKS_ERR_PARSE);
	buf_reset(&b);
	CHECK(parse_rc(&b, &why) == PKS_ERR_PARSE);

	/* Versions: 7 unsupported; 5 and 6 kept; a v3 key has no subkeys. */
	memcpy(v, P, sizeof(P));
	v[0] = 7;
	buf_reset(&b);
	add(&b, 6, v, sizeof(v));
	CHECK(parse_rc(&b, &why) == PKS_ERR_UNSUPPORTED);
	v[0] = 3;
	buf_reset(&b);
	add(&b, 6, v, sizeof(v));
	CHECK(parse_rc(&b, &why) == PKS_ERR_PARSE);
	{
		/* v3: version, ctime, validity days, algo, n, e */
		static const uint8_t v3[] = { 3, 0x30, 0, 0, 0, 0, 0, 1, 0,
			0x40, 0xc1, 2, 3, 4, 5, 6, 7, 8, 0, 2, 3 };

		buf_reset(&b);
		add(&b, 6, v3, sizeof(v3));
		adds(&b, 13, "u");
		CHECK(parse_rc(&b, &why) == PKS_OK);
		add(&b, 14, Q, sizeof(Q));
		CHECK(parse_rc(&b, &why) == PKS_ERR_PARSE);
	}
	/* An unknown algorithm is kept. */
	memcpy(v, P, sizeof(P));
	v[5] = 99;
	buf_reset(&b);
	add(&b, 6, v, sizeof(v));
	add(&b, 14, Q, sizeof(Q));
	CHECK(parse_rc(&b, &why) == PKS_OK);
	buf_free(&b);
}

static void
test_keyring_split(void)
{
	static const uint8_t rev[] = { 4, 0x20, 1, 8, 0, 0, 0, 0 };
	static const uint8_t mark[] = { 'P', 'G', 'P' };
	struct pgp_keyring_iter it;
	struct pks_err e = { 0, NULL };
	const uint8_t *key;
	size_t n;
	struct buf b;

	buf_init(&b, PKS_MAX_KEY);
	add(&b, 10, mark, 3);
	add(&b, 2, rev, sizeof(rev));
	add(&b, 6, P, sizeof(P));
	adds(&b, 13, "u");
	add(&b, 6, Q, sizeof(Q));
	add(&b, 5, P, sizeof(P));
	adds(&b, 13, "v");
	add(&b, 6, P, sizeof(P));
	buf_addc(&b, 0x00);
	pgp_keyring_init(&it, b.data, b.len);
	CHECK(pgp_keyring_next(&it, &key, &n, &e) == PKS_ERR_PARSE);
	CHECK(key != NULL && strstr(e.why, "revocation") != NULL);
	CHECK(pgp_keyring_next(&it, &key, &n, &e) == PKS_OK);
	CHECK(n == 2 + sizeof(P) + 3);
	CHECK(pgp_keyring_next(&it, &key, &n, &e) == PKS_OK);
	CHECK(n == 2 + sizeof(Q) + 2 + sizeof(P) + 3);
	/* The last key ends in a framing error: it ends the iteration. */
	CHECK(pgp_keyring_next(&it, &key, &n, &e) == PKS_ERR_PARSE);
	CHECK(key == NULL);
	CHECK(pgp_keyring_next(&it, &key, &n, &e) == PKS_ERR_NOTFOUND);
	buf_free(&b);
}

/* ---- debian-keyring ---- */

static uint8_t *ring;
static size_t ringlen;

/* The two halves of a key: even and odd uid and subkey blocks. */
static struct pgp_key *
half(const struct pgp_key *k, size_t parity)
{
	struct pgp_key *h = pgp_key_dup(k);
	size_t i, n = 0, m = 0;

	for (i = 0; i < h->nuids; i++) {
		if (i % 2 == parity)
			h->uids[n++] = h->uids[i];
		else {
			free(h->uids[i].head.body);
			while (h->uids[i].nsigs > 0)
				free(h->uids[i].sigs[--h->uids[i].nsigs].body);
			free(h->uids[i].sigs);
		}
	}
	h->nuids = n;
	for (i = 0; i < h->nsubkeys; i++) {
		if (i % 2 == parity)
			h->subkeys[m++] = h->subkeys[i];
		else {
			free(h->subkeys[i].head.body);
			while (h->subkeys[i].nsigs > 0)
				free(h->subkeys[i].sigs[--h->subkeys[i].nsigs].body);
			free(h->subkeys[i].sigs);
		}
	}
	h->nsubkeys = m;
	return h;
}

/* Write k SKS-style into a new buffer. */
static void
write_key(const struct pgp_key *k, struct buf *b)
{
	buf_init(b, PKS_MAX_KEY);
	CHECK(pgp_key_write(k, b, PGP_HDR_SKS) == PKS_OK);
}

/* Every check on one canonical key of the keyring. */
static void
check_ring_key(struct pgp_key *k, int *bad)
{
	struct buf w1;
	struct pgp_key *c, *a, *h2, *delta = NULL;
	size_t added = 9;
	uint8_t h[16], hc[16];

	write_key(k, &w1);
	pgp_key_hash(k, h);
	/* Idempotent. */
	pgp_key_canonicalize(k);
	*bad += !writes_as(k, &w1);
	/* Write -> parse -> write. */
	c = fixture_key(w1.data, w1.len);
	*bad += c == NULL || !writes_as(c, &w1);
	/* Merging with itself adds nothing and keeps hash and bytes. */
	if (c != NULL) {
		*bad += pgp_key_merge(k, c, &added, &delta) != PKS_OK ||
		    added != 0 || delta != NULL || !writes_as(k, &w1);
		pgp_key_free(c);
	}
	/* Two halves merge back into the whole. */
	a = half(k, 0);
	h2 = half(k, 1);
	*bad += pgp_key_merge(a, h2, &added, NULL) != PKS_OK ||
	    !writes_as(a, &w1);
	pgp_key_hash(a, hc);
	*bad += memcmp(h, hc, 16) != 0;
	*bad += added != pgp_key_npackets(h2) - 1 - h2->nsigs;
	pgp_key_free(a);
	pgp_key_free(h2);
	buf_free(&w1);
}

static void
test_debian_keyring(void)
{
	struct pgp_keyring_iter it;
	struct pks_err e = { 0, NULL };
	const uint8_t *kd;
	size_t kn, nkeys = 0, nbad = 0;
	struct pgp_key *k;
	uint8_t h[16];
	char hex[33], *all = calloc(905, 32);
	int bad = 0;

	pgp_keyring_init(&it, ring, ringlen);
	while (pgp_keyring_next(&it, &kd, &kn, &e) == PKS_OK) {
		if (pgp_key_parse(kd, kn, &k, &e) != PKS_OK) {
			nbad++;
			continue;
		}
		pgp_key_canonicalize(k);
		pgp_key_hash(k, h);
		pgp_hex(h, 16, hex);
		if (nkeys < 905)
			memcpy(all + 32 * nkeys, hex, 32);
		nkeys++;
		check_ring_key(k, &bad);
		pgp_key_free(k);
	}
	CHECK(it.off == ringlen);
	CHECK(nkeys == 905 && nbad == 0);
	CHECK(bad == 0);
	if (nkeys == 905) {
		/* Sort the hashes (insertion sort: 905 entries) and hash. */
		size_t i, j;
		char t[32];

		for (i = 1; i < 905; i++)
			for (j = i; j > 0 && memcmp(all + 32 * (j - 1),
			    all + 32 * j, 32) > 0; j--) {
				memcpy(t, all + 32 * j, 32);
				memcpy(all + 32 * j, all + 32 * (j - 1), 32);
				memcpy(all + 32 * (j - 1), t, 32);
			}
		pgp_md5(all, 905 * 32, h);
		pgp_hex(h, 16, hex);
		CHECK(strcmp(hex, "47E129218835571C114E1D38A18D0E49") == 0);
	}
	free(all);
}

static void
test_known_key(void)
{
	struct pgp_keyring_iter it;
	struct pks_err e = { 0, NULL };
	const uint8_t *kd;
	size_t kn, i, nsigs;
	struct pgp_key *k = NULL;
	struct pgp_fpr f;
	char hex[65];

	pgp_keyring_init(&it, ring, ringlen);
	while (pgp_keyring_next(&it, &kd, &kn, &e) == PKS_OK) {
		if (pgp_key_parse(kd, kn, &k, &e) != PKS_OK)
			continue;
		if (pgp_fpr_compute(k->key.body, k->key.len, &f, &e) == PKS_OK) {
			pgp_hex(f.fpr, f.len, hex);
			if (strcmp(hex, "20691DFCC2C98C47952984EE00018C22381A7594")
			    == 0)
				break;
		}
		pgp_key_free(k);
		k = NULL;
	}
	CHECK(k != NULL);
	if (k == NULL)
		return;
	nsigs = k->nsigs;
	for (i = 0; i < k->nuids; i++)
		nsigs += k->uids[i].nsigs;
	for (i = 0; i < k->nsubkeys; i++)
		nsigs += k->subkeys[i].nsigs;
	CHECK(pgp_key_npackets(k) == 97);
	CHECK(nsigs == 85 && k->nuids == 9 && k->nsubkeys == 2);
	CHECK(k->key.len == 525 && pgp_key_version(k) == 4);
	pgp_key_canonicalize(k);
	CHECK(pgp_key_npackets(k) == 97);
	CHECK(hash_is(k, "62DE72FD503A3D71992C9E58E235E285"));
	pgp_key_free(k);
}

int
main(void)
{
	pgp_init();
	RUN(test_dedup_rules);
	RUN(test_single_uid_duplicates);
	RUN(test_merge_delta);
	RUN(test_grammar);
	RUN(test_keyring_split);
	ring = tap_read_file(KEYRING, &ringlen);
	if (ring != NULL) {
		RUN(test_known_key);
		RUN(test_debian_keyring);
	} else {
		tap_skip("test_known_key", KEYRING " not installed");
		tap_skip("test_debian_keyring", KEYRING " not installed");
	}
	free(ring);
	return tap_done();
}
