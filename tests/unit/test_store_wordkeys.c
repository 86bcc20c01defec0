/*
 * test_store_wordkeys.c: unit tests of the word table (src/store/
 * store_wordkeys.c): a word search through it finds the keys and
 * listings the FTS5 match finds, keys inserted one by one or in a
 * deferred batch, changed, deleted or refused too many; pksync check
 * compares it with a rebuild; migration 013 fills it; the rows of a
 * batch sorted before they are written are the same; a bulk import
 * (killed and finished by a second one, too) fills it at its end with
 * the rows a rebuild makes.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fixture.h"
#include "tap.h"
#include "store/store.h"
#include "store/store_bulk.h"
#include "store/store_int.h"
#include "store/store_listing.h"
#include "store/store_query.h"
#include "store/store_words.h"
#include "util/limits.h"

/* The keys of these tests (fixture.h): no subkeys, created at
 * 1000000000 + tag, 32 bytes of data, not offered to recon peers. */
static void
fake_key(struct fixture_fake *k, uint8_t tag, const char *const *uids)
{
	const struct fixture_fake_shape shape = { 0, 1000000000 + tag, 32, 0 };

	fixture_fake_key(k, tag, &shape, uids);
}

static const char *const uids[][4] = {
	{ "Alice Example <Alice@Example.ORG>",
	    "Bob Builder (work) <bob@work.example>", NULL },
	{ "Seán O'Brien <sean@example.org>",
	    "AND OR NOT NEAR alice@example.org", NULL },
	{ "ÅSA Ölund <asa@ölund.se>", "Zoë Çelik", NULL },
	{ "Алиса Пример <alisa@пример.рф>", "alice", NULL },
	{ "Wei 张伟 <zhang@example.cn>", NULL },
	{ "x", "ab-cd_ef 12345 bob", "ALICE\tBOB", NULL },
};
#define NKEYS (sizeof(uids) / sizeof(uids[0]))

static const char *const queries[] = { "alice", "ALICE example", "bob",
	"alice builder", "alice zebra", "sean", "SEÁN o'brien", "seán", "asa",
	"åsa", "ölund", "olund", "zoe", "zoë celik", "алиса", "АЛИСА пример",
	"张伟", "wei", "ab-cd_ef", "ab", "12345", "example", "example.org",
	"alice@example.org", "bob work", "\"alice", "^alice", "NOT alice",
	"alice OR zebra", "x alice -- ;", "\xe2\x80\x94 bob", "a b", "org",
	"or", "and", "near", "zhang example" };
#define NQUERIES (sizeof(queries) / sizeof(queries[0]))

/* The keys of a word search as the FTS5 match finds them, as text. */
static void
fts_ids(struct store *st, const char *q, char *out, size_t size)
{
	struct store_ids ids;
	size_t i, off = 0;

	out[0] = '\0';
	if (store_search_words(st, q, 100, &ids) != PKS_OK) {
		snprintf(out, size, "error");
		return;
	}
	for (i = 0; i < ids.n && off < size; i++)
		off += (size_t)snprintf(
		    out + off, size - off, " %lld", (long long)ids.v[i]);
	store_ids_free(&ids);
}

/* The keys of the same search through store_listings_search, each
 * with a listing equal to its key_listings row. */
static void
table_ids(struct store *st, const char *q, size_t max, char *out, size_t size)
{
	struct store_query sq;
	struct store_listing_rows rows;
	const uint8_t *p;
	size_t pos = 0, off = 0, len, i;
	int64_t id;
	char sql[128], want[16384], got[16384];
	enum pks_rc rc;

	memset(&sq, 0, sizeof(sq));
	sq.kind = STORE_QUERY_WORDS;
	snprintf(sq.text, sizeof(sq.text), "%s", q);
	out[0] = '\0';
	rc = store_listings_search(st, &sq, max, &rows);
	if (rc != PKS_OK) {
		snprintf(out, size, "error");
		return;
	}
	while (
	    store_listing_rows_next(&rows, &pos, &id, &p, &len) && off < size) {
		off += (size_t)snprintf(
		    out + off, size - off, " %lld", (long long)id);
		snprintf(sql, sizeof(sql),
		    "SELECT hex(listing) FROM key_listings WHERE id = %lld",
		    (long long)id);
		CHECK(fixture_sql(sql, want, sizeof(want)));
		CHECK(strlen(want) == 2 * len && len < sizeof(got) / 2);
		for (i = 0; i < len && i < sizeof(got) / 2 - 1; i++)
			snprintf(got + 2 * i, 3, "%02X", p[i]);
		CHECK(memcmp(want, got, 2 * i) == 0);
	}
	if (rows.n > max)
		snprintf(out, size, "too many");
	store_listing_rows_free(&rows);
}

