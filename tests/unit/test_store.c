/*
 * test_store.c: unit tests of src/store against a real SQLite file in
 * a temporary folder.  Keys are described by hand-made pgp_key_info
 * records, so these tests need nothing of src/pgp but its types.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fixture.h"
#include "tap.h"
#include "store/store.h"
#include "store/store_bulk.h"
#include "store/store_counters.h"
#include "store/store_int.h"
#include "store/store_ptree.h"
#include "store/store_listing.h"
#include "store/store_tombstone.h"
#include "util/limits.h"

/* The keys of these tests (fixture.h): created at 1000000000, 64 bytes
 * of data, offered to recon peers. */
static void
fake_key(
    struct fixture_fake *k, uint8_t tag, size_t nsub, const char *const *uids)
{
	const struct fixture_fake_shape shape = { nsub, 1000000000, 64, 1 };

	fixture_fake_key(k, tag, &shape, uids);
}

static int64_t
insert(struct store *st, struct fixture_fake *k)
{
	int64_t id = -1;

	if (store_begin(st) != PKS_OK)
		return -1;
	if (store_key_insert(st, &k->rec, &id) != PKS_OK) {
		store_rollback(st);
		return -1;
	}
	return store_commit(st) == PKS_OK ? id : -1;
}

static int
ids_are(const struct store_ids *ids, size_t n, const int64_t *want)
{
	size_t i;

	if (ids->n != n)
		return 0;
	for (i = 0; i < n; i++)
		if (ids->v[i] != want[i])
			return 0;
	return 1;
}

static const char *const uids_a[] = { "Alice Example <Alice@Example.ORG>",
	"Bob Builder (work) <bob@work.example>", NULL };
static const char *const uids_b[] = { "Seán O'Brien <sean@example.org>",
	"AND OR NOT NEAR alice@example.org", NULL };

static void
test_open_create(void)
{
	struct store *st, *ro = NULL, *none = NULL;
	char *v = NULL;
	char mode[32];
	int64_t n = -1;

	st = fixture_store(1000);
	CHECK(st != NULL);
	if (st == NULL)
		return;
	CHECK(store_meta_get(st, "schema_version", &v) == PKS_OK);
	CHECK(v != NULL && strtol(v, NULL, 10) == store_sql_version);
	free(v);
	CHECK(store_meta_get(st, "nonesuch", &v) == PKS_ERR_NOTFOUND);
	CHECK(store_meta_set(st, "x", "1") == PKS_OK);
	CHECK(store_meta_set(st, "x", "two") == PKS_OK);
	CHECK(store_meta_get(st, "x", &v) == PKS_OK && strcmp(v, "two") == 0);
	free(v);
	CHECK(store_count_keys(st, &n) == PKS_OK && n == 0);
	store_close(st);
	CHECK(fixture_sql("PRAGMA journal_mode", mode, sizeof(mode)));
	CHECK(strcmp(mode, "wal") == 0);
	/* Opening again, creating again: nothing changes. */
	CHECK(store_open(fixture_db, STORE_CREATE, 100, &st) == PKS_OK);
	store_close(st);
	CHECK(store_open(fixture_db, 0, 100, &st) == PKS_OK);
	store_close(st);
	CHECK(store_open(fixture_db, STORE_READONLY, 100, &ro) == PKS_OK);
	CHECK(ro != NULL && store_count_keys(ro, &n) == PKS_OK && n == 0);
	store_close(ro);
	fixture_db_remove();
	CHECK(store_open(fixture_db, 0, 100, &none) == PKS_ERR_DB);
	CHECK(none == NULL);
	CHECK(store_open(fixture_db, STORE_READONLY, 100, &none) != PKS_OK);
}

static void
test_schema_version_guard(void)
{
	struct store *st = fixture_store(1000);

	CHECK(st != NULL);
	store_close(st);
	CHECK(fixture_sql("UPDATE meta SET value = '99' WHERE name = "
			  "'schema_version'",
	    NULL, 0));
	st = NULL;
	CHECK(store_open(fixture_db, STORE_CREATE, 100, &st) == PKS_ERR_DB);
	CHECK(st == NULL);
	CHECK(fixture_sql("DROP TABLE meta", NULL, 0));
	CHECK(store_open(fixture_db, 0, 100, &st) == PKS_ERR_DB);
}

/* Tables, their columns, indexes, their columns, and triggers. */
static const char shape_sql[] =
    "SELECT group_concat(x, ';') FROM ("
    "SELECT m.type || ' ' || m.name || ' ' || m.tbl_name || ' ' || "
    "coalesce((SELECT group_concat(p.name || ':' || p.type || ':' || "
    "p.\"notnull\" || ':' || coalesce(p.dflt_value, '') || ':' || p.pk, ',') "
    "FROM pragma_table_info(m.name) p), '') || ' ' || "
    "coalesce((SELECT group_concat(i.name, ',') "
    "FROM pragma_index_info(m.name) i), '') AS x "
    "FROM sqlite_master m ORDER BY m.type, m.name)";

static char *
db_shape(void)
{
	char *out = malloc(65536);

	if (out != NULL && !fixture_sql(shape_sql, out, 65536)) {
		free(out);
		out = NULL;
	}
	return out;
}

/* A version-1 database, upgraded by the migrations, has the shape of a
 * new one and keeps its keys. */
