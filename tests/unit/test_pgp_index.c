/*
 * test_pgp_index.c: key facts and the machine-readable index.
 *
 * Facts of the debian-keyring keys are gpg's ("gpg --with-colons
 * --list-keys" of the same keys); crafted keys check curves, primary
 * user ID, revocations (user IDs revoked by their owner, with or
 * without a self-certification), expiry and %-escaping; the listing
 * renderers and the stored form of the listing facts.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pgp/pgp_index.h"
#include "pgp/pgp_listing.h"
#include "pgpsign.h"
#include "fixture.h"
#include "tap.h"
#include "util/limits.h"

#define KEYRING "/usr/share/keyrings/debian-keyring.gpg"
#define KCTIME 0x5f000000u   /* 1593835520 */

static const uint8_t P[] = { 0x04, 0x5f, 0, 0, 0, 1, 0, 0x40, 0xc1, 0xc2,
	0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0, 0x11, 1, 0, 1 };
static const uint8_t Q[] = { 0x04, 0x5f, 0, 0, 1, 1, 0, 0x40, 0xd1, 0xd2,
	0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0, 0x11, 1, 0, 1 };

static void
add_pkt(struct buf *b, unsigned tag, const void *p, size_t n)
{
	CHECK(pgp_packet_write(b, tag, p, n, PGP_HDR_SKS) == PKS_OK);
}

static void
mr_is(const struct pgp_key_info *info, time_t now, const char *want)
{
	struct buf b;

	buf_init(&b, 65536);
	CHECK(pgp_index_mr(info, now, &b) == PKS_OK);
	CHECK(b.data != NULL && strcmp((char *)b.data, want) == 0);
	if (b.data == NULL || strcmp((char *)b.data, want) != 0)
		printf("# got:\n%s# want:\n%s", b.data ? (char *)b.data : "",
		    want);
	buf_free(&b);
}

static struct tsigner signer;

/* One real (or forged) signature by the test signer. */
static void
sign(struct buf *b, unsigned type, uint32_t ctime, uint32_t kexp,
    int primary, const uint8_t *issuer, unsigned ttag, const void *t,
    size_t tlen)
{
	struct tsig o;

	memset(&o, 0, sizeof(o));
	o.type = type;
	o.ctime = ctime;
	o.key_expiry = kexp;
	o.primary = primary;
	o.issuer = issuer;
	o.forge = issuer != NULL; /* another issuer: cannot be checked */
	tsigner_sign(&signer, &o, ttag, t, tlen, b);
}

/* Forged variants of the crafted key (the attacks of a keyserver
 * that believes issuer subpackets). */
enum forgery {
	FORGE_NONE,
	FORGE_REVOKE,    /* a 0x20 with a broken signature */
	FORGE_PRIMARY,   /* a newer 0x13 on "alice", primary, 1 s expiry */
	FORGE_UID_REV,   /* a 0x30 on "bob" */
	FORGE_SUB_REV,   /* a 0x28 on the subkey */
	FORGE_NEW_UID    /* "Mallory" with a forged self-certification */
};

static void
forged(struct buf *b, unsigned type, uint32_t ctime, uint32_t kexp,
    int primary, unsigned ttag, const void *t, size_t tlen)
{
	struct tsig o;

	memset(&o, 0, sizeof(o));
	o.type = type;
	o.ctime = ctime;
	o.key_expiry = kexp;
	o.primary = primary;
	o.forge = 1;
	tsigner_sign(&signer, &o, ttag, t, tlen, b);
}