/* Every query finds the same keys both ways; the check finds nothing. */
static void
same_answers(struct store *st, const char *when)
{
	char a[512], b[512];
	size_t i, nprob = 99;

	for (i = 0; i < NQUERIES; i++) {
		fts_ids(st, queries[i], a, sizeof(a));
		table_ids(st, queries[i], 100, b, sizeof(b));
		if (strcmp(a, b) != 0)
			printf("# %s: \"%s\": fts5%s, table%s\n", when,
			    queries[i], a, b);
		CHECK(strcmp(a, b) == 0);
	}
	CHECK(store_check(st, NULL, NULL, &nprob) == PKS_OK && nprob == 0);
}

/* Insert keys first..NKEYS-1 in one transaction (deferred: as import
 * does). */
static void
insert_keys(
    struct store *st, struct fixture_fake *k, size_t first, int deferred)
{
	int64_t id;
	size_t i;

	CHECK(store_begin(st) == PKS_OK);
	if (deferred)
		CHECK(store_words_defer(st) == PKS_OK);
	for (i = first; i < NKEYS; i++) {
		fake_key(&k[i], (uint8_t)(i + 1), uids[i]);
		CHECK(store_key_insert(st, &k[i].rec, &id) == PKS_OK &&
		      id == (int64_t)i + 1);
	}
	CHECK(store_commit(st) == PKS_OK);
}

/* A new database with every key inserted (insert_keys), or NULL. */
static struct store *
store_with_keys(struct fixture_fake *k, int deferred)
{
	struct store *st = fixture_store(1000);

	if (st != NULL)
		insert_keys(st, k, 0, deferred);
	return st;
}

/* The same answers after inserts one by one or deferred, a change of a
 * key's user IDs, a delete, and a rolled back change. */
static void
test_parity(int deferred)
{
	static const char *const changed[] = { "Zoë Bobson <zb@example.org>",
		NULL };
	struct fixture_fake k[NKEYS], c;
	struct store *st = store_with_keys(k, deferred);

	if (st == NULL)
		return;
	same_answers(st, deferred ? "deferred" : "one by one");
	/* A change of user IDs and a delete, inside a deferred
	 * transaction that also inserts: catch-up before each. */
	CHECK(store_begin(st) == PKS_OK);
	if (deferred)
		CHECK(store_words_defer(st) == PKS_OK);
	fake_key(&c, 1, changed);
	CHECK(store_key_update(st, 1, &c.rec) == PKS_OK);
	CHECK(store_key_delete(st, 2) == PKS_OK);
	CHECK(store_commit(st) == PKS_OK);
	same_answers(st, "changed");
	CHECK(fixture_sql_int("SELECT count(*) FROM key_word_listings WHERE "
			      "key = 2") == 0);
	CHECK(fixture_sql_int("SELECT count(*) FROM key_word_listings WHERE "
			      "key = 1 AND word = 'alice'") == 0);
	CHECK(fixture_sql_int("SELECT count(*) FROM key_word_listings WHERE "
			      "key = 1 AND word = 'zoe'") == 1);
	/* Rolled back: as before. */
	CHECK(store_begin(st) == PKS_OK);
	CHECK(store_words_defer(st) == PKS_OK);
	CHECK(store_key_delete(st, 3) == PKS_OK);
	store_rollback(st);
	same_answers(st, "rolled back");
	/* The trigger is there again, with the schema's text. */
	CHECK(fixture_sql_int("SELECT count(*) FROM sqlite_master WHERE "
			      "name = 'keys_words_insert'") == 1);
	store_close(st);
}

static void
test_parity_one(void)
{
	test_parity(0);
}

static void
test_parity_deferred(void)
{
	test_parity(1);
}

/* A search over max is refused with no rows read; a key whose words
 * times its listing are over [keys] word_listing_bytes keeps no copy
 * and is listed from key_listings. */