static void
test_migrations(void)
{
	struct store *st = fixture_store(1000);
	struct store_key k;
	struct fixture_fake a;
	uint8_t *v1;
	char *want, *got, *ver = NULL;
	size_t len;

	store_close(st);
	want = db_shape();
	CHECK(want != NULL && strstr(want, "table keys keys") != NULL);
	fixture_db_remove();
	v1 = tap_read_file(tap_srcpath("tests/data/store/schema-v1.sql"), &len);
	CHECK(v1 != NULL);
	if (v1 == NULL) {
		free(want);
		return;
	}
	fake_key(&a, 1, 0, NULL);
	CHECK(fixture_sql("PRAGMA journal_mode = WAL", NULL, 0));
	CHECK(fixture_script((const char *)v1));
	CHECK(fixture_sql(
	    "INSERT INTO keys(id, fpr, version, hash, algo, bits, "
	    "ctime, expires, revoked, created, updated, uids, data) VALUES "
	    "(1, x'0102030405060708090A0B0C0D0E0F1011121314', 4, "
	    "x'000102030405060708090A0B0C0D0E0F', 1, 2048, 0, 0, 0, 1, 1, "
	    "'Old Key', x'99')",
	    NULL, 0));
	st = NULL;
	CHECK(store_open(fixture_db, 0, 100, &st) ==
	      (store_sql_version > 1 ? PKS_ERR_DB : PKS_OK));
	store_close(st);
	CHECK(store_open(fixture_db, STORE_CREATE, 100, &st) == PKS_OK);
	if (st != NULL) {
		CHECK(store_meta_get(st, "schema_version", &ver) == PKS_OK &&
		      strtol(ver, NULL, 10) == store_sql_version);
		free(ver);
		tap_unhex("0102030405060708090A0B0C0D0E0F1011121314",
		    a.info.fpr.fpr, 20);
		CHECK(store_key_find(st, a.info.fpr.fpr, 20, &k) == PKS_OK &&
		      k.len == 1 && k.data[0] == 0x99);
		store_key_clear(&k);
		store_close(st);
	}
	got = db_shape();
	CHECK(want != NULL && got != NULL && strcmp(want, got) == 0);
	free(want);
	free(got);
	free(v1);
}

/* Listing facts are written with the key, read back for a listing,
 * name issuers, and go with the key. */
static void
test_listings(void)
{
	struct store *st = fixture_store(1000);
	struct store_listings l = { NULL, 0 };
	struct store_names *nm;
	struct store_ids ids;
	struct fixture_fake a, b;
	int64_t v[3];
	const uint8_t *name;
	size_t len = 0;
	char n[32];

	if (st == NULL)
		return;
	fake_key(&a, 1, 2, uids_a);
	fake_key(&b, 2, 1, uids_b);
	v[0] = insert(st, &b);
	v[1] = 999;
	v[2] = insert(st, &a);
	ids.v = v;
	ids.n = 3;
	CHECK(store_listings_load(st, &ids, 10, &l) == PKS_OK && l.n == 2);
	if (l.n == 2) {
		CHECK(l.v[0].id == v[0] && l.v[1].id == v[2]);
		CHECK(memcmp(l.v[1].info->fpr.fpr, a.info.fpr.fpr, 20) == 0);
		CHECK(l.v[1].info->nuids == 2 && l.v[1].info->nsubkeys == 2);
		CHECK(l.v[1].info->uids[1].len == strlen(uids_a[1]) &&
		      memcmp(l.v[1].info->uids[1].text, uids_a[1],
			  strlen(uids_a[1])) == 0);
		CHECK(l.v[1].info->bits == 2048 && l.v[1].info->algo == 1);
	}
	store_listings_free(&l);
	CHECK(store_listings_load(st, &ids, 1, &l) == PKS_OK && l.n == 1);
	store_listings_free(&l);
	nm = store_names_new(st);
	name = store_names_get(nm, a.info.fpr.keyid, &len);
	CHECK(name != NULL && len == strlen(uids_a[0]) &&
	      memcmp(name, uids_a[0], len) == 0);
	CHECK(store_names_get(nm, a.sub[0].fpr.keyid, &len) == NULL);
	store_names_free(nm);
	/* Deleting the key deletes its listing. */
	CHECK(store_begin(st) == PKS_OK);
	CHECK(store_key_delete(st, v[2]) == PKS_OK);
	CHECK(store_commit(st) == PKS_OK);
	CHECK(fixture_sql("SELECT count(*) FROM key_listings", n, sizeof(n)) &&
	      strcmp(n, "1") == 0);
	/* A key without one is listed from its packets (these do not
	 * parse: left out). */
	CHECK(fixture_sql("DELETE FROM key_listings", NULL, 0));
	CHECK(store_listings_load(st, &ids, 10, &l) == PKS_OK && l.n == 0);
	store_listings_free(&l);
	store_close(st);
}

