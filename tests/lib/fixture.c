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

#include "fixture.h"
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