static void
test_limits(void)
{
	struct pks_key_limits l = *pks_key_limits(), was = l;
	struct store *st = fixture_store(1000);
	struct store_query sq;
	struct store_listing_rows rows;
	struct fixture_fake k[NKEYS];
	char b[512];

	if (st == NULL)
		return;
	l.word_listing_bytes = 0;
	pks_key_limits_set(&l);
	insert_keys(st, k, 0, 0);
	CHECK(fixture_sql_int("SELECT count(*) FROM key_word_listings WHERE "
			      "listing IS NOT NULL") == 0);
	same_answers(st, "no copies");
	/* Key 1 has 11 words, key 5 has 5 (counted, as half its text is
	 * over the bound): a bound of 5 of key 5's listings copies its
	 * listing, not key 1's. */
	l.word_listing_bytes =
	    5 * (size_t)fixture_sql_int(
		    "SELECT length(listing) FROM key_listings WHERE id = 5");
	CHECK(11 * fixture_sql_int("SELECT length(listing) FROM key_listings "
				   "WHERE id = 1") >
	      (long long)l.word_listing_bytes);
	pks_key_limits_set(&l);
	CHECK(store_words_rebuild(st) == PKS_OK);
	CHECK(fixture_sql_int("SELECT count(*) FROM key_word_listings WHERE "
			      "key = 5 AND listing IS NULL") == 0);
	CHECK(fixture_sql_int("SELECT count(*) FROM key_word_listings WHERE "
			      "key = 5") == 5);
	CHECK(fixture_sql_int("SELECT count(*) FROM key_word_listings WHERE "
			      "key = 1 AND listing IS NOT NULL") == 0);
	same_answers(st, "some copies");
	pks_key_limits_set(&was);
	memset(&sq, 0, sizeof(sq));
	sq.kind = STORE_QUERY_WORDS;
	snprintf(sq.text, sizeof(sq.text), "alice");
	CHECK(store_listings_search(st, &sq, 3, &rows) == PKS_OK &&
	      rows.n == 4 && rows.b.len == 0);
	store_listing_rows_free(&rows);
	table_ids(st, "alice", 4, b, sizeof(b));
	CHECK(strcmp(b, " 1 2 4 6") == 0);
	table_ids(st, "alice", 3, b, sizeof(b));
	CHECK(strcmp(b, "too many") == 0);
	store_close(st);
}

/* Damage behind the store's back is reported, and --rebuild-words
 * mends it. */
static void
test_check_rebuild(void)
{
	struct fixture_fake k[NKEYS];
	struct store *st = store_with_keys(k, 1);
	size_t nprob = 0;

	if (st == NULL)
		return;
	CHECK(fixture_sql("DELETE FROM key_word_listings WHERE word = 'bob' "
			  "AND key = 1",
	    NULL, 0));
	CHECK(fixture_sql("INSERT INTO key_word_listings VALUES ('zebra', 3, "
			  "NULL)",
	    NULL, 0));
	CHECK(fixture_sql("UPDATE key_word_listings SET listing = x'00' WHERE "
			  "key = 4",
	    NULL, 0));
	CHECK(store_check(st, NULL, NULL, &nprob) == PKS_OK && nprob == 3);
	CHECK(store_words_rebuild(st) == PKS_OK);
	same_answers(st, "rebuilt");
	store_close(st);
}

/* A database of schema version 12 with keys (the table dropped, as an
 * older pksync made it) gets the table filled by migration 013. */
static void
test_migration(void)
{
	struct fixture_fake k[NKEYS];
	struct store *st = store_with_keys(k, 1);
	long long rows;

	if (st == NULL)
		return;
	rows = fixture_sql_int("SELECT count(*) FROM key_word_listings");
	CHECK(rows > 20);
	store_close(st);
	CHECK(fixture_sql("DROP TABLE key_word_listings", NULL, 0));
	CHECK(fixture_sql("UPDATE meta SET value = '12' WHERE name = "
			  "'schema_version'",
	    NULL, 0));
	st = NULL;
	CHECK(store_open(fixture_db, STORE_CREATE, 1000, &st) == PKS_OK);
	if (st == NULL)
		return;
	CHECK(
	    fixture_sql_int("SELECT count(*) FROM key_word_listings") == rows);
	same_answers(st, "migrated");
	store_close(st);
}

/* Key 1 keeps no copies, key 5 does: the bound test_limits uses, from
 * the listings of the keys inserted one by one. */
