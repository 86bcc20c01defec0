/*
 * test_outbox.c: the outgoing queue: which outbox rows ingest writes
 * (recipients, path, delta) and how queue-run claims, leases and ends
 * rows (store_outbox.h).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "tap.h"
#include "ingest/ingest.h"
#include "pgp/pgp_key.h"
#include "pgp/pgp_verify.h"
#include "store/store.h"
#include "store/store_outbox.h"
#include "util/buf.h"
#include "util/limits.h"

#define KEYRING "/usr/share/keyrings/debian-keyring.gpg"

static uint8_t *ring;
static size_t ringlen, k0len, k1off, k1len;

static char site_a[] = "pgp-public-keys@a.test";
static char peer_b[] = "pgp-public-keys@b.test";
static char peer_c[] = "pgp-public-keys@c.test";
static char peer_d[] = "pgp-public-keys@d.test";
static char self_upper[] = "PGP-Public-Keys@A.test";
static char dup_b[] = "PGP-PUBLIC-KEYS@b.test";

/* The claimed rows of everything due at 'now' for 'owner'. */
static size_t
claim(struct store *st, const char *owner, int64_t now,
    struct store_outbox_row **rows)
{
	struct store_outbox_claim c;
	size_t n = 0, nexp = 0;

	memset(&c, 0, sizeof(c));
	c.owner = owner;
	c.now = now;
	c.due_by = now;
	c.lease = 600;
	c.max_rows = 100;
	c.max_bytes = 1u << 30;
	if (store_outbox_claim(st, &c, rows, &n, &nexp) != PKS_OK)
		return (size_t)-1;
	return n;
}

static void
drop(struct store *st, struct store_outbox_row *rows, size_t n)
{
	struct store_outbox_done *d = calloc(n + 1, sizeof(*d));
	struct store_outbox_backoff b = { 0, 1, 1 };
	size_t i;

	for (i = 0; i < n; i++) {
		d[i].id = rows[i].id;
		d[i].end = STORE_OUTBOX_SENT;
	}
	CHECK(store_outbox_finish(st, "t", d, n, &b) == PKS_OK);
	free(d);
	store_outbox_rows_free(rows, n);
}

static void
test_hkp_goes_to_every_peer(void)
{
	struct store *st = fixture_store(1000);
	char *peers[] = { peer_b, peer_c, self_upper, dup_b };
	struct ingest_sync sy = { site_a, peers, 4 };
	struct ingest_origin o = { INGEST_HKP, NULL, 0, &sy };
	const char *sent[] = { peer_b };
	struct ingest_stats stats;
	struct store_outbox_row *rows = NULL;
	struct pgp_key *key = NULL;
	struct pks_err err = { 0, NULL };
	struct buf canon;
	size_t n;

	buf_init(&canon, PKS_MAX_KEY);
	CHECK(pgp_key_parse(ring, k0len, &key, &err) == PKS_OK);
	if (key != NULL) {
		pgp_key_canonicalize(key);
		CHECK(pgp_key_write(key, &canon, PGP_HDR_SKS) == PKS_OK);
		pgp_key_free(key);
		/* ... and sent as op=get serves it. */
		n = canon.len;
		CHECK(pgp_served_bytes(canon.data, n, NULL, 0,
		    pks_key_limits()->served_certs, &canon) == PKS_OK);
		memmove(canon.data, canon.data + n, canon.len - n);
		canon.len -= n;
	}
	CHECK(st != NULL);
	if (st == NULL)
		return;
	/* HKP ignores any received path: every peer, ourselves excepted,
	 * each once. */
	o.sent = sent;
	o.nsent = 1;
	memset(&stats, 0, sizeof(stats));
	CHECK(ingest_keyring(st, &o, ring, k0len, NULL, NULL, &stats) ==
	    PKS_OK);
	CHECK(stats.nnew == 1 && stats.nqueued == 2);
	n = claim(st, "t", (int64_t)time(NULL), &rows);
	CHECK(n == 2);
	if (n == 2) {
		CHECK(strcmp(rows[0].recipient, peer_b) == 0);
		CHECK(strcmp(rows[1].recipient, peer_c) == 0);
		CHECK(!rows[0].reply && strcmp(rows[0].sent, site_a) == 0);
		/* A new key is sent whole, as served. */
		CHECK(rows[0].len == canon.len && memcmp(rows[0].body,
		    canon.data, canon.len) == 0);
	}
	drop(st, rows, n);
	/* The same key again: nothing new, nothing queued. */
	memset(&stats, 0, sizeof(stats));
	CHECK(ingest_keyring(st, &o, ring, k0len, NULL, NULL, &stats) ==
	    PKS_OK);
	CHECK(stats.nunchanged == 1 && stats.nqueued == 0);
	CHECK(claim(st, "t", (int64_t)time(NULL), &rows) == 0);
	buf_free(&canon);
	store_close(st);
}