/* Build the crafted key; 'revoke' adds a real self-issued 0x20. */
static struct pgp_key *
crafted_f(int revoke, const uint8_t other[8], enum forgery fg)
{
	struct buf b;
	struct pgp_key *k;
	static const uint8_t uat[] = { 5, 1, 0x10, 0, 1, 0 };

	buf_init(&b, PKS_MAX_KEY);
	add_pkt(&b, 6, signer.pkt, signer.pktlen);
	sign(&b, 0x20, KCTIME + 50, 0, 0, other, 0, NULL, 0);
	if (revoke)
		sign(&b, 0x20, KCTIME + 60, 0, 0, NULL, 0, NULL, 0);
	if (fg == FORGE_REVOKE)
		forged(&b, 0x20, KCTIME + 65, 0, 0, 0, NULL, 0);
	add_pkt(&b, 13, "alice", 5);
	sign(&b, 0x13, KCTIME + 10, 0, 0, NULL, 13, "alice", 5);
	sign(&b, 0x10, KCTIME + 40, 0, 0, other, 13, "alice", 5);
	if (fg == FORGE_PRIMARY)
		forged(&b, 0x13, KCTIME + 90, 1, 1, 13, "alice", 5);
	add_pkt(&b, 13, "bob", 3);
	sign(&b, 0x13, KCTIME + 20, 1000, 1, NULL, 13, "bob", 3);
	if (fg == FORGE_UID_REV)
		forged(&b, 0x30, KCTIME + 90, 0, 0, 13, "bob", 3);
	add_pkt(&b, 13, "carol", 5);
	sign(&b, 0x13, KCTIME + 10, 0, 0, NULL, 13, "carol", 5);
	sign(&b, 0x30, KCTIME + 30, 0, 0, NULL, 13, "carol", 5);
	if (fg == FORGE_NEW_UID) {
		add_pkt(&b, 13, "mallory", 7);
		forged(&b, 0x13, KCTIME + 95, 0, 1, 13, "mallory", 7);
	}
	add_pkt(&b, 17, uat, sizeof(uat));
	sign(&b, 0x13, KCTIME + 10, 0, 0, NULL, 17, uat, sizeof(uat));
	add_pkt(&b, 14, Q, sizeof(Q));
	sign(&b, 0x18, KCTIME + 10, 500, 0, NULL, 14, Q, sizeof(Q));
	sign(&b, 0x28, KCTIME + 70, 0, 0, NULL, 14, Q, sizeof(Q));
	if (fg == FORGE_SUB_REV) {
		add_pkt(&b, 14, P, sizeof(P));
		sign(&b, 0x18, KCTIME + 10, 0, 0, NULL, 14, P, sizeof(P));
		forged(&b, 0x28, KCTIME + 90, 0, 0, 14, P, sizeof(P));
	}
	k = fixture_key(b.data, b.len);
	buf_free(&b);
	return k;
}

static struct pgp_key *
crafted(int revoke, const uint8_t other[8])
{
	return crafted_f(revoke, other, FORGE_NONE);
}