static void
test_insert_find(void)
{
	struct store *st = fixture_store(1000);
	struct store_key k;
	struct store_ids ids;
	struct fixture_fake a, b;
	int64_t ida, idb, n = 0, want[2];
	time_t now = time(NULL);

	CHECK(st != NULL);
	if (st == NULL)
		return;
	fake_key(&a, 1, 2, uids_a);
	fake_key(&b, 2, 1, uids_b);
	ida = insert(st, &a);
	idb = insert(st, &b);
	CHECK(ida > 0 && idb > ida);
	CHECK(store_count_keys(st, &n) == PKS_OK && n == 2);
	CHECK(store_key_find(st, a.info.fpr.fpr, 20, &k) == PKS_OK);
	CHECK(k.id == ida && k.len == a.rec.len);
	CHECK(k.data != NULL && memcmp(k.data, a.data, k.len) == 0);
	CHECK(memcmp(k.hash, a.rec.hash, 16) == 0);
	CHECK(k.created >= now - 5 && k.updated == k.created);
	store_key_clear(&k);
	CHECK(k.data == NULL);
	CHECK(store_key_load(st, idb, &k) == PKS_OK && k.id == idb);
	CHECK(k.len == b.rec.len && memcmp(k.data, b.data, k.len) == 0);
	store_key_clear(&k);
	CHECK(store_key_load(st, 999, &k) == PKS_ERR_NOTFOUND);
	/* A subkey's fingerprint does not name a key row... */
	CHECK(store_key_find(st, a.sub[0].fpr.fpr, 20, &k) == PKS_ERR_NOTFOUND);
	/* ...but a fingerprint search finds its key. */
	want[0] = ida;
	CHECK(store_search_fpr(st, a.sub[1].fpr.fpr, 20, 10, &ids) == PKS_OK);
	CHECK(ids_are(&ids, 1, want));
	store_ids_free(&ids);
	CHECK(store_search_fpr(st, a.info.fpr.fpr, 20, 10, &ids) == PKS_OK);
	CHECK(ids_are(&ids, 1, want));
	store_ids_free(&ids);
	CHECK(store_search_fpr(st, a.info.fpr.fpr, 19, 10, &ids) ==
	      PKS_ERR_PARSE);
	CHECK(store_search_hash(st, b.rec.hash, 10, &ids) == PKS_OK);
	want[0] = idb;
	CHECK(ids_are(&ids, 1, want));
	store_ids_free(&ids);
	/* The same fingerprint twice is refused by the database. */
	CHECK(insert(st, &a) == -1);
	CHECK(store_count_keys(st, &n) == PKS_OK && n == 2);
	store_close(st);
}

static uint64_t
keyid_of(const struct pgp_fpr *f)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | f->keyid[i];
	return v;
}

static void
test_keyids(void)
{
	struct store *st = fixture_store(1000);
	struct store_ids ids;
	struct fixture_fake a, b;
	int64_t ida, idb, want[2];
	uint64_t k;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	fake_key(&a, 1, 2, uids_a);
	/* Key IDs with the top bit set must survive the signed column. */
	fake_key(&b, 0x90, 1, uids_b);
	ida = insert(st, &a);
	idb = insert(st, &b);
	CHECK(keyid_of(&b.info.fpr) >> 63 == 1);
	want[0] = ida;
	k = keyid_of(&a.info.fpr);
	CHECK(store_search_keyid(st, k, 64, 10, &ids) == PKS_OK);
	CHECK(ids_are(&ids, 1, want));
	store_ids_free(&ids);
	CHECK(store_search_keyid(st, k & 0xffffffffu, 32, 10, &ids) == PKS_OK);
	CHECK(ids_are(&ids, 1, want));
	store_ids_free(&ids);
	k = keyid_of(&a.sub[1].fpr);
	CHECK(store_search_keyid(st, k, 64, 10, &ids) == PKS_OK);
	CHECK(ids_are(&ids, 1, want));
	store_ids_free(&ids);
	CHECK(store_search_keyid(st, k, 32, 10, &ids) == PKS_OK);
	CHECK(ids_are(&ids, 1, want));
	store_ids_free(&ids);
	want[0] = idb;
	k = keyid_of(&b.info.fpr);
	CHECK(store_search_keyid(st, k, 64, 10, &ids) == PKS_OK);
	CHECK(ids_are(&ids, 1, want));
	store_ids_free(&ids);
	CHECK(store_search_keyid(st, k, 32, 10, &ids) == PKS_OK);
	CHECK(ids_are(&ids, 1, want));
	store_ids_free(&ids);
	CHECK(store_search_keyid(st, k ^ 1, 64, 10, &ids) == PKS_OK &&
	      ids.n == 0);
	store_ids_free(&ids);
	CHECK(store_search_keyid(st, k, 48, 10, &ids) == PKS_ERR_PARSE);
	store_close(st);
}

/* Ids that a word search finds, as a count, or -1 on error. */
static long
nwords(struct store *st, const char *q, int64_t first)
{
	struct store_ids ids;
	long n;

	if (store_search_words(st, q, 100, &ids) != PKS_OK)
		return -1;
	n = (long)ids.n;
	if (first > 0 && (ids.n == 0 || ids.v[0] != first))
		n = -2;
	store_ids_free(&ids);
	return n;
}

static void
test_words(void)
{
	struct store *st = fixture_store(1000);
	struct store_ids ids;
	struct fixture_fake a, b;
	char many[256];
	int64_t ida, idb;
	int i;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	fake_key(&a, 1, 0, uids_a);
	fake_key(&b, 2, 0, uids_b);
	ida = insert(st, &a);
	idb = insert(st, &b);
	CHECK(nwords(st, "alice", 0) == 2);
	CHECK(nwords(st, "ALICE example", 0) == 2);
	/* Every word must match, but may be in different user IDs. */
	CHECK(nwords(st, "alice builder", ida) == 1);
	CHECK(nwords(st, "alice zebra", 0) == 0);
	CHECK(nwords(st, "sean", idb) == 1);
	CHECK(nwords(st, "SEÁN o'brien", idb) == 1);
	/* FTS syntax in the input is plain text. */
	CHECK(nwords(st, "alice OR zebra", 0) == 0);
	CHECK(nwords(st, "NOT alice", idb) == 1);
	CHECK(nwords(st, "alice NEAR", idb) == 1);
	CHECK(nwords(st, "bob* (work)", ida) == 1);
	CHECK(nwords(st, "\"alice", 0) == 2);
	CHECK(nwords(st, "uids:alice", 0) == 0);
	CHECK(nwords(st, "^alice", 0) == 2);
	/* A word the tokenizer splits must match as a phrase. */
	CHECK(nwords(st, "alice@example.org", 0) == 2);
	CHECK(nwords(st, "example@alice.org", 0) == 0);
	/* One-character and punctuation-only words are left out. */
	CHECK(nwords(st, "a b c", 0) == 0);
	CHECK(nwords(st, "x alice -- ;", 0) == 2);
	CHECK(nwords(st, "", 0) == 0);
	CHECK(nwords(st, "\xe2\x80\x94\xe2\x80\x94", 0) == 0);
	many[0] = '\0';
	for (i = 0; i <= (int)PKS_MAX_WORDS; i++)
		strncat(many, "alice ", sizeof(many) - strlen(many) - 1);
	CHECK(store_search_words(st, many, 10, &ids) == PKS_ERR_TOOBIG);
	store_close(st);
}