static void
test_incremental_path(void)
{
	struct store *st = fixture_store(1000);
	char *peers[] = { peer_b, peer_c, peer_d };
	struct ingest_sync sy = { site_a, peers, 3 };
	const char *sent[] = { "PGP-PUBLIC-KEYS@B.TEST", "bad value" };
	const char *sent2[] = { peer_c, self_upper };
	struct ingest_origin o = { INGEST_MAIL_INCREMENTAL, sent, 2, &sy };
	struct store_outbox_row *rows = NULL;
	size_t n;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	/* Not to b (named, any case); the path keeps the received values
	 * fit to send on, then ours. */
	CHECK(ingest_keyring(st, &o, ring, k0len, NULL, NULL, NULL) ==
	    PKS_OK);
	n = claim(st, "t", (int64_t)time(NULL), &rows);
	CHECK(n == 2);
	if (n == 2) {
		CHECK(strcmp(rows[0].recipient, peer_c) == 0 &&
		    strcmp(rows[1].recipient, peer_d) == 0);
		CHECK(strcmp(rows[0].sent,
		    "PGP-PUBLIC-KEYS@B.TEST\npgp-public-keys@a.test") == 0);
	}
	drop(st, rows, n);
	/* Our site already in the path: not added again. */
	o.sent = sent2;
	CHECK(ingest_keyring(st, &o, ring + k1off, k1len, NULL, NULL,
	    NULL) == PKS_OK);
	n = claim(st, "t", (int64_t)time(NULL), &rows);
	CHECK(n == 2);
	if (n == 2)
		CHECK(strcmp(rows[0].recipient, peer_b) == 0 &&
		    strcmp(rows[0].sent, "pgp-public-keys@c.test\n"
		    "PGP-Public-Keys@A.test") == 0);
	drop(st, rows, n);
	store_close(st);
}

/* Key 0 without one of its user ID blocks, in SKS framing. */
static int
partial_key(struct buf *out, size_t *full, size_t *part)
{
	struct pgp_key *key = NULL;
	struct pks_err err = { 0, NULL };
	struct pgp_block tmp;
	size_t nuids, i, m;
	int ok;

	if (pgp_key_parse(ring, k0len, &key, &err) != PKS_OK)
		return 0;
	pgp_key_canonicalize(key);
	nuids = key->nuids;
	/* Leave out a user ID that is listed (the one with the most
	 * signatures has a self-certification): move it last. */
	for (i = 0, m = 0; i < nuids; i++)
		if (key->uids[i].nsigs > key->uids[m].nsigs)
			m = i;
	if (nuids > 0) {
		tmp = key->uids[m];
		key->uids[m] = key->uids[nuids - 1];
		key->uids[nuids - 1] = tmp;
	}
	*full = pgp_key_npackets(key);
	key->nuids = nuids - 1;
	*part = pgp_key_npackets(key);
	ok = nuids >= 2 && pgp_key_write(key, out, PGP_HDR_SKS) == PKS_OK;
	key->nuids = nuids;
	pgp_key_free(key);
	return ok;
}

