/*
 * test_ingest.c: unit tests of src/ingest: real keys from the Debian
 * keyring (debian-keyring package) merged into a real SQLite file.
 * Skipped when the keyring is not installed.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "tap.h"
#include "ingest/ingest.h"
#include "ingest/ingest_int.h"
#include "pgp/pgp_armor.h"
#include "pgp/pgp_key.h"
#include "pgp/pgp_packet.h"
#include "store/store.h"
#include "store/store_counters.h"
#include "store/store_ptree.h"
#include "util/buf.h"
#include "util/limits.h"

#define KEYRING "/usr/share/keyrings/debian-keyring.gpg"
#define NKEYS 5

static uint8_t *ring;
static size_t ringlen;
/* The first NKEYS keys of the keyring: offsets and lengths. */
static size_t koff[NKEYS], klen[NKEYS];
/* Origins without a sync list: nothing is queued. */
static const struct ingest_origin o_hkp = { INGEST_HKP, NULL, 0, NULL };
static const struct ingest_origin o_import = { INGEST_IMPORT, NULL, 0, NULL };
static const struct ingest_origin o_mail_add = { INGEST_MAIL_ADD, NULL, 0,
	NULL };
static const struct ingest_origin o_mail_incremental = {
	INGEST_MAIL_INCREMENTAL, NULL, 0, NULL
};

struct seen {
	size_t n;
	struct ingest_result r[16];
};

static void
on_result(void *arg, const struct ingest_result *r)
{
	struct seen *s = arg;

	if (s->n < 16)
		s->r[s->n] = *r;
	s->n++;
}

/* One line describing every row the ingest writes, from a separate
 * connection: keys with hash and times, index rows, day counts. */
static char *
snapshot(void)
{
	static const char sql[] =
	    "SELECT (SELECT group_concat(id || '/' || "
	    "hex(hash) || '/' || created || '/' || updated || '/' || "
	    "length(data), ',') FROM (SELECT * FROM keys ORDER BY id)) || "
	    "'|' || (SELECT count(*) FROM keyids) || '|' || "
	    "(SELECT count(*) FROM emails) || '|' || "
	    "(SELECT group_concat(day || nnew || '/' || nupdated) FROM "
	    "stats_days)";
	char out[8192];

	if (!fixture_sql(sql, out, sizeof(out)))
		return NULL;
	return strdup(out[0] != '\0' ? out : "empty");
}

/* Find the first NKEYS keys of the keyring. */
static int
load_keyring(void)
{
	struct pgp_keyring_iter it;
	struct pks_err err;
	const uint8_t *k;
	size_t n = 0;

	ring = tap_read_file(KEYRING, &ringlen);
	if (ring == NULL)
		return 0;
	pgp_keyring_init(&it, ring, ringlen);
	while (
	    n < NKEYS && pgp_keyring_next(&it, &k, &klen[n], &err) == PKS_OK) {
		koff[n] = (size_t)(k - ring);
		n++;
	}
	return n == NKEYS;
}

/* The bytes of key i up to (not including) its second user ID or first
 * subkey: a key that a later full copy adds packets to. */
static size_t
partial_len(size_t i)
{
	const uint8_t *p = ring + koff[i];
	struct pgp_packet pkt;
	struct pks_err err;
	size_t off = 0, at;
	int nuid = 0;

	for (;;) {
		at = off;
		if (pgp_packet_next(p, klen[i], &off, &pkt, &err) != PKS_OK)
			return 0;
		if (pkt.tag == PGP_TAG_UID && ++nuid == 2)
			return at;
		if (pkt.tag == PGP_TAG_PUBSUBKEY)
			return at;
		if (off == klen[i])
			return 0;
	}
}