static void
test_email(void)
{
	struct store *st = fixture_store(1000);
	struct store_ids ids;
	struct fixture_fake a, b;
	int64_t ida, idb, want[2];

	CHECK(st != NULL);
	if (st == NULL)
		return;
	fake_key(&a, 1, 0, uids_a);
	fake_key(&b, 2, 0, uids_b);
	ida = insert(st, &a);
	idb = insert(st, &b);
	want[0] = ida;
	CHECK(store_search_email(st, "alice@example.org", 10, &ids) == PKS_OK);
	CHECK(ids_are(&ids, 1, want));
	store_ids_free(&ids);
	CHECK(
	    store_search_email(st, "<ALICE@example.ORG>", 10, &ids) == PKS_OK);
	CHECK(ids_are(&ids, 1, want));
	store_ids_free(&ids);
	CHECK(store_search_email(st, "bob@work.example", 10, &ids) == PKS_OK);
	CHECK(ids_are(&ids, 1, want));
	store_ids_free(&ids);
	/* Key b has the address only inside text, not as its address. */
	CHECK(store_search_email(st, "alice@example", 10, &ids) == PKS_OK &&
	      ids.n == 0);
	store_ids_free(&ids);
	want[0] = idb;
	CHECK(store_search_email(st, "Sean@Example.org", 10, &ids) == PKS_OK);
	CHECK(ids_are(&ids, 1, want));
	store_ids_free(&ids);
	CHECK(store_search_email(st, "not an address", 10, &ids) == PKS_OK &&
	      ids.n == 0);
	store_ids_free(&ids);
	store_close(st);
}

static void
test_max_plus_one(void)
{
	static const char *const common[] = { "Common Name <same@example.org>",
		NULL };
	struct store *st = fixture_store(1000);
	struct store_ids ids;
	struct fixture_fake k;
	int64_t want[5];
	int i;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	CHECK(store_begin(st) == PKS_OK);
	for (i = 0; i < 5; i++) {
		fake_key(&k, (uint8_t)(10 + i), 1, common);
		/* Share one subkey so the 32-bit search meets all keys. */
		fixture_fake_fpr(&k.sub[0].fpr, 200, 1);
		CHECK(store_key_insert(st, &k.rec, &want[i]) == PKS_OK);
	}
	CHECK(store_commit(st) == PKS_OK);
	CHECK(store_search_words(st, "common", 3, &ids) == PKS_OK);
	CHECK(ids_are(&ids, 4, want));
	store_ids_free(&ids);
	CHECK(store_search_words(st, "common", 10, &ids) == PKS_OK);
	CHECK(ids_are(&ids, 5, want));
	store_ids_free(&ids);
	CHECK(store_search_email(st, "same@example.org", 0, &ids) == PKS_OK);
	CHECK(ids_are(&ids, 1, want));
	store_ids_free(&ids);
	CHECK(store_search_keyid(st, keyid_of(&k.sub[0].fpr), 32, 4, &ids) ==
	      PKS_OK);
	CHECK(ids_are(&ids, 5, want));
	store_ids_free(&ids);
	CHECK(store_search_fpr(st, k.sub[0].fpr.fpr, 20, 2, &ids) == PKS_OK);
	CHECK(ids_are(&ids, 3, want));
	store_ids_free(&ids);
	store_close(st);
}

static const char *
today(void)
{
	static char day[16];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	return day;
}

