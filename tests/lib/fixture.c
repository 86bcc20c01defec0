/*
 * fixture.c: the temporary folder and database of the unit tests
 * (fixture.h).
 */
#include <config.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fixture.h"
#include "tap.h"
#include "store/store_counters.h"

char fixture_dir[64];
char fixture_db[128];

int
fixture_init(const char *name)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(fixture_dir, sizeof(fixture_dir), "%s/pks-%s-XXXXXX",
	    tmp != NULL && strlen(tmp) < 40 ? tmp : "/tmp", name);
	if (mkdtemp(fixture_dir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	fixture_path(fixture_db, sizeof(fixture_db), "test.db");
	return 0;
}

void
fixture_path(char *out, size_t size, const char *file)
{
	snprintf(out, size, "%s/%s", fixture_dir, file);
}

int
fixture_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return 0;
	fputs(text, f);
	return fclose(f) == 0;
}

void
fixture_db_remove(void)
{
	char p[160];

	unlink(fixture_db);
	snprintf(p, sizeof(p), "%s-wal", fixture_db);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", fixture_db);
	unlink(p);
}

struct store *
fixture_store(int busy_ms)
{
	struct store *st = NULL;

	fixture_db_remove();
	if (store_open(fixture_db, STORE_CREATE, busy_ms, &st) != PKS_OK)
		return NULL;
	return st;
}

int
fixture_sql(const char *sql, char *out, size_t outsz)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	const unsigned char *t;
	int ok, r;

	if (out != NULL && outsz > 0)
		out[0] = '\0';
	if (sqlite3_open(fixture_db, &db) != SQLITE_OK) {
		sqlite3_close(db);
		return 0;
	}
	ok = sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK;
	if (ok) {
		r = sqlite3_step(s);
		ok = r == SQLITE_ROW || r == SQLITE_DONE;
		t = r == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
		if (out != NULL && outsz > 0 && t != NULL)
			snprintf(out, outsz, "%s", (const char *)t);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return ok;
}

int
fixture_script(const char *sql)
{
	sqlite3 *db = NULL;
	int ok;

	ok = sqlite3_open(fixture_db, &db) == SQLITE_OK &&
	     sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
	sqlite3_close(db);
	return ok;
}

long long
fixture_sql_int(const char *sql)
{
	char v[32];

	if (!fixture_sql(sql, v, sizeof(v)) || v[0] == '\0')
		return -1;
	return strtoll(v, NULL, 10);
}

int64_t
fixture_counter(struct store *st, const char *name, const char *label)
{
	struct store_counter *c = NULL;
	int64_t v = -1;
	size_t i, n = 0;

	if (store_counter_list(st, 1000, &c, &n) != PKS_OK)
		return -2;
	for (i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0 &&
		    strcmp(c[i].label, label) == 0)
			v = c[i].value;
	free(c);
	return v;
}

struct pgp_key *
fixture_key(const void *data, size_t len)
{
	struct pgp_key *k = NULL;
	struct pks_err e = { 0, NULL };

	CHECK(pgp_key_parse(data, len, &k, &e) == PKS_OK);
	return k;
}

struct pgp_key *
fixture_key_file(const char *rel)
{
	struct pgp_key *k = NULL;
	size_t n = 0;
	uint8_t *d = tap_read_file(tap_srcpath(rel), &n);

	CHECK(d != NULL);
	if (d != NULL)
		k = fixture_key(d, n);
	free(d);
	return k;
}

void
fixture_fake_fpr(struct pgp_fpr *f, uint8_t tag, uint8_t sub)
{
	size_t i;

	memset(f, 0, sizeof(*f));
	f->version = 4;
	f->len = 20;
	for (i = 0; i < 20; i++)
		f->fpr[i] = (uint8_t)(tag + 7 * i + 31 * sub);
	memcpy(f->keyid, f->fpr + 12, 8);
}

void
fixture_fake_key(struct fixture_fake *k, uint8_t tag,
    const struct fixture_fake_shape *shape, const char *const *uids)
{
	size_t i;

	memset(k, 0, sizeof(*k));
	fixture_fake_fpr(&k->info.fpr, tag, 0);
	k->info.version = 4;
	k->info.algo = 1;
	k->info.bits = 2048;
	k->info.ctime = shape->ctime;
	for (i = 0; i < shape->nsub && i < FIXTURE_FAKE_MAX; i++)
		fixture_fake_fpr(&k->sub[i].fpr, tag, (uint8_t)(i + 1));
	k->info.subkeys = k->sub;
	k->info.nsubkeys = i;
	for (i = 0; uids != NULL && uids[i] != NULL && i < FIXTURE_FAKE_MAX;
	     i++) {
		k->uid[i].text = (const uint8_t *)uids[i];
		k->uid[i].len = strlen(uids[i]);
	}
	k->info.uids = k->uid;
	k->info.nuids = i;
	for (i = 0; i < sizeof(k->data); i++)
		k->data[i] = (uint8_t)(tag ^ i);
	k->rec.data = k->data;
	k->rec.len = shape->data_len < sizeof(k->data) ? shape->data_len
						       : sizeof(k->data);
	for (i = 0; i < 16; i++)
		k->rec.hash[i] = (uint8_t)(tag * 3 + i);
	k->rec.info = &k->info;
	k->rec.recon = shape->recon;
}

void
fixture_done(void)
{
	DIR *d = opendir(fixture_dir);
	struct dirent *e;
	char p[384];

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", fixture_dir, e->d_name);
		unlink(p);
	}
	if (d != NULL)
		closedir(d);
	rmdir(fixture_dir);
}