static size_t
copy_bound(void)
{
	struct fixture_fake k[NKEYS];
	struct store *st = store_with_keys(k, 0);
	size_t bound = 0;

	if (st == NULL)
		return 0;
	bound =
	    5 * (size_t)fixture_sql_int(
		    "SELECT length(listing) FROM key_listings WHERE id = 5");
	CHECK(11 * fixture_sql_int("SELECT length(listing) FROM key_listings "
				   "WHERE id = 1") >
	      (long long)bound);
	store_close(st);
	return bound;
}

/* One batch of a bulk import: keys first..last-1, then (changes) a
 * change of key 1 to user IDs with a word over the longest kept and a
 * delete of key 2. */
static void
bulk_batch(struct store *st, struct fixture_fake *k, size_t first, size_t last,
    int changes)
{
	static char longword[3000];
	static const char *changed[] = { longword, "Zoë Bobson <zb@ex.org>",
		NULL };
	struct fixture_fake c;
	int64_t id;
	size_t i;

	CHECK(store_begin(st) == PKS_OK);
	CHECK(store_words_defer(st) == PKS_OK);
	for (i = first; i < last; i++) {
		fake_key(&k[i], (uint8_t)(i + 1), uids[i]);
		CHECK(store_key_insert(st, &k[i].rec, &id) == PKS_OK &&
		      id == (int64_t)i + 1);
	}
	if (changes) {
		memset(longword, 'w', sizeof(longword) - 6);
		memcpy(longword + sizeof(longword) - 6, " long", 6);
		fake_key(&c, 1, changed);
		CHECK(store_key_update(st, 1, &c.rec) == PKS_OK);
		CHECK(store_key_delete(st, 2) == PKS_OK);
	}
	CHECK(store_commit(st) == PKS_OK);
}

/* The table as filled now equals a rebuild: not a row missing, added
 * or with another listing (or none instead of a copy). */
static void
same_as_rebuild(struct store *st, const char *when)
{
	long long rows = fixture_sql_int("SELECT count(*) FROM "
					 "key_word_listings");

	CHECK(fixture_sql("CREATE TABLE wk_saved AS SELECT * FROM "
			  "key_word_listings",
	    NULL, 0));
	CHECK(store_words_rebuild(st) == PKS_OK);
	CHECK(
	    fixture_sql_int("SELECT count(*) FROM key_word_listings") == rows);
	CHECK(fixture_sql_int("SELECT count(*) FROM (SELECT * FROM wk_saved "
			      "EXCEPT SELECT * FROM key_word_listings)") == 0);
	CHECK(fixture_sql_int("SELECT count(*) FROM (SELECT * FROM "
			      "key_word_listings EXCEPT SELECT * FROM "
			      "wk_saved)") == 0);
	CHECK(fixture_sql("DROP TABLE wk_saved", NULL, 0));
	if (rows < 20)
		printf("# %s: only %lld rows\n", when, rows);
	CHECK(rows >= 20);
}

/* The rows of keys inserted in a deferred batch, gathered and sorted
 * in runs of [import] word_sort_bytes (a run per key, a few keys, all),
 * are those written key by key. */
static void
test_sorted(void)
{
	static const size_t caps[] = { 1, 600, 64u * 1024 * 1024 };
	struct pks_key_limits l = *pks_key_limits(), was = l;
	struct store *st;
	struct fixture_fake k[NKEYS];
	size_t i;

	l.word_listing_bytes = copy_bound();
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		l.word_sort_bytes = caps[i];
		pks_key_limits_set(&l);
		if ((st = store_with_keys(k, 1)) == NULL)
			break;
		CHECK(fixture_sql_int("SELECT count(*) FROM key_word_listings "
				      "WHERE listing IS NULL") > 0);
		same_answers(st, "sorted");
		l.word_sort_bytes = 0;
		pks_key_limits_set(&l);
		same_as_rebuild(st, "sorted");
		store_close(st);
	}
	pks_key_limits_set(&was);
}

/* Whether the connection checks foreign keys (the fill turns them off
 * for its transaction only). */