static void
test_update_and_days(void)
{
	static const char *const uids_new[] = { "Alice New <alice@new.example>",
		NULL };
	struct store *st = fixture_store(1000);
	struct store_ids ids;
	struct store_key k;
	struct store_day *days = NULL;
	struct fixture_fake a, a2, b;
	int64_t ida, n;
	size_t ndays = 0;
	uint64_t oldsub;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	fake_key(&a, 1, 2, uids_a);
	fake_key(&b, 2, 0, uids_b);
	ida = insert(st, &a);
	CHECK(insert(st, &b) > 0);
	CHECK(fixture_sql("UPDATE keys SET created = 5, updated = 5", NULL, 0));
	fake_key(&a2, 1, 1, uids_new);
	fixture_fake_fpr(&a2.sub[0].fpr, 1, 3);
	a2.data[0] ^= 0xff;
	a2.rec.hash[0] ^= 0xff;
	CHECK(store_begin(st) == PKS_OK);
	CHECK(store_key_update(st, ida, &a2.rec) == PKS_OK);
	CHECK(store_key_update(st, 999, &a2.rec) == PKS_ERR_NOTFOUND);
	CHECK(store_commit(st) == PKS_OK);
	CHECK(store_key_load(st, ida, &k) == PKS_OK);
	CHECK(k.created == 5 && k.updated > 5);
	CHECK(memcmp(k.hash, a2.rec.hash, 16) == 0 && k.data[0] == a2.data[0]);
	store_key_clear(&k);
	/* The index rows were replaced. */
	CHECK(nwords(st, "alice new", ida) == 1);
	CHECK(nwords(st, "builder", 0) == 0);
	CHECK(store_search_email(st, "bob@work.example", 10, &ids) == PKS_OK &&
	      ids.n == 0);
	store_ids_free(&ids);
	CHECK(store_search_email(st, "alice@new.example", 10, &ids) == PKS_OK &&
	      ids.n == 1);
	store_ids_free(&ids);
	oldsub = keyid_of(&a.sub[1].fpr);
	CHECK(store_search_keyid(st, oldsub, 64, 10, &ids) == PKS_OK &&
	      ids.n == 0);
	store_ids_free(&ids);
	CHECK(store_search_keyid(st, keyid_of(&a2.sub[0].fpr), 64, 10, &ids) ==
		  PKS_OK &&
	      ids.n == 1);
	store_ids_free(&ids);
	CHECK(store_search_hash(st, a.rec.hash, 10, &ids) == PKS_OK &&
	      ids.n == 0);
	store_ids_free(&ids);
	CHECK(store_count_keys(st, &n) == PKS_OK && n == 2);
	CHECK(store_stats_days(st, 7, &days, &ndays) == PKS_OK);
	CHECK(ndays == 1 && days != NULL);
	if (ndays == 1) {
		CHECK(strcmp(days[0].day, today()) == 0);
		CHECK(days[0].nnew == 2 && days[0].nupdated == 1);
	}
	free(days);
	CHECK(fixture_sql(
	    "INSERT INTO stats_days VALUES ('2001-02-03', 4, 5)", NULL, 0));
	CHECK(store_stats_days(st, 7, &days, &ndays) == PKS_OK && ndays == 2);
	if (ndays == 2)
		CHECK(strcmp(days[1].day, "2001-02-03") == 0 &&
		      days[1].nupdated == 5);
	free(days);
	CHECK(store_stats_days(st, 1, &days, &ndays) == PKS_OK && ndays == 1);
	free(days);
	store_close(st);
}

/* store_key_exists: stored, not stored (a subkey's fingerprint, a
 * length no fingerprint has), and a database that cannot answer. */
static void
test_key_exists(void)
{
	struct store *st = fixture_store(1000);
	struct fixture_fake a, b;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	fake_key(&a, 1, 2, uids_a);
	fake_key(&b, 2, 1, uids_b);
	CHECK(insert(st, &a) > 0);
	CHECK(store_key_exists(st, a.info.fpr.fpr, 20) == PKS_OK);
	CHECK(store_key_exists(st, b.info.fpr.fpr, 20) == PKS_ERR_NOTFOUND);
	CHECK(store_key_exists(st, a.sub[0].fpr.fpr, 20) == PKS_ERR_NOTFOUND);
	CHECK(store_key_exists(st, a.info.fpr.fpr, 19) == PKS_ERR_NOTFOUND);
	CHECK(insert(st, &b) > 0);
	CHECK(store_key_exists(st, b.info.fpr.fpr, 20) == PKS_OK);
	/* The keys table gone behind its back: an error, neither answer. */
	CHECK(fixture_sql("ALTER TABLE keys RENAME TO keys_gone", NULL, 0));
	CHECK(store_key_exists(st, a.info.fpr.fpr, 20) == PKS_ERR_DB);
	CHECK(strlen(store_errmsg(st)) > 0);
	store_close(st);
}

/* The 33 bytes the fingerprints of test_tombstone_fpr_len start with. */
#define TOMB_HEX                                                               \
	"A0A1A2A3A4A5A6A7A8A9AAABACADAEAFB0B1B2B3B4B5B6B7B8B9BABBBCBDBEBFC0"

/* The number of tombstones whose fingerprint is the first n bytes of
 * TOMB_HEX. */
static long long
tombstones_of(size_t n)
{
	char q[256];

	snprintf(q, sizeof(q),
	    "SELECT count(*) FROM tombstones WHERE fpr = substr(x'%s', 1, %zu)",
	    TOMB_HEX, n);
	return fixture_sql_int(q);
}

/*
 * The tombstones take a fingerprint's lengths only, as the keys do: a
 * 0-, 19- or 21-byte one is refused by add (nothing written), and get
 * and remove do not match it, not even a row of that length already
 * there (written behind the store's back here); 20 and 32 bytes work.
 */
static void
test_tombstone_fpr_len(void)
{
	static const size_t bad[] = { 0, 19, 21 }, good[] = { 20, 32 };
	struct store *st = fixture_store(1000);
	uint8_t fpr[33];
	char q[256], *why = NULL;
	size_t i;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	CHECK(tap_unhex(TOMB_HEX, fpr, sizeof(fpr)) == sizeof(fpr));
	CHECK(store_begin(st) == PKS_OK);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(store_tombstone_add(st, fpr, bad[i], "bad") ==
		      PKS_ERR_INTERNAL);
	CHECK(store_commit(st) == PKS_OK);
	CHECK(fixture_sql_int("SELECT count(*) FROM tombstones") == 0);

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(q, sizeof(q),
		    "INSERT INTO tombstones(fpr, created, reason) "
		    "VALUES (substr(x'%s', 1, %zu), 1, 'old')",
		    TOMB_HEX, bad[i]);
		CHECK(fixture_sql(q, NULL, 0));
		CHECK(store_tombstone_get(st, fpr, bad[i], &why) ==
		      PKS_ERR_NOTFOUND);
		CHECK(why == NULL);
		CHECK(store_begin(st) == PKS_OK);
		CHECK(store_tombstone_remove(st, fpr, bad[i]) ==
		      PKS_ERR_NOTFOUND);
		CHECK(store_commit(st) == PKS_OK);
		CHECK(tombstones_of(bad[i]) == 1);
	}

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		CHECK(store_begin(st) == PKS_OK);
		CHECK(store_tombstone_add(st, fpr, good[i], "gone") == PKS_OK);
		CHECK(store_commit(st) == PKS_OK);
		CHECK(tombstones_of(good[i]) == 1);
		CHECK(store_tombstone_get(st, fpr, good[i], &why) == PKS_OK);
		CHECK(why != NULL && strcmp(why, "gone") == 0);
		free(why);
		why = NULL;
		CHECK(store_begin(st) == PKS_OK);
		CHECK(store_tombstone_remove(st, fpr, good[i]) == PKS_OK);
		CHECK(store_commit(st) == PKS_OK);
		CHECK(tombstones_of(good[i]) == 0);
	}
	CHECK(fixture_sql_int("SELECT count(*) FROM tombstones") == 3);
	store_close(st);
}

