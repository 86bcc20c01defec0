/*
 * fuzz_key.c: fuzz target of keyring splitting and key parsing, and of
 * everything done to a key that parses: canonical form (idempotent),
 * hash, writing and parsing back, merging with itself (adds nothing)
 * and with its two halves, index facts and the mr lines, the facts of
 * every signature (pgp_sig_info), the short and verbose listings and
 * the stored form of the listing facts (read back as written).
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pgp/pgp_index.h"
#include "pgp/pgp_listing.h"
#include "pgp/pgp_key.h"
#include "util/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
write_key(const struct pgp_key *k, struct buf *b)
{
	buf_init(b, PKS_MAX_KEY * 2);
	if (pgp_key_write(k, b, PGP_HDR_SKS) != PKS_OK)
		__builtin_trap();
}

static void
check_merges(struct pgp_key *k, const struct buf *w)
{
	struct pgp_key *c = NULL, *delta = NULL;
	struct pks_err err = { 0, NULL };
	size_t added = 1, i;
	struct buf w2;

	if (pgp_key_parse(w->data, w->len, &c, &err) != PKS_OK)
		__builtin_trap();
	if (pgp_key_merge(k, c, &added, &delta) != PKS_OK || added != 0 ||
	    delta != NULL)
		__builtin_trap();
	write_key(k, &w2);
	if (w2.len != w->len || memcmp(w2.data, w->data, w->len) != 0)
		__builtin_trap();
	buf_free(&w2);
	pgp_key_free(c);
	/* The bare primary key with its direct signatures, merged with the
	 * whole key, gives the whole key back. */
	buf_init(&w2, PKS_MAX_KEY * 2);
	if (pgp_packet_write(&w2, k->key.tag, k->key.body, k->key.len,
	    PGP_HDR_SKS) != PKS_OK)
		__builtin_trap();
	for (i = 0; i < k->nsigs; i++)
		if (pgp_packet_write(&w2, 2, k->sigs[i].body, k->sigs[i].len,
		    PGP_HDR_SKS) != PKS_OK)
			__builtin_trap();
	if (pgp_key_parse(w2.data, w2.len, &c, &err) != PKS_OK)
		__builtin_trap();
	if (pgp_key_merge(c, k, &added, &delta) != PKS_OK ||
	    added != pgp_key_npackets(k) - 1 - k->nsigs)
		__builtin_trap();
	buf_free(&w2);
	write_key(c, &w2);
	if (w2.len != w->len || memcmp(w2.data, w->data, w->len) != 0)
		__builtin_trap();
	buf_free(&w2);
	pgp_key_free(delta);
	pgp_key_free(c);
}

/* pgp_sig_info of every signature: zeroed on failure, 'self' only
 * with an issuer, a label for every type. */
static void
check_sigs(const struct pgp_pkt *sigs, size_t n, const struct pgp_fpr *f)
{
	static const struct pgp_sig_info zero;
	struct pgp_sig_info si;
	size_t i;

	for (i = 0; i < n; i++) {
		if (pgp_sig_info(&sigs[i], f, &si) != PKS_OK) {
			if (memcmp(&si, &zero, sizeof(si)) != 0)
				__builtin_trap();
			continue;
		}
		if ((si.self && !si.has_issuer) ||
		    pgp_sig_label(si.type) == NULL)
			__builtin_trap();
	}
}

/* The stored form of the listing facts reads back as it was written. */
static void
check_encoding(const struct pgp_key_info *info)
{
	struct pgp_key_info *back = NULL;
	struct buf a, b;

	buf_init(&a, 4 * 1024 * 1024);
	buf_init(&b, 4 * 1024 * 1024);
	if (pgp_listing_encode(info, &a) != PKS_OK ||
	    pgp_listing_decode(a.data, a.len, &back) != PKS_OK ||
	    pgp_listing_encode(back, &b) != PKS_OK || a.len != b.len ||
	    memcmp(a.data, b.data, a.len) != 0)
		__builtin_trap();
	pgp_key_info_free(back);
	if (a.len > 1 && pgp_listing_decode(a.data, a.len - 1, &back) ==
	    PKS_OK)
		__builtin_trap();
	buf_free(&a);
	buf_free(&b);
}

/* The facts of every signature, and the short and verbose listings
 * (plain style: no issuer names). */
static void
check_listing(const struct pgp_key *k, const struct pgp_key_info *info)
{
	struct buf b;
	size_t i;

	check_sigs(k->sigs, k->nsigs, &info->fpr);
	for (i = 0; i < info->nuids; i++)
		check_sigs(info->uids[i].sigs, info->uids[i].nsigs, &info->fpr);
	for (i = 0; i < k->nsubkeys; i++)
		check_sigs(k->subkeys[i].sigs, k->subkeys[i].nsigs, &info->fpr);
	buf_init(&b, 4 * 1024 * 1024);
	if (pgp_listing_short(&b, info, 1700000000, &pgp_listing_plain) !=
		PKS_OK ||
	    pgp_listing_long(&b, info, 1700000000, &pgp_listing_plain) !=
		PKS_OK)
		__builtin_trap();
	buf_free(&b);
	check_encoding(info);
}

static void
check_info(const struct pgp_key *k)
{
	struct pgp_key_info *info = NULL;
	struct buf b;

	if (pgp_key_info(k, NULL, 0, &info) != PKS_OK)
		return;
	buf_init(&b, 1024 * 1024);
	(void)pgp_index_mr(info, 1700000000, &b);
	buf_reset(&b);
	check_listing(k, info);
	if (pgp_key_write(k, &b, PGP_HDR_OLD_ONLY) != PKS_OK &&
	    b.len != 0)
		__builtin_trap();
	buf_free(&b);
	pgp_key_info_free(info);
}

static void
one_key(const uint8_t *d, size_t n)
{
	struct pgp_key *k = NULL;
	struct pks_err err = { 0, NULL };
	struct buf w1, w2;
	uint8_t h1[16], h2[16];

	if (pgp_key_parse(d, n, &k, &err) != PKS_OK) {
		if (k != NULL || err.why == NULL)
			__builtin_trap();
		return;
	}
	pgp_key_canonicalize(k);
	pgp_key_hash(k, h1);
	write_key(k, &w1);
	pgp_key_canonicalize(k);
	pgp_key_hash(k, h2);
	write_key(k, &w2);
	if (memcmp(h1, h2, 16) != 0 || w1.len != w2.len ||
	    memcmp(w1.data, w2.data, w1.len) != 0)
		__builtin_trap();
	check_merges(k, &w1);
	check_info(k);
	buf_free(&w1);
	buf_free(&w2);
	pgp_key_free(k);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pgp_keyring_iter it;
	struct pks_err err = { 0, NULL };
	const uint8_t *key;
	size_t keylen;
	enum pks_rc rc;

	pgp_keyring_init(&it, data, size);
	for (;;) {
		rc = pgp_keyring_next(&it, &key, &keylen, &err);
		if (rc == PKS_ERR_NOTFOUND)
			break;
		if (key == NULL) {
			if (rc == PKS_OK)
				__builtin_trap();
			continue;
		}
		if (key < data || key + keylen > data + size)
			__builtin_trap();
		if (rc == PKS_OK)
			one_key(key, keylen);
	}
	return 0;
}