static void
test_new_then_unchanged(void)
{
	struct store *st = fixture_store(1000);
	struct ingest_stats stats;
	struct store_key k;
	struct seen seen;
	char *before, *after;
	uint8_t hash[16];
	struct pgp_key *key = NULL;
	struct pks_err err;
	int64_t n = 0;
	size_t i;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	memset(&stats, 0, sizeof(stats));
	memset(&seen, 0, sizeof(seen));
	CHECK(ingest_keyring(st, &o_import, ring,
		  koff[NKEYS - 1] + klen[NKEYS - 1], on_result, &seen,
		  &stats) == PKS_OK);
	CHECK(stats.nnew == NKEYS && stats.nrefused == 0 && seen.n == NKEYS);
	CHECK(store_count_keys(st, &n) == PKS_OK && n == NKEYS);
	for (i = 0; i < NKEYS && i < seen.n; i++) {
		CHECK(seen.r[i].outcome == INGEST_NEW && seen.r[i].have_fpr);
		CHECK(seen.r[i].fpr.len == 20 && seen.r[i].added > 0);
		CHECK(store_key_find(st, seen.r[i].fpr.fpr, 20, &k) == PKS_OK);
		CHECK(memcmp(k.hash, seen.r[i].hash, 16) == 0);
		/* The stored hash is the hash of the stored packets. */
		CHECK(pgp_key_parse(k.data, k.len, &key, &err) == PKS_OK);
		if (key != NULL) {
			pgp_key_hash(key, hash);
			CHECK(memcmp(hash, k.hash, 16) == 0);
			pgp_key_free(key);
			key = NULL;
		}
		store_key_clear(&k);
	}
	/* Again: nothing changes, not even a timestamp. */
	CHECK(fixture_script("UPDATE keys SET updated = 7"));
	before = snapshot();
	memset(&seen, 0, sizeof(seen));
	CHECK(ingest_keyring(st, &o_import, ring,
		  koff[NKEYS - 1] + klen[NKEYS - 1], on_result, &seen,
		  &stats) == PKS_OK);
	CHECK(stats.nunchanged == NKEYS && stats.nnew == NKEYS);
	for (i = 0; i < NKEYS && i < seen.n; i++)
		CHECK(seen.r[i].outcome == INGEST_UNCHANGED &&
		      seen.r[i].added == 0);
	after = snapshot();
	CHECK(before != NULL && after != NULL && strcmp(before, after) == 0);
	CHECK(after != NULL && strstr(after, "/7/") != NULL);
	free(before);
	free(after);
	store_close(st);
}

static void
test_partial_then_full(void)
{
	struct store *st = fixture_store(1000);
	struct seen seen;
	uint8_t h1[16];
	size_t plen = 0, i;

	CHECK(st != NULL);
	for (i = 0; i < NKEYS && plen == 0; i++)
		plen = partial_len(i);
	CHECK(plen > 0);
	if (st == NULL || plen == 0) {
		store_close(st);
		return;
	}
	i--;
	memset(&seen, 0, sizeof(seen));
	CHECK(ingest_keyring(st, &o_hkp, ring + koff[i], plen, on_result, &seen,
		  NULL) == PKS_OK);
	CHECK(seen.n == 1 && seen.r[0].outcome == INGEST_NEW);
	memcpy(h1, seen.r[0].hash, 16);
	CHECK(ingest_keyring(st, &o_hkp, ring + koff[i], klen[i], on_result,
		  &seen, NULL) == PKS_OK);
	CHECK(seen.n == 2 && seen.r[1].outcome == INGEST_UPDATED);
	CHECK(seen.r[1].added > 0 && memcmp(h1, seen.r[1].hash, 16) != 0);
	CHECK(memcmp(seen.r[0].fpr.fpr, seen.r[1].fpr.fpr, 20) == 0);
	/* The part again adds nothing to the whole. */
	CHECK(ingest_keyring(st, &o_hkp, ring + koff[i], plen, on_result, &seen,
		  NULL) == PKS_OK);
	CHECK(seen.n == 3 && seen.r[2].outcome == INGEST_UNCHANGED);
	CHECK(memcmp(seen.r[1].hash, seen.r[2].hash, 16) == 0);
	store_close(st);
}

/* Armor key i into b. */
static int
armor_key(size_t i, struct buf *b)
{
	return pgp_armor_encode(ring + koff[i], klen[i], NULL, b) == PKS_OK;
}

/* Good block, damaged block, good block, with junk around, after
 * 'pad' more bytes of junk: a short text is planned before the
 * transaction (ingest_plan.c), one over INGEST_PLAN_MAX is not; the
 * outcomes are the same. */