/*
 * The bulk import's two locks (store_bulk.h), all in this process (a
 * lock of an open file description keeps out the others of the same
 * process too): an open connection keeps the import key by key; while
 * it runs every opener is refused as busy, a second import too; once
 * it is gone, refused for good, even when a live process has the id
 * an older version wrote in the mark; resumed and finished, opened.
 */
static void
test_bulk_lock(void)
{
	struct store *st = fixture_store(1000), *imp = NULL, *o = NULL;
	char pid[32];
	int on = 0, on2 = 0;

	CHECK(st != NULL);
	if (st == NULL ||
	    store_open(fixture_db, STORE_BULK, 100, &imp) != PKS_OK) {
		store_close(st);
		CHECK(0);
		return;
	}
	CHECK(store_bulk_begin(imp, 1, &on) == PKS_OK && on == -1);
	store_close(st);
	CHECK(store_bulk_begin(imp, 1, &on) == PKS_OK && on == 1);
	CHECK(store_open(fixture_db, 0, 100, &o) == PKS_ERR_BUSY && o == NULL);
	CHECK(store_open(fixture_db, STORE_SHORT, 100, &o) == PKS_ERR_BUSY);
	CHECK(store_open(fixture_db, STORE_READONLY, 100, &o) == PKS_ERR_BUSY);
	CHECK(store_open(fixture_db, STORE_BULK, 100, &o) == PKS_OK);
	if (o != NULL) {
		CHECK(store_bulk_begin(o, 1, &on2) == PKS_ERR_BUSY && on2 == 0);
		store_close(o);
		o = NULL;
	}
	store_close(imp);
	snprintf(pid, sizeof(pid), "%ld", (long)getpid());
	CHECK(store_open(fixture_db, 0, 100, &o) == PKS_ERR_DB);
	CHECK(store_open(fixture_db, STORE_SHORT, 100, &o) == PKS_ERR_DB);
	CHECK(store_open(fixture_db, STORE_BULK, 100, &imp) == PKS_OK);
	if (imp == NULL)
		return;
	CHECK(store_meta_set(imp, "bulk_import", pid) == PKS_OK);
	CHECK(store_open(fixture_db, 0, 100, &o) == PKS_ERR_DB);
	CHECK(store_bulk_begin(imp, 1, &on) == PKS_OK && on == 2);
	CHECK(store_bulk_finish(imp) == PKS_OK);
	CHECK(store_open(fixture_db, 0, 100, &o) == PKS_OK);
	store_close(o);
	store_close(imp);
}

static void
test_rollback(void)
{
	struct store *st = fixture_store(1000);
	struct store_key k;
	struct fixture_fake a;
	int64_t id, n = -1;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	fake_key(&a, 1, 1, uids_a);
	CHECK(store_begin(st) == PKS_OK);
	CHECK(store_key_insert(st, &a.rec, &id) == PKS_OK);
	store_rollback(st);
	store_rollback(st);
	CHECK(store_key_find(st, a.info.fpr.fpr, 20, &k) == PKS_ERR_NOTFOUND);
	CHECK(store_count_keys(st, &n) == PKS_OK && n == 0);
	CHECK(nwords(st, "alice", 0) == 0);
	store_close(st);
}

static void
test_busy(void)
{
	struct store *st1 = fixture_store(1000), *st2 = NULL, *ro = NULL;
	struct store_key k;
	struct fixture_fake a;
	int64_t id;
	time_t t0;

	CHECK(st1 != NULL);
	if (st1 == NULL)
		return;
	fake_key(&a, 1, 1, uids_a);
	CHECK(insert(st1, &a) > 0);
	CHECK(store_open(fixture_db, 0, 100, &st2) == PKS_OK);
	if (st2 == NULL) {
		store_close(st1);
		return;
	}
	CHECK(store_begin(st1) == PKS_OK);
	t0 = time(NULL);
	CHECK(store_begin(st2) == PKS_ERR_BUSY);
	CHECK(time(NULL) - t0 < 5);
	CHECK(strlen(store_errmsg(st2)) > 0);
	/* Readers are not blocked by a writer (WAL). */
	CHECK(store_key_find(st2, a.info.fpr.fpr, 20, &k) == PKS_OK);
	store_key_clear(&k);
	store_rollback(st1);
	CHECK(store_begin(st2) == PKS_OK);
	store_rollback(st2);
	store_close(st2);
	/* A read-only connection reads, and cannot write. */
	CHECK(store_open(fixture_db, STORE_READONLY, 100, &ro) == PKS_OK);
	if (ro != NULL) {
		CHECK(store_key_find(ro, a.info.fpr.fpr, 20, &k) == PKS_OK);
		store_key_clear(&k);
		fake_key(&a, 3, 0, uids_b);
		CHECK(store_key_insert(ro, &a.rec, &id) == PKS_ERR_DB);
		store_close(ro);
	}
	store_close(st1);
}

struct walk {
	int64_t last;
	int n;
	int stop_at;
};