static void
test_update_sends_delta(void)
{
	struct store *st = fixture_store(1000);
	char *peers[] = { peer_b };
	struct ingest_sync sy = { site_a, peers, 1 };
	struct ingest_origin quiet = { INGEST_IMPORT, NULL, 0, NULL };
	struct ingest_origin o = { INGEST_HKP, NULL, 0, &sy };
	struct store_outbox_row *rows = NULL;
	struct pgp_key *delta = NULL;
	struct pks_err err = { 0, NULL };
	struct buf b;
	size_t full = 0, part = 0, n;

	buf_init(&b, PKS_MAX_KEY);
	CHECK(st != NULL && partial_key(&b, &full, &part));
	if (st == NULL || b.len == 0)
		goto out;
	CHECK(ingest_keyring(st, &quiet, b.data, b.len, NULL, NULL, NULL) ==
	    PKS_OK);
	CHECK(ingest_keyring(st, &o, ring, k0len, NULL, NULL, NULL) ==
	    PKS_OK);
	n = claim(st, "t", (int64_t)time(NULL), &rows);
	CHECK(n == 1);
	/* Only what was added, with the primary key packet. */
	if (n == 1) {
		CHECK(pgp_key_parse(rows[0].body, rows[0].len, &delta,
		    &err) == PKS_OK);
		CHECK(delta != NULL && delta->nuids == 1 &&
		    pgp_key_npackets(delta) == 1 + full - part);
	}
	pgp_key_free(delta);
	drop(st, rows, n);
out:
	buf_free(&b);
	store_close(st);
}

static void
test_claim_lease_finish(void)
{
	struct store *st = fixture_store(1000);
	struct store_outbox_row *rows = NULL, *r2 = NULL;
	struct store_outbox_done d[3];
	struct store_outbox_backoff b;
	struct store_outbox_totals t;
	struct store_outbox_failed *f = NULL;
	int64_t now = (int64_t)time(NULL);
	size_t n, nf = 0;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	CHECK(store_begin(st) == PKS_OK);
	CHECK(store_outbox_add_incremental(st, peer_b, site_a,
	    (const uint8_t *)"x", 1) == PKS_OK);
	CHECK(store_outbox_add_incremental(st, peer_c, site_a,
	    (const uint8_t *)"y", 1) == PKS_OK);
	CHECK(store_commit(st) == PKS_OK);
	CHECK(store_outbox_add_reply(st, "alice@example.org",
	    "alice@example.org", "To: a\n\nx\n", 9) == PKS_OK);
	n = claim(st, "run1", now, &rows);
	CHECK(n == 3);
	/* A second run at the same time gets nothing: all leased. */
	CHECK(claim(st, "run2", now, &r2) == 0);
	if (n != 3)
		goto out;
	d[0].id = rows[0].id;
	d[0].end = STORE_OUTBOX_SENT;
	d[0].why = NULL;
	d[1].id = rows[1].id;
	d[1].end = STORE_OUTBOX_RETRY;
	d[1].why = "451 later";
	d[2].id = rows[2].id;
	d[2].end = STORE_OUTBOX_FAILED;
	d[2].why = "550 no";
	b.now = now;
	b.base = 60;
	b.max = 3600;
	/* Another owner cannot end run1's rows. */
	CHECK(store_outbox_finish(st, "run2", d, 3, &b) == PKS_OK);
	CHECK(store_outbox_totals(st, &t) == PKS_OK && t.incr_queued +
	    t.reply_queued == 3 && t.incr_failed + t.reply_failed == 0);
	CHECK(store_outbox_finish(st, "run1", d, 3, &b) == PKS_OK);
	CHECK(store_outbox_totals(st, &t) == PKS_OK);
	CHECK(t.incr_queued + t.reply_queued == 1);
	CHECK(t.incr_failed + t.reply_failed == 1);
	/* The retried row is due after the back-off, not before. */
	CHECK(claim(st, "run3", now + 59, &r2) == 0);
	n = claim(st, "run3", now + 60, &r2);
	CHECK(n == 1 && r2 != NULL && r2[0].id == rows[1].id &&
	    r2[0].tries == 1);
	store_outbox_rows_free(r2, n);
	/* A lease that ran out (a killed run): due again. */
	CHECK(claim(st, "run4", now + 61, &r2) == 0);
	n = claim(st, "run4", now + 60 + 601, &r2);
	CHECK(n == 1);
	store_outbox_rows_free(r2, n);
	CHECK(store_outbox_failed_list(st, 10, &f, &nf) == PKS_OK);
	CHECK(nf == 1 && f[0].tries == 1 && strcmp(f[0].why, "550 no") == 0);
	store_outbox_failed_free(f, nf);
out:
	store_outbox_rows_free(rows, 3);
	store_close(st);
}