static void
armored_with(size_t pad)
{
	struct store *st = fixture_store(1000);
	struct ingest_stats stats;
	struct seen seen;
	struct buf b, bad;
	char *p;
	int ok = 1;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	buf_init(&b, PKS_MAX_ARMOR);
	buf_init(&bad, PKS_MAX_ARMOR);
	while (ok && b.len < pad)
		ok = buf_adds(&b, "junk junk junk junk junk junk junk\n") ==
		     PKS_OK;
	ok = ok && buf_adds(&b, "junk before\n") == PKS_OK &&
	     armor_key(0, &b) && armor_key(1, &bad) && armor_key(2, &bad);
	CHECK(ok);
	if (ok) {
		/* Break a base64 character in the middle block. */
		p = strstr((char *)bad.data, "\n\n");
		CHECK(p != NULL && p[5] != '!');
		if (p != NULL)
			p[5] = '!';
		CHECK(buf_add(&b, bad.data, bad.len) == PKS_OK);
		CHECK(buf_adds(&b, "junk after\n") == PKS_OK);
	}
	memset(&stats, 0, sizeof(stats));
	memset(&seen, 0, sizeof(seen));
	CHECK(ingest_text(st, &o_mail_add, (const char *)b.data, b.len,
		  on_result, &seen, &stats) == PKS_OK);
	CHECK(seen.n == 3 && stats.nnew == 2 && stats.nrefused == 1);
	CHECK(seen.r[0].outcome == INGEST_NEW);
	CHECK(seen.r[1].outcome == INGEST_REFUSED && !seen.r[1].have_fpr &&
	      seen.r[1].why != NULL);
	CHECK(seen.r[2].outcome == INGEST_NEW);
	/* Binary through the text door. */
	CHECK(ingest_text(st, &o_mail_add, (const char *)ring + koff[0],
		  klen[0], on_result, &seen, &stats) == PKS_OK);
	CHECK(seen.n == 4 && seen.r[3].outcome == INGEST_UNCHANGED);
	buf_free(&b);
	buf_free(&bad);
	store_close(st);
}

static void
test_armored(void)
{
	armored_with(0);
	armored_with(INGEST_PLAN_MAX + 1);
}

/* The same new key twice in one text, then a block with no key: the
 * first is stored as new, the second (prepared as new before the
 * transaction, found stored in it) merged as unchanged, and the
 * refusals keep their place in the input order. */
static void
test_same_key_twice(void)
{
	struct store *st = fixture_store(1000);
	struct ingest_stats stats;
	struct seen seen;
	struct buf b;
	int ok;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	buf_init(&b, PKS_MAX_ARMOR);
	ok = armor_key(3, &b) && armor_key(3, &b) &&
	     pgp_armor_encode((const uint8_t *)"", 0, NULL, &b) == PKS_OK &&
	     armor_key(4, &b);
	CHECK(ok);
	memset(&stats, 0, sizeof(stats));
	memset(&seen, 0, sizeof(seen));
	CHECK(ingest_text(st, &o_hkp, (const char *)b.data, b.len, on_result,
		  &seen, &stats) == PKS_OK);
	CHECK(seen.n == 4 && stats.nnew == 2 && stats.nunchanged == 1 &&
	      stats.nrefused == 1);
	CHECK(seen.r[0].outcome == INGEST_NEW);
	CHECK(seen.r[1].outcome == INGEST_UNCHANGED);
	CHECK(seen.r[2].outcome == INGEST_REFUSED && !seen.r[2].have_fpr);
	CHECK(seen.r[3].outcome == INGEST_NEW);
	CHECK(memcmp(seen.r[0].hash, seen.r[1].hash, 16) == 0);
	buf_free(&b);
	store_close(st);
}