static int
walk_cb(void *arg, const struct store_key *k)
{
	struct walk *w = arg;

	if (k->id <= w->last || k->len != 64)
		return -1;
	w->last = k->id;
	w->n++;
	return w->n == w->stop_at ? PKS_ERR_IO : 0;
}

/* A writer that finds the lock taken waits, and gets it once the
 * holder (another process) lets it go well within busy_ms. */
static void
test_busy_release(void)
{
	struct store *st1 = fixture_store(1000), *st2 = NULL, *hold = NULL;
	int fds[2];
	char c = 0;
	pid_t pid;

	CHECK(st1 != NULL);
	store_close(st1);
	if (st1 == NULL || pipe(fds) != 0)
		return;
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (store_open(fixture_db, 0, 100, &hold) == PKS_OK &&
		    store_begin(hold) == PKS_OK && write(fds[1], "x", 1) == 1) {
			usleep(300000);
			store_rollback(hold);
		}
		store_close(hold);
		_exit(0);
	}
	close(fds[1]);
	CHECK(pid > 0 && read(fds[0], &c, 1) == 1 && c == 'x');
	close(fds[0]);
	CHECK(store_open(fixture_db, STORE_SHORT, 20000, &st2) == PKS_OK);
	if (st2 != NULL) {
		CHECK(store_begin(st2) == PKS_OK);
		CHECK(store_counter_add(st2, "mail_filtered", "handled", 1) ==
		      PKS_OK);
		CHECK(store_commit(st2) == PKS_OK);
		/* the commit, then nothing more, put on disk */
		CHECK(store_sync(st2) == PKS_OK);
		CHECK(store_sync(st2) == PKS_OK);
		CHECK(fixture_counter(st2, "mail_filtered", "handled") == 1);
		store_close(st2);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void
test_foreach(void)
{
	struct store *st = fixture_store(1000);
	struct walk w = { 0, 0, 0 };
	struct fixture_fake k;
	int i;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	for (i = 0; i < 4; i++) {
		fake_key(&k, (uint8_t)(40 + i), 0, uids_a);
		CHECK(insert(st, &k) > 0);
	}
	CHECK(store_key_foreach(st, walk_cb, &w) == PKS_OK && w.n == 4);
	memset(&w, 0, sizeof(w));
	w.stop_at = 2;
	CHECK(store_key_foreach(st, walk_cb, &w) == PKS_ERR_IO && w.n == 2);
	store_close(st);
}

static void
count_line(void *arg, const char *line)
{
	size_t *n = arg;

	(*n)++;
	printf("# check: %s\n", line);
}

static void
test_check(void)
{
	struct store *st = fixture_store(1000);
	struct fixture_fake a, b;
	size_t nprob = 99, nlines = 0;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	fake_key(&a, 1, 1, uids_a);
	fake_key(&b, 2, 1, uids_b);
	CHECK(insert(st, &a) > 0 && insert(st, &b) > 0);
	CHECK(store_check(st, count_line, &nlines, &nprob) == PKS_OK);
	CHECK(nprob == 0 && nlines == 0);
	/* Damage behind the store's back: a lost key ID row, a shared
	 * hash, a word index that no longer matches its keys, and a key
	 * without its listing facts. */
	CHECK(
	    fixture_sql("DELETE FROM keyids WHERE fpr = (SELECT fpr FROM keys "
			"WHERE id = 1)",
		NULL, 0));
	CHECK(fixture_sql("UPDATE keys SET hash = (SELECT hash FROM keys WHERE "
			  "id = 1) WHERE id = 2",
	    NULL, 0));
	CHECK(fixture_sql("DROP TRIGGER keys_words_update", NULL, 0));
	CHECK(fixture_sql(
	    "UPDATE keys SET uids = 'zebra' WHERE id = 2", NULL, 0));
	CHECK(fixture_sql("DELETE FROM key_listings WHERE id = 1", NULL, 0));
	CHECK(store_check(st, count_line, &nlines, &nprob) == PKS_OK);
	/* ... and the word table no longer matches key 2's user IDs
	 * (a word missing, others too many) nor key 1's listing. */
	CHECK(nprob == 7 && nlines == 7);
	store_close(st);
}

/* Counters go with their transaction; a bump is its own. */
static void
test_counters(void)
{
	struct store *st = fixture_store(1000), *other = NULL;
	struct store_counter *c = NULL;
	size_t n = 0;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	CHECK(store_begin(st) == PKS_OK);
	CHECK(store_counter_add(st, "keys_added", "hkp", 7) == PKS_OK);
	store_rollback(st);
	CHECK(fixture_counter(st, "keys_added", "hkp") == -1);
	CHECK(store_begin(st) == PKS_OK);
	CHECK(store_counter_add(st, "keys_added", "hkp", 3) == PKS_OK);
	CHECK(store_counter_add(st, "keys_added", "hkp", 2) == PKS_OK);
	CHECK(store_counter_add(st, "keys_added", "import", 1) == PKS_OK);
	CHECK(store_commit(st) == PKS_OK);
	CHECK(fixture_counter(st, "keys_added", "hkp") == 5);
	CHECK(
	    store_counter_bump(st, "mail_filtered", "handled", 100) == PKS_OK);
	CHECK(fixture_counter(st, "mail_filtered", "handled") == 1);
	/* ordered by name and label, at most max rows */
	CHECK(store_counter_list(st, 2, &c, &n) == PKS_OK && n == 2);
	CHECK(n == 2 && strcmp(c[0].label, "hkp") == 0 &&
	      strcmp(c[1].label, "import") == 0);
	free(c);
	/* another writer holds the lock: the bump gives up, counts nothing */
	CHECK(store_open(fixture_db, 0, 1000, &other) == PKS_OK);
	CHECK(other != NULL && store_begin(other) == PKS_OK);
	CHECK(store_counter_bump(st, "mail_filtered", "tempfail", 50) ==
	      PKS_ERR_BUSY);
	store_rollback(other);
	store_close(other);
	CHECK(fixture_counter(st, "mail_filtered", "tempfail") == -1);
	store_close(st);
}

/* A recon session's record counts the session and the keys fetched. */
static void
test_recon_counters(void)
{
	struct store *st = fixture_store(1000);
	struct store_recon_peer p;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	memset(&p, 0, sizeof(p));
	snprintf(p.peer, sizeof(p.peer), "127.0.0.1 11370");
	snprintf(p.result, sizeof(p.result), "ok");
	p.fetched = 4;
	CHECK(store_recon_peer_set(st, &p) == PKS_OK);
	CHECK(store_recon_peer_set(st, &p) == PKS_OK);
	snprintf(p.result, sizeof(p.result), "failed: timeout");
	p.fetched = 0;
	CHECK(store_recon_peer_set(st, &p) == PKS_OK);
	CHECK(fixture_counter(st, STORE_CTR_RECON_OK, "127.0.0.1 11370") == 2);
	CHECK(fixture_counter(st, STORE_CTR_RECON_FAILED, "127.0.0.1 11370") ==
	      1);
	CHECK(fixture_counter(st, STORE_CTR_RECON_FETCHED, "127.0.0.1 11370") ==
	      8);
	store_close(st);
}

/* Whether store_count_keys() is exactly what a scan of the keys says. */
static int
count_exact(struct store *st, int64_t want)
{
	char scan[32];
	int64_t n = -1;

	if (!fixture_sql("SELECT count(*) FROM keys", scan, sizeof(scan)))
		return 0;
	return store_count_keys(st, &n) == PKS_OK && n == want &&
	       strtoll(scan, NULL, 10) == want;
}

static void
test_key_count(void)
{
	struct store *st = fixture_store(1000), *ro = NULL;
	struct fixture_fake k[4], a2;
	char row[32];
	int64_t id[4];
	size_t i;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	/* Keys added before the count is first read: seeded by a scan. */
	for (i = 0; i < 3; i++) {
		fake_key(&k[i], (uint8_t)(40 + i), 1, uids_a);
		id[i] = insert(st, &k[i]);
	}
	CHECK(count_exact(st, 3));
	CHECK(fixture_sql("SELECT value FROM counters WHERE name = "
			  "'keys_stored'",
		  row, sizeof(row)) &&
	      strcmp(row, "3") == 0);
	/* Then kept in the adding and deleting transactions. */
	fake_key(&k[3], 43, 0, uids_b);
	id[3] = insert(st, &k[3]);
	CHECK(count_exact(st, 4));
	fake_key(&a2, 40, 2, uids_b);
	a2.rec.hash[0] ^= 0xff;
	CHECK(store_begin(st) == PKS_OK);
	CHECK(store_key_update(st, id[0], &a2.rec) == PKS_OK);
	CHECK(store_commit(st) == PKS_OK);
	CHECK(count_exact(st, 4));
	CHECK(store_begin(st) == PKS_OK);
	CHECK(store_key_delete(st, id[1]) == PKS_OK);
	CHECK(store_key_delete(st, id[1]) == PKS_ERR_NOTFOUND);
	CHECK(store_commit(st) == PKS_OK);
	CHECK(count_exact(st, 3));
	/* A rolled-back delete and a rolled-back add change nothing. */
	CHECK(store_begin(st) == PKS_OK);
	CHECK(store_key_delete(st, id[2]) == PKS_OK);
	CHECK(store_key_insert(st, &k[1].rec, NULL) == PKS_OK);
	store_rollback(st);
	CHECK(count_exact(st, 3));
	/* A database from before the counter: a read-only reader scans,
	 * the first writer seeds the counter again. */
	CHECK(fixture_sql(
	    "DELETE FROM counters WHERE name = 'keys_stored'", NULL, 0));
	CHECK(store_open(fixture_db, STORE_READONLY, 1000, &ro) == PKS_OK);
	CHECK(ro != NULL && count_exact(ro, 3));
	store_close(ro);
	CHECK(fixture_sql("SELECT count(*) FROM counters WHERE name = "
			  "'keys_stored'",
		  row, sizeof(row)) &&
	      strcmp(row, "0") == 0);
	CHECK(count_exact(st, 3));
	CHECK(fixture_sql("SELECT value FROM counters WHERE name = "
			  "'keys_stored'",
		  row, sizeof(row)) &&
	      strcmp(row, "3") == 0);
	CHECK(store_begin(st) == PKS_OK);
	CHECK(store_key_delete(st, id[3]) == PKS_OK);
	CHECK(store_commit(st) == PKS_OK);
	CHECK(count_exact(st, 2));
	store_close(st);
}

int
main(void)
{
	if (fixture_init("store") != 0)
		return 99;
	RUN(test_open_create);
	RUN(test_schema_version_guard);
	RUN(test_migrations);
	RUN(test_insert_find);
	RUN(test_key_exists);
	RUN(test_tombstone_fpr_len);
	RUN(test_bulk_lock);
	RUN(test_keyids);
	RUN(test_words);
	RUN(test_email);
	RUN(test_max_plus_one);
	RUN(test_update_and_days);
	RUN(test_rollback);
	RUN(test_key_count);
	RUN(test_busy);
	RUN(test_busy_release);
	RUN(test_foreach);
	RUN(test_check);
	RUN(test_counters);
	RUN(test_recon_counters);
	RUN(test_listings);
	fixture_done();
	return tap_done();
}