static int
foreign_keys_on(struct store *st)
{
	sqlite3_stmt *s = NULL;
	int on = 0;

	if (sqlite3_prepare_v2(st->db, "PRAGMA foreign_keys", -1, &s, NULL) ==
		SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		on = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return on;
}

/*
 * A bulk import writes no word rows while the keys come and fills the
 * table at its end from the word index, in its order: the rows a
 * rebuild makes (copies or none by [keys] word_listing_bytes, a word
 * repeated in a key once, a word over the longest kept left out, a
 * changed and a deleted key).  killed: the first import ends after one
 * batch, and a second one (resumed) finishes it.
 */
static void
test_bulk(int killed, size_t sort_bytes)
{
	struct pks_key_limits l = *pks_key_limits(), was = l;
	struct store *st = NULL;
	struct fixture_fake k[NKEYS];
	int on = 0;

	l.word_listing_bytes = copy_bound();
	l.word_sort_bytes = sort_bytes;
	pks_key_limits_set(&l);
	fixture_db_remove();
	CHECK(store_open(fixture_db, STORE_CREATE | STORE_BULK, 1000, &st) ==
	      PKS_OK);
	if (st == NULL)
		return;
	CHECK(store_bulk_begin(st, 1, &on) == PKS_OK && on == 1);
	bulk_batch(st, k, 0, 3, 0);
	CHECK(fixture_sql_int("SELECT count(*) FROM key_word_listings") == 0);
	/* Meanwhile FTS5 answers (the check waits for the end). */
	same_answers(st, "during bulk");
	if (killed) {
		store_close(st);
		st = NULL;
		CHECK(store_open(fixture_db, STORE_CREATE | STORE_BULK, 1000,
			  &st) == PKS_OK);
		if (st == NULL)
			goto out;
		CHECK(store_bulk_begin(st, 1, &on) == PKS_OK && on == 2);
	}
	bulk_batch(st, k, 3, NKEYS, 1);
	CHECK(fixture_sql_int("SELECT count(*) FROM key_word_listings") == 0);
	CHECK(store_bulk_finish(st) == PKS_OK);
	CHECK(foreign_keys_on(st));
	CHECK(fixture_sql_int("SELECT count(*) FROM meta WHERE name = "
			      "'bulk_import'") == 0);
	CHECK(fixture_sql_int("SELECT count(*) FROM sqlite_master WHERE name "
			      "= 'key_word_listings_key'") == 1);
	CHECK(fixture_sql_int("SELECT count(*) FROM key_word_listings WHERE "
			      "key = 5 AND listing IS NOT NULL") == 5);
	CHECK(fixture_sql_int("SELECT count(*) FROM key_word_listings WHERE "
			      "key = 6 AND listing IS NULL") > 0);
	CHECK(fixture_sql_int("SELECT count(*) FROM key_word_listings WHERE "
			      "key = 1 AND word = 'bobson'") == 1);
	CHECK(fixture_sql_int("SELECT count(*) FROM key_word_listings WHERE "
			      "key = 1 AND length(word) > 2000") == 0);
	CHECK(fixture_sql_int("SELECT count(*) FROM key_word_listings WHERE "
			      "key = 2") == 0);
	same_answers(st, killed ? "bulk, killed" : "bulk");
	same_as_rebuild(st, killed ? "bulk, killed" : "bulk");
	/* Afterwards a key is written with its rows again. */
	fake_key(&k[0], 3, uids[0]);
	CHECK(store_begin(st) == PKS_OK);
	CHECK(store_key_update(st, 3, &k[0].rec) == PKS_OK);
	CHECK(store_commit(st) == PKS_OK);
	CHECK(fixture_sql_int("SELECT count(*) FROM key_word_listings WHERE "
			      "key = 3 AND word = 'builder'") == 1);
	same_answers(st, "after bulk");
out:
	pks_key_limits_set(&was);
	store_close(st);
}

static void
test_bulk_once(void)
{
	test_bulk(0, PKS_WORD_SORT_BYTES_DEFAULT);
}

static void
test_bulk_killed(void)
{
	test_bulk(1, PKS_WORD_SORT_BYTES_DEFAULT);
}

/* The fill in many ranges: one word each (256 bytes: one row), and
 * ranges of about three rows, the last one open-ended; and in one. */
static void
test_bulk_ranges(void)
{
	test_bulk(0, 256);
	test_bulk(1, 3 * 256);
	test_bulk(0, 0);
}

int
main(void)
{
	if (fixture_init("wordkeys") != 0)
		return 99;
	RUN(test_parity_one);
	RUN(test_parity_deferred);
	RUN(test_limits);
	RUN(test_check_rebuild);
	RUN(test_migration);
	RUN(test_sorted);
	RUN(test_bulk_once);
	RUN(test_bulk_killed);
	RUN(test_bulk_ranges);
	fixture_done();
	return tap_done();
}