static void
test_refused(void)
{
	/* A secret-key packet (tag 5), old format, with a short body. */
	static const uint8_t seckey[] = { 0x94, 0x06, 0x04, 0, 0, 0, 0, 22 };
	struct store *st = fixture_store(1000);
	struct ingest_stats stats;
	struct seen seen;
	struct buf b;
	char *before, *after;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	buf_init(&b, PKS_MAX_KEY * 2);
	CHECK(buf_add(&b, seckey, sizeof(seckey)) == PKS_OK);
	CHECK(buf_add(&b, ring + koff[0], klen[0]) == PKS_OK);
	/* A public key carrying a secret subkey packet (tag 7). */
	CHECK(buf_add(&b, ring + koff[1], klen[1]) == PKS_OK);
	CHECK(buf_addc(&b, 0x9c) == PKS_OK && buf_addc(&b, 0x02) == PKS_OK &&
	      buf_addc(&b, 0x04) == PKS_OK && buf_addc(&b, 0x00) == PKS_OK);
	memset(&stats, 0, sizeof(stats));
	memset(&seen, 0, sizeof(seen));
	CHECK(ingest_keyring(st, &o_import, b.data, b.len, on_result, &seen,
		  &stats) == PKS_OK);
	CHECK(seen.n == 3 && stats.nnew == 1 && stats.nrefused == 2);
	CHECK(seen.r[0].outcome == INGEST_REFUSED && seen.r[0].why != NULL);
	CHECK(seen.r[1].outcome == INGEST_NEW);
	CHECK(seen.r[2].outcome == INGEST_REFUSED && seen.r[2].why != NULL);
	/* Bad input changes nothing. */
	before = snapshot();
	memset(&seen, 0, sizeof(seen));
	CHECK(ingest_text(st, &o_hkp, "hello", 5, on_result, &seen, &stats) ==
	      PKS_ERR_NOTFOUND);
	CHECK(ingest_text(st, &o_hkp, "", 0, on_result, &seen, &stats) ==
	      PKS_ERR_NOTFOUND);
	CHECK(ingest_keyring(st, &o_hkp, seckey, sizeof(seckey), on_result,
		  &seen, &stats) == PKS_OK);
	CHECK(ingest_keyring(st, &o_hkp, ring + koff[2], klen[2] / 2, on_result,
		  &seen, &stats) == PKS_OK);
	CHECK(seen.n == 2 && seen.r[0].outcome == INGEST_REFUSED &&
	      seen.r[1].outcome == INGEST_REFUSED);
	CHECK(stats.nnew == 1 && stats.nrefused == 4);
	after = snapshot();
	CHECK(before != NULL && after != NULL && strcmp(before, after) == 0);
	free(before);
	free(after);
	buf_free(&b);
	store_close(st);
}

static void
test_busy_rolls_back(void)
{
	struct store *st = fixture_store(1000), *other = NULL, *slow = NULL;
	struct ingest_stats stats;
	struct seen seen;
	int64_t n = -1;

	CHECK(st != NULL);
	store_close(st);
	CHECK(store_open(fixture_db, 0, 1000, &other) == PKS_OK);
	CHECK(store_open(fixture_db, 0, 50, &slow) == PKS_OK);
	if (other == NULL || slow == NULL) {
		store_close(other);
		store_close(slow);
		return;
	}
	CHECK(store_begin(other) == PKS_OK);
	memset(&stats, 0, sizeof(stats));
	memset(&seen, 0, sizeof(seen));
	CHECK(ingest_keyring(slow, &o_mail_incremental, ring + koff[0], klen[0],
		  on_result, &seen, &stats) == PKS_ERR_BUSY);
	CHECK(seen.n == 0 && stats.nnew == 0);
	store_rollback(other);
	CHECK(ingest_keyring(slow, &o_mail_incremental, ring + koff[0], klen[0],
		  on_result, &seen, &stats) == PKS_OK);
	CHECK(stats.nnew == 1);
	CHECK(store_count_keys(other, &n) == PKS_OK && n == 1);
	store_close(other);
	store_close(slow);
}

/* keys_added and keys_updated grow per source with what is stored;
 * an unchanged key counts nothing. */
static void
test_counts_per_source(void)
{
	static const struct ingest_origin o_recon = { INGEST_RECON, NULL, 0,
		NULL };
	struct store *st = fixture_store(1000);
	size_t plen = 0, i, j;

	CHECK(st != NULL);
	for (i = 0; i < NKEYS && plen == 0; i++)
		plen = partial_len(i);
	CHECK(plen > 0);
	if (st == NULL || plen == 0) {
		store_close(st);
		return;
	}
	i--;
	j = (i + 1) % NKEYS;
	CHECK(ingest_keyring(st, &o_hkp, ring + koff[i], plen, NULL, NULL,
		  NULL) == PKS_OK);
	CHECK(ingest_keyring(st, &o_hkp, ring + koff[i], klen[i], NULL, NULL,
		  NULL) == PKS_OK);
	CHECK(ingest_keyring(st, &o_hkp, ring + koff[i], klen[i], NULL, NULL,
		  NULL) == PKS_OK);
	CHECK(ingest_keyring(st, &o_mail_incremental, ring + koff[j], klen[j],
		  NULL, NULL, NULL) == PKS_OK);
	CHECK(
	    ingest_keyring(st, &o_import, ring,
		koff[NKEYS - 1] + klen[NKEYS - 1], NULL, NULL, NULL) == PKS_OK);
	CHECK(ingest_keyring(st, &o_recon, ring + koff[j], klen[j], NULL, NULL,
		  NULL) == PKS_OK);
	CHECK(fixture_counter(st, STORE_CTR_KEYS_ADDED, "hkp") == 1);
	CHECK(fixture_counter(st, STORE_CTR_KEYS_UPDATED, "hkp") == 1);
	CHECK(fixture_counter(st, STORE_CTR_KEYS_ADDED, "mail") == 1);
	CHECK(fixture_counter(st, STORE_CTR_KEYS_ADDED, "import") == NKEYS - 2);
	CHECK(fixture_counter(st, STORE_CTR_KEYS_UPDATED, "import") == -1);
	CHECK(fixture_counter(st, STORE_CTR_KEYS_ADDED, "recon") == -1);
	store_close(st);
}