static void
test_expire_and_peers(void)
{
	struct store *st = fixture_store(1000);
	struct store_outbox_claim c;
	struct store_outbox_row *rows = NULL;
	struct store_outbox_peer *p = NULL;
	int64_t now = (int64_t)time(NULL);
	size_t n = 0, np = 0, nexp = 0;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	CHECK(store_begin(st) == PKS_OK);
	CHECK(store_outbox_add_incremental(st, peer_b, site_a,
	    (const uint8_t *)"x", 1) == PKS_OK);
	CHECK(store_outbox_add_incremental(st, peer_b, site_a,
	    (const uint8_t *)"y", 1) == PKS_OK);
	CHECK(store_outbox_add_incremental(st, peer_c, site_a,
	    (const uint8_t *)"z", 1) == PKS_OK);
	CHECK(store_commit(st) == PKS_OK);
	CHECK(store_outbox_peers(st, &p, &np) == PKS_OK);
	CHECK(np == 2 && p[0].queued == 2 && p[1].queued == 1 &&
	    strcmp(p[0].recipient, peer_b) == 0);
	store_outbox_peers_free(p, np);
	/* Older than max_age: given up, not sent. */
	memset(&c, 0, sizeof(c));
	c.owner = "t";
	c.now = c.due_by = now + 1000;
	c.lease = 600;
	c.max_age = 999;
	c.max_rows = 10;
	c.max_bytes = 100;
	CHECK(store_outbox_claim(st, &c, &rows, &n, &nexp) == PKS_OK);
	CHECK(n == 0 && nexp == 3);
	CHECK(store_outbox_peers(st, &p, &np) == PKS_OK);
	CHECK(np == 2 && p[0].queued == 0 && p[0].failed == 2);
	store_outbox_peers_free(p, np);
	store_outbox_rows_free(rows, n);
	store_close(st);
}

/* Key 0 and key 1 of the Debian keyring. */
static int
load_keys(void)
{
	struct pgp_keyring_iter it;
	struct pks_err err;
	const uint8_t *k;
	size_t l;

	ring = tap_read_file(KEYRING, &ringlen);
	if (ring == NULL)
		return 0;
	pgp_keyring_init(&it, ring, ringlen);
	if (pgp_keyring_next(&it, &k, &l, &err) != PKS_OK)
		return 0;
	k0len = l;
	if (pgp_keyring_next(&it, &k, &l, &err) != PKS_OK)
		return 0;
	k1off = (size_t)(k - ring);
	k1len = l;
	return 1;
}

int
main(void)
{
	if (fixture_init("outbox") != 0 || !load_keys()) {
		tap_skip("outbox", "no temp dir or no debian-keyring");
		return tap_done();
	}
	RUN(test_hkp_goes_to_every_peer);
	RUN(test_incremental_path);
	RUN(test_update_sends_delta);
	RUN(test_claim_lease_finish);
	RUN(test_expire_and_peers);
	fixture_done();
	free(ring);
	return tap_done();
}