static void
test_crafted_facts(void)
{
	static const uint8_t other[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct pgp_key *k = crafted(0, other), *r = crafted(1, other);
	struct pgp_key_info *info = NULL, *rinfo = NULL;
	char fpr[41], want[512];

	if (k == NULL || r == NULL)
		return;
	CHECK(pgp_key_info(k, NULL, 0, &info) == PKS_OK);
	CHECK(pgp_key_info(r, NULL, 0, &rinfo) == PKS_OK);
	CHECK(info->algo == 22 && info->bits == 255 && info->version == 4);
	CHECK(info->ctime == KCTIME && info->expires == KCTIME + 1000);
	CHECK(!info->revoked && rinfo->revoked);
	CHECK(info->nuids == 4);
	CHECK(info->uids[0].len == 3 && memcmp(info->uids[0].text, "bob", 3) ==
	    0 && info->uids[0].primary);
	CHECK(info->uids[1].len == 5 && memcmp(info->uids[1].text, "alice",
	    5) == 0 && info->uids[1].ctime == KCTIME + 10);
	CHECK(info->uids[2].revoked && !info->uids[1].revoked);
	CHECK(info->uids[3].is_uat);
	CHECK(info->nsubkeys == 1 && info->subkeys[0].revoked);
	CHECK(info->subkeys[0].expires == KCTIME + 1 + 500);
	CHECK(info->subkeys[0].algo == 1 && info->subkeys[0].bits == 64);
	pgp_hex(info->fpr.fpr, 20, fpr);
	snprintf(want, sizeof(want), "pub:%s:22:255:1593835520:1593836520:\n"
	    "uid:bob:1593835540::\nuid:alice:1593835530::\n"
	    "uid:carol:1593835530::r\n", fpr);
	mr_is(info, KCTIME, want);
	snprintf(want, sizeof(want), "pub:%s:22:255:1593835520:1593836520:re\n"
	    "uid:bob:1593835540::\nuid:alice:1593835530::\n"
	    "uid:carol:1593835530::r\n", fpr);
	mr_is(rinfo, KCTIME + 1000, want);
	pgp_key_info_free(info);
	pgp_key_info_free(rinfo);
	pgp_key_free(k);
	pgp_key_free(r);
}

/* Forged signatures change nothing: the facts are those of the key
 * without them, and a user ID with only a forged self-certification
 * is not listed. */
static void
test_forged_facts(void)
{
	static const uint8_t other[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct pgp_key_info *base = NULL, *info = NULL;
	struct pgp_key *k0 = crafted(0, other), *k;
	struct buf a, b;
	int fg;

	if (k0 == NULL)
		return;
	CHECK(pgp_key_info(k0, NULL, 0, &base) == PKS_OK);
	buf_init(&a, 65536);
	CHECK(pgp_index_mr(base, KCTIME, &a) == PKS_OK);
	for (fg = FORGE_REVOKE; fg <= FORGE_NEW_UID; fg++) {
		k = crafted_f(0, other, (enum forgery)fg);
		if (k == NULL)
			continue;
		CHECK(pgp_key_info(k, NULL, 0, &info) == PKS_OK);
		buf_init(&b, 65536);
		CHECK(pgp_index_mr(info, KCTIME, &b) == PKS_OK);
		CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
		if (a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
			printf("# forgery %d:\n%s", fg, (char *)b.data);
		CHECK(!info->revoked && info->nuids == base->nuids);
		CHECK(fg == FORGE_SUB_REV ? info->nsubkeys == 2 &&
			  !info->subkeys[1].revoked
					  : info->nsubkeys == 1);
		buf_free(&b);
		pgp_key_info_free(info);
		pgp_key_free(k);
	}
	buf_free(&a);
	pgp_key_info_free(base);
	pgp_key_free(k0);
}

/*
 * User IDs whose owner revoked them (gpg 2.2: import.c chk_self_sigs
 * keeps a user ID with any verified self-certification or 0x30;
 * getkey.c fixup_uidnode lets the newest decide):
 *   "keep"       a 0x13: the primary
 *   "revonly"    only a verified 0x30 (and a third-party certification):
 *                kept, revoked, no creation time
 *   "forgedrev"  only a forged 0x30: dropped
 *   "certrev"    a 0x13 (with a key expiry) then a newer 0x30: kept,
 *                revoked, and the key takes no expiry from it
 *   "revcert"    a 0x30 then a newer 0x13: kept, not revoked
 *   "none"       only a third-party certification: dropped
 *   a user attribute with only a verified 0x30: kept, revoked.
 */
static struct pgp_key *
revoked_uids_key(struct buf *b)
{
	static const uint8_t other[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	static const uint8_t uat[] = { 5, 1, 0x10, 0, 1, 0 };

	add_pkt(b, 6, signer.pkt, signer.pktlen);
	add_pkt(b, 13, "keep", 4);
	sign(b, 0x13, KCTIME + 40, 0, 0, NULL, 13, "keep", 4);
	add_pkt(b, 13, "revonly", 7);
	sign(b, 0x30, KCTIME + 30, 0, 0, NULL, 13, "revonly", 7);
	sign(b, 0x10, KCTIME + 35, 0, 0, other, 13, "revonly", 7);
	add_pkt(b, 13, "forgedrev", 9);
	forged(b, 0x30, KCTIME + 30, 0, 0, 13, "forgedrev", 9);
	add_pkt(b, 13, "certrev", 7);
	sign(b, 0x13, KCTIME + 10, 500, 0, NULL, 13, "certrev", 7);
	sign(b, 0x30, KCTIME + 30, 0, 0, NULL, 13, "certrev", 7);
	add_pkt(b, 13, "revcert", 7);
	sign(b, 0x30, KCTIME + 10, 0, 0, NULL, 13, "revcert", 7);
	sign(b, 0x13, KCTIME + 30, 0, 0, NULL, 13, "revcert", 7);
	add_pkt(b, 13, "none", 4);
	sign(b, 0x10, KCTIME + 30, 0, 0, other, 13, "none", 4);
	add_pkt(b, 17, uat, sizeof(uat));
	sign(b, 0x30, KCTIME + 30, 0, 0, NULL, 17, uat, sizeof(uat));
	return fixture_key(b->data, b->len);
}

/* The block of k whose head is tag 'tag' with text t (n octets). */
static const struct pgp_block *
block_of(const struct pgp_key *k, unsigned tag, const void *t, size_t n)
{
	size_t i;

	for (i = 0; i < k->nuids; i++)
		if (k->uids[i].head.tag == tag && k->uids[i].head.len == n &&
		    memcmp(k->uids[i].head.body, t, n) == 0)
			return &k->uids[i];
	return NULL;
}

/* Whether block b holds a signature of type 'type'. */
static int
has_sig_type(const struct pgp_block *b, unsigned type)
{
	size_t i;

	for (i = 0; b != NULL && i < b->nsigs; i++)
		if (b->sigs[i].len > 1 && b->sigs[i].body[1] == type)
			return 1;
	return 0;
}

static void
test_revoked_uids(void)
{
	static const uint8_t uat[] = { 5, 1, 0x10, 0, 1, 0 };
	struct pgp_key *k, *sv = NULL;
	struct pgp_key_info *info = NULL;
	struct pks_err err = { 0, NULL };
	const struct pgp_block *u;
	struct buf b, enc;
	char fpr[41], want[512];

	buf_init(&b, PKS_MAX_KEY);
	k = revoked_uids_key(&b);
	if (k == NULL || pgp_key_info(k, NULL, 0, &info) != PKS_OK) {
		CHECK(0);
		buf_free(&b);
		pgp_key_free(k);
		return;
	}
	CHECK(info->nuids == 5 && info->uids[0].primary);
	CHECK(info->expires == 0);
	CHECK(info->nuids == 5 && info->uids[4].is_uat &&
	    info->uids[4].revoked && info->uids[4].valid);
	pgp_hex(info->fpr.fpr, 20, fpr);
	snprintf(want, sizeof(want),
	    "pub:%s:22:255:1593835520::\nuid:keep:1593835560::\n"
	    "uid:revonly:::r\nuid:certrev:1593835530::r\n"
	    "uid:revcert:1593835550::\n",
	    fpr);
	mr_is(info, KCTIME, want);
	/* vindex and mail VERBOSE INDEX mark it so. */
	buf_init(&enc, 65536);
	CHECK(pgp_listing_short(&enc, info, KCTIME, &pgp_listing_plain) ==
	    PKS_OK);
	CHECK(enc.data != NULL &&
	    strstr((char *)enc.data, " revonly [revoked]\n") != NULL &&
	    strstr((char *)enc.data, " revcert\n") != NULL &&
	    strstr((char *)enc.data, "forgedrev") == NULL);
	buf_reset(&enc);
	/* The stored listing facts say the same. */
	CHECK(pgp_listing_encode(info, &enc) == PKS_OK);
	pgp_key_info_free(info);
	info = NULL;
	CHECK(pgp_listing_decode(enc.data, enc.len, &info) == PKS_OK);
	if (info != NULL)
		mr_is(info, KCTIME, want);
	pgp_key_info_free(info);
	info = NULL;
	/* The served key: the same user IDs, each with its verified
	 * self-signatures (the revocations too) and its certification. */
	CHECK(pgp_key_listing(b.data, b.len, NULL, 0, 5, &sv, &info, &err) ==
	    PKS_OK);
	if (sv != NULL && info != NULL) {
		CHECK(sv->nuids == 5);
		mr_is(info, KCTIME, want);
		u = block_of(sv, 13, "revonly", 7);
		CHECK(u != NULL && u->nsigs == 2 && has_sig_type(u, 0x30) &&
		    has_sig_type(u, 0x10));
		u = block_of(sv, 13, "certrev", 7);
		CHECK(u != NULL && u->nsigs == 2 && has_sig_type(u, 0x30));
		u = block_of(sv, 13, "revcert", 7);
		CHECK(u != NULL && u->nsigs == 2 && has_sig_type(u, 0x13));
		u = block_of(sv, 17, uat, sizeof(uat));
		CHECK(u != NULL && u->nsigs == 1 && has_sig_type(u, 0x30));
		CHECK(block_of(sv, 13, "forgedrev", 9) == NULL);
		CHECK(block_of(sv, 13, "none", 4) == NULL);
	}
	pgp_key_info_free(info);
	pgp_key_free(sv);
	buf_free(&enc);
	buf_free(&b);
	pgp_key_free(k);
}

/* A signature packet from its body bytes. */
static struct pgp_pkt
sig_pkt(const uint8_t *body, size_t n)
{
	struct pgp_pkt p;

	p.tag = 2;
	p.len = n;
	p.body = (uint8_t *)(uintptr_t)body;
	return p;
}

/* pgp_sig_info of a body: rc, and the facts when PKS_OK. */
static enum pks_rc
sig_of(const uint8_t *body, size_t n, const struct pgp_fpr *f,
    struct pgp_sig_info *si)
{
	struct pgp_pkt p = sig_pkt(body, n);

	return pgp_sig_info(&p, f, si);
}

static void
test_sig_info(void)
{
	static const uint8_t other[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	/* v4 0x13, creation hashed, issuer fingerprint only (v4 fpr). */
	uint8_t v4fpr[64] = { 4, 0x13, 1, 8, 0, 6 + 23, 5, 2, 0x5f, 0, 0, 9,
		22, 33, 4 }, v6fpr[80] = { 4, 0x10, 1, 8, 0, 35, 34, 33, 6 };
	/* v3: version, 5, type, ctime, issuer, algo, hash, left16. */
	static const uint8_t v3[19] = { 3, 5, 0x10, 0x5f, 0, 0, 7, 0xaa, 0xbb,
		0xcc, 0xdd, 0xee, 0xff, 0x11, 0x22, 1, 2, 0, 0 };
	static const uint8_t cut[] = { 4, 0x10, 1, 8, 0, 9, 5, 2, 0x5f };
	static const uint8_t v9[] = { 9, 0x10, 1, 8, 0, 0, 0, 0 };
	struct pgp_sig_info si;
	struct pgp_key *k = crafted(1, other);
	struct pgp_key_info *info = NULL;
	struct pgp_pkt notsig;
	struct pgp_fpr f;
	size_t i;

	CHECK(pgp_fpr_compute(P, sizeof(P), &f, NULL) == PKS_OK);
	/* Issuer fingerprint of the primary key: self, key ID its tail. */
	memcpy(v4fpr + 15, f.fpr, 20);
	v4fpr[35] = 0;
	v4fpr[36] = 0;
	CHECK(sig_of(v4fpr, 37 + 4, &f, &si) == PKS_OK);
	CHECK(si.version == 4 && si.type == 0x13 && si.has_issuer &&
	    si.self && si.ctime == 0x5f000009);
	CHECK(memcmp(si.issuer, f.keyid, 8) == 0);
	/* A 32-octet (v6) issuer fingerprint: the key ID is its head. */
	for (i = 0; i < 32; i++)
		v6fpr[9 + i] = (uint8_t)(0x40 + i);
	v6fpr[41] = 0;
	v6fpr[42] = 0;
	CHECK(sig_of(v6fpr, 43 + 4, &f, &si) == PKS_OK);
	CHECK(si.has_issuer && !si.self && si.ctime == 0 &&
	    si.issuer[0] == 0x40 && si.issuer[7] == 0x47);
	CHECK(sig_of(v3, sizeof(v3), &f, &si) == PKS_OK);
	CHECK(si.version == 3 && si.type == 0x10 && si.ctime == 0x5f000007 &&
	    si.has_issuer && si.issuer[0] == 0xaa && !si.self);
	CHECK(sig_of(cut, sizeof(cut), &f, &si) == PKS_ERR_PARSE &&
	    !si.has_issuer && si.type == 0);
	CHECK(sig_of(v9, sizeof(v9), &f, &si) == PKS_ERR_UNSUPPORTED);
	notsig = sig_pkt(v3, sizeof(v3));
	notsig.tag = 13;
	CHECK(pgp_sig_info(&notsig, &f, &si) == PKS_ERR_PARSE);
	CHECK(strcmp(pgp_sig_label(0x10), "sig") == 0 &&
	    strcmp(pgp_sig_label(0x12), "sig2") == 0 &&
	    strcmp(pgp_sig_label(0x18), "sbind") == 0 &&
	    strcmp(pgp_sig_label(0x30), "revok") == 0 &&
	    strcmp(pgp_sig_label(0x1f), "dsig") == 0 &&
	    strcmp(pgp_sig_label(0x99), "sig") == 0);
	/* Per user ID: its own signatures, also after the primary moved
	 * first ("bob" has one self-sig; "alice" a self-sig and one by
	 * 'other'). */
	if (k == NULL)
		return;
	CHECK(pgp_key_info(k, NULL, 0, &info) == PKS_OK);
	CHECK(info->uids[0].nsigs == 1 && info->uids[1].nsigs == 2 &&
	    info->uids[2].nsigs == 2 && info->uids[3].nsigs == 1);
	CHECK(pgp_sig_info(&info->uids[0].sigs[0], &info->fpr, &si) ==
	    PKS_OK && si.self && si.type == 0x13 && si.ctime == KCTIME + 20);
	CHECK(pgp_sig_info(&info->uids[1].sigs[0], &info->fpr, &si) ==
	    PKS_OK && si.self && si.type == 0x13 && si.ctime == KCTIME + 10);
	CHECK(pgp_sig_info(&info->uids[1].sigs[1], &info->fpr, &si) ==
	    PKS_OK && !si.self && si.type == 0x10 && si.ctime == KCTIME + 40 &&
	    memcmp(si.issuer, other, 8) == 0);
	CHECK(pgp_sig_info(&info->uids[2].sigs[1], &info->fpr, &si) ==
	    PKS_OK && si.self && si.type == 0x30);
	pgp_key_info_free(info);
	pgp_key_free(k);
}

static void
test_escape(void)
{
	static const char uid[] = "J\xc3\xb6hn: 100% <j@x>\x01\x7f~";
	struct buf b;
	struct pgp_key *k;
	struct pgp_key_info *info = NULL;
	char fpr[41], want[256];

	buf_init(&b, PKS_MAX_KEY);
	add_pkt(&b, 6, signer.pkt, signer.pktlen);
	add_pkt(&b, 13, uid, strlen(uid));
	sign(&b, 0x13, KCTIME + 10, 0, 0, NULL, 13, uid, strlen(uid));
	add_pkt(&b, 13, "unsigned", 8);
	k = fixture_key(b.data, b.len);
	if (k == NULL)
		return;
	CHECK(pgp_key_info(k, NULL, 0, &info) == PKS_OK);
	pgp_hex(info->fpr.fpr, 20, fpr);
	snprintf(want, sizeof(want), "pub:%s:22:255:1593835520::\n"
	    "uid:J%%C3%%B6hn%%3A 100%%25 <j@x>%%01%%7F~:1593835530::\n", fpr);
	mr_is(info, 0, want);
	pgp_key_info_free(info);
	pgp_key_free(k);
	buf_free(&b);
}

/* Key facts of a key made of one key packet. */
static void
bits_of(const uint8_t *body, size_t n, unsigned algo, unsigned bits,
    const char *curve)
{
	struct buf b;
	struct pgp_key *k;
	struct pgp_key_info *info = NULL;

	buf_init(&b, PKS_MAX_KEY);
	add_pkt(&b, 6, body, n);
	k = fixture_key(b.data, b.len);
	if (k != NULL) {
		CHECK(pgp_key_info(k, NULL, 0, &info) == PKS_OK);
		CHECK(info->algo == algo && info->bits == bits);
		CHECK(strcmp(info->curve, curve) == 0);
		if (info->bits != bits || strcmp(info->curve, curve) != 0)
			printf("# algo %u: %u bits, curve '%s'\n", algo,
			    info->bits, info->curve);
	}
	pgp_key_info_free(info);
	pgp_key_free(k);
	buf_free(&b);
}

static void
test_curves(void)
{
	static const uint8_t ed[] = { 4, 0x5f, 0, 0, 0, 22, 9, 0x2b, 0x06,
		0x01, 0x04, 0x01, 0xda, 0x47, 0x0f, 0x01, 0, 7, 0x40 };
	static const uint8_t cv[] = { 4, 0x5f, 0, 0, 0, 18, 10, 0x2b, 0x06,
		0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01, 0, 7, 0x40,
		3, 1, 8, 7 };
	static const uint8_t p384[] = { 4, 0x5f, 0, 0, 0, 19, 5, 0x2b, 0x81,
		0x04, 0x00, 0x22, 0, 3, 4 };
	static const uint8_t bp512[] = { 4, 0x5f, 0, 0, 0, 19, 9, 0x2b, 0x24,
		0x03, 0x03, 0x02, 0x08, 0x01, 0x01, 0x0d, 0, 3, 4 };
	static const uint8_t unk[] = { 4, 0x5f, 0, 0, 0, 19, 5, 0x2a, 0x03,
		0x04, 0x86, 0x48, 0, 3, 4 };
	static const uint8_t bad[] = { 4, 0x5f, 0, 0, 0, 19, 9, 0x2a };
	uint8_t v6[10 + 57];

	bits_of(ed, sizeof(ed), 22, 255, "ed25519");
	bits_of(cv, sizeof(cv), 18, 255, "cv25519");
	bits_of(p384, sizeof(p384), 19, 384, "nistp384");
	bits_of(bp512, sizeof(bp512), 19, 512, "brainpoolP512r1");
	bits_of(unk, sizeof(unk), 19, 0, "1.2.3.4.840");
	bits_of(bad, sizeof(bad), 19, 0, "");
	memset(v6, 0x11, sizeof(v6));
	v6[0] = 6;
	v6[5] = 27;
	v6[6] = v6[7] = v6[8] = 0;
	v6[9] = 32;
	bits_of(v6, 42, 27, 255, "ed25519");
	v6[5] = 25;
	bits_of(v6, 42, 25, 255, "cv25519");
	v6[5] = 28;
	v6[9] = 57;
	bits_of(v6, 67, 28, 448, "ed448");
	v6[5] = 26;
	v6[9] = 56;
	bits_of(v6, 66, 26, 448, "cv448");
	v6[5] = 99;
	bits_of(v6, 66, 99, 0, "");
	CHECK(strcmp(pgp_algo_name(22), "EdDSA") == 0);
	CHECK(pgp_algo_name(200) == NULL);
	CHECK(pgp_algo_letter(1) == 'R' && pgp_algo_letter(17) == 'D');
	CHECK(pgp_algo_letter(200) == '?');
}

/* A style with visible escaping and links, to see where each goes. */
static enum pks_rc
t_text(struct buf *out, const void *p, size_t n)
{
	enum pks_rc rc = buf_addc(out, '[');

	if (rc == PKS_OK)
		rc = buf_add(out, p, n);
	return rc == PKS_OK ? buf_addc(out, ']') : rc;
}

static enum pks_rc
t_link(struct buf *out, const char *op, const char *hex)
{
	return buf_printf(out, "<%s:%.4s>", op, hex);
}

static const uint8_t *
t_issuer(void *arg, const uint8_t keyid[8], size_t *len)
{
	(void)arg;
	(void)keyid;
	*len = 4;
	return (const uint8_t *)"Name";
}

static void
text_is(const struct buf *b, const char *want)
{
	CHECK(b->data != NULL && strcmp((char *)b->data, want) == 0);
	if (b->data == NULL || strcmp((char *)b->data, want) != 0)
		printf("# got:\n%s# want:\n%s", b->data ? (char *)b->data : "",
		    want);
}

/* One listing, two styles; the stored facts list the same lines. */
static void
test_listing(void)
{
	static const uint8_t other[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct pgp_listing_style st = { t_text, t_link, "</>", t_issuer, NULL,
		1 };
	struct pgp_key *k = crafted(0, other);
	struct pgp_key_info *info = NULL, *back = NULL;
	struct buf enc, a, b;
	char id[17], want[1024];

	if (k == NULL || pgp_key_info(k, NULL, 0, &info) != PKS_OK)
		return;
	pgp_hex(info->fpr.keyid, 8, id);
	buf_init(&a, 65536);
	buf_init(&b, 65536);
	buf_init(&enc, 65536);
	CHECK(pgp_listing_short(&a, info, KCTIME, &pgp_listing_plain) == PKS_OK);
	snprintf(want, sizeof(want), "pub  255E/%s 2020-07-04 "
	    "[expires: 2020-07-04] bob\n%37s alice\n%37s carol [revoked]\n"
	    "%37s [user attribute]\n", id, "", "", "");
	text_is(&a, want);
	buf_reset(&a);
	CHECK(pgp_listing_short(&a, info, KCTIME + 2000, &st) == PKS_OK);
	CHECK(strstr((char *)a.data, "255E/<get:") != NULL);
	CHECK(strstr((char *)a.data, "[expired: 2020-07-04] <vindex:") != NULL);
	CHECK(strstr((char *)a.data, "[bob]</>\n") != NULL);
	CHECK(strstr((char *)a.data, "     Key fingerprint = ") != NULL);
	buf_reset(&a);
	CHECK(pgp_listing_long(&a, info, KCTIME, &st) == PKS_OK);
	CHECK(strstr((char *)a.data, "\nuid  [alice]\nsig3      <get:") !=
	    NULL);
	CHECK(strstr((char *)a.data, "  [selfsig]\n") != NULL);
	CHECK(strstr((char *)a.data, "\nsub  64R/<get:") != NULL);
	/* Stored form: every renderer gives the same lines from it. */
	CHECK(pgp_listing_encode(info, &enc) == PKS_OK);
	CHECK(pgp_listing_decode(enc.data, enc.len, &back) == PKS_OK);
	if (back != NULL) {
		buf_reset(&a);
		CHECK(pgp_listing_short(&a, info, KCTIME, &st) == PKS_OK);
		CHECK(pgp_listing_short(&b, back, KCTIME, &st) == PKS_OK);
		text_is(&b, (char *)a.data);
		buf_reset(&a);
		buf_reset(&b);
		CHECK(pgp_index_mr(info, KCTIME, &a) == PKS_OK);
		CHECK(pgp_index_mr(back, KCTIME, &b) == PKS_OK);
		text_is(&b, (char *)a.data);
		CHECK(back->nsubkeys == 1 && back->subkeys[0].revoked);
		CHECK(strcmp(back->curve, info->curve) == 0);
	}
	pgp_key_info_free(back);
	back = NULL;
	CHECK(pgp_listing_decode(enc.data, enc.len - 1, &back) ==
	    PKS_ERR_PARSE && back == NULL);
	enc.data[0] = 99;
	CHECK(pgp_listing_decode(enc.data, enc.len, &back) == PKS_ERR_PARSE);
	buf_free(&enc);
	buf_free(&a);
	buf_free(&b);
	pgp_key_info_free(info);
	pgp_key_free(k);
}

static void
test_debian_keys(void)
{
	struct pgp_key *k;
	struct pgp_key_info *info = NULL;
	char fpr[41];

	k = fixture_key_file("tests/data/pgp/rsa-2uid.pgp");
	if (k != NULL && pgp_key_info(k, NULL, 0, &info) == PKS_OK) {
		CHECK(info->algo == 1 && info->bits == 2048);
		CHECK(info->ctime == 1281042461 && info->expires == 1911277903);
		CHECK(info->nuids == 2 && info->uids[0].ctime == 1595917907);
		CHECK(info->uids[0].len == 36 && memcmp(info->uids[0].text,
		    "Shachar Shemesh <shachar@lingnu.com>", 36) == 0);
		CHECK(info->uids[1].ctime == 1595917903);
		CHECK(info->nsubkeys == 1);
		pgp_hex(info->subkeys[0].fpr.fpr, 20, fpr);
		CHECK(strcmp(fpr, "28A89AF3C6B23EC7EA5BD9F55C26DAA37E227DB0") ==
		    0);
		CHECK(info->subkeys[0].ctime == 1281043063);
		CHECK(info->subkeys[0].expires == 1911277923);
		mr_is(info, 1700000000, "pub:F2D643A558B9924C0649207BA0C5AD13"
		    "59CD3653:1:2048:1281042461:1911277903:\n"
		    "uid:Shachar Shemesh <shachar@lingnu.com>:1595917907::\n"
		    "uid:Shachar Shemesh (Debian Developer) <shachar@debian.org>"
		    ":1595917903::\n");
	}
	pgp_key_info_free(info);
	pgp_key_free(k);
	info = NULL;
	k = fixture_key_file("tests/data/pgp/eddsa.pgp");
	if (k != NULL && pgp_key_info(k, NULL, 0, &info) == PKS_OK) {
		CHECK(info->algo == 22 && info->bits == 255);
		CHECK(strcmp(info->curve, "ed25519") == 0);
		CHECK(info->ctime == 1545383542 && info->expires == 0);
		CHECK(info->nsubkeys == 1 && info->subkeys[0].algo == 18 &&
		    info->subkeys[0].bits == 255);
	}
	pgp_key_info_free(info);
	pgp_key_free(k);
	info = NULL;
	k = fixture_key_file("tests/data/pgp/rsa-small.pgp");
	if (k != NULL && pgp_key_info(k, NULL, 0, &info) == PKS_OK) {
		CHECK(info->expires == 1485142689);
		mr_is(info, 1700000000, "pub:7DF3D4B58EAD38D84E554E3B68530A81"
		    "2B47DCDE:1:2048:1259179203:1485142689:e\n"
		    "uid:Jay Bonci <jaybonci@debian.org>:1390534692::\n");
	}
	pgp_key_info_free(info);
	pgp_key_free(k);
}

int
main(void)
{
	pgp_init();
	tsigner_init(&signer, KCTIME);
	RUN(test_crafted_facts);
	RUN(test_forged_facts);
	RUN(test_revoked_uids);
	RUN(test_sig_info);
	RUN(test_escape);
	RUN(test_curves);
	RUN(test_debian_keys);
	RUN(test_listing);
	tsigner_free(&signer);
	return tap_done();
}