static void
count_problem(void *arg, const char *what)
{
	size_t *n = arg;

	(*n)++;
	printf("# tree: %s\n", what);
}

static size_t
tree_problems(struct store *st)
{
	size_t n = 0, cbn = 0;

	if (store_ptree_verify(st, count_problem, &cbn, &n) != PKS_OK)
		return (size_t)-1;
	return n;
}

/*
 * The prefix tree follows the keys through the node cache of a
 * transaction: the whole keyring in one batch, then updates (a partial
 * key first, the whole key after), and a batch that is rolled back
 * leaves the tree exactly as it was.
 */
static void
test_tree_follows_keys(void)
{
	struct store *st = fixture_store(1000);
	size_t plen = 0, i;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	for (i = 0; i < NKEYS && plen == 0; i++)
		plen = partial_len(i);
	i--;
	CHECK(plen > 0);
	CHECK(ingest_keyring(st, &o_import, ring + koff[i], plen, NULL, NULL,
		  NULL) == PKS_OK);
	CHECK(tree_problems(st) == 0);
	CHECK(ingest_keyring(st, &o_import, ring, ringlen, NULL, NULL, NULL) ==
	      PKS_OK);
	CHECK(tree_problems(st) == 0);
	/* A batch that fails half-way: begin (which caches the tree),
	 * insert, roll back. */
	CHECK(store_begin(st) == PKS_OK);
	{
		uint8_t h[16];

		memset(h, 0x5a, sizeof(h));
		CHECK(store_ptree_key_change(st, 0, h, 1) == PKS_OK);
	}
	store_rollback(st);
	CHECK(tree_problems(st) == 0);
	store_close(st);
}

/* A rebuild makes one element of each hash of a key offered to recon:
 * two keys with one hash give one, a key not offered none. */
static void
test_tree_rebuild_distinct(void)
{
	struct store *st = fixture_store(1000);
	char out[64];
	long long offered;
	size_t n = 0;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	CHECK(ingest_keyring(st, &o_import, ring, ringlen, NULL, NULL, NULL) ==
	      PKS_OK);
	CHECK(fixture_sql("UPDATE keys SET hash = (SELECT hash FROM keys "
			  "WHERE id = 1) WHERE id = 2",
		  out, sizeof(out)) == 1);
	CHECK(fixture_sql("UPDATE keys SET recon = 0 WHERE id = 3", out,
		  sizeof(out)) == 1);
	offered = fixture_sql_int("SELECT count(*) FROM keys WHERE recon = 1");
	CHECK(offered > 10);
	CHECK(store_ptree_rebuild(st, &n) == PKS_OK);
	CHECK((long long)n == offered - 1);
	CHECK(tree_problems(st) == 0);
	store_close(st);
}

int
main(void)
{
	if (!load_keyring()) {
		printf("1..0 # SKIP %s not installed\n", KEYRING);
		return 0;
	}
	if (fixture_init("ingest") != 0)
		return 99;
	RUN(test_new_then_unchanged);
	RUN(test_partial_then_full);
	RUN(test_armored);
	RUN(test_same_key_twice);
	RUN(test_refused);
	RUN(test_busy_rolls_back);
	RUN(test_tree_follows_keys);
	RUN(test_tree_rebuild_distinct);
	RUN(test_counts_per_source);
	fixture_done();
	free(ring);
	return tap_done();
}
