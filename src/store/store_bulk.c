/*
 * store_bulk.c: the bulk load of an empty database by "pksync import"
 * (see store_bulk.h): indexes dropped at the start and built at the end,
 * the prefix tree rebuilt in one pass, and the mark that keeps other
 * openers out meanwhile.
 */
#include <config.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store_bulk.h"
#include "store/store_int.h"
#include "store/store_ptree.h"
#include "store/store_txn.h"
#include "store/store_wordkeys.h"
#include "util/log.h"
#include "util/xalloc.h"

/* The mark: present from store_bulk_begin to store_bulk_finish; its
 * value is the process id of the import. */
#define BULK_MARK "bulk_import"
/* meta rows "bulk_index.NAME": the CREATE text of a dropped index. */
#define BULK_INDEX "bulk_index."

/*
 * Indexes that no statement of an import reads: built at the end.  The
 * others stay: keys(fpr) finds a key, keys_hash counts the keys of a
 * hash on a merge, keyids_fpr and keyids_keyid64 find the issuers of
 * certifications.
 */
static const char *const bulk_indexes[] = {
	"keys_updated",
	"keyids_keyid32",
	"emails_email",
};

static const char refuse_msg[] =
    "an import into this empty database did not finish (its search "
    "indexes are not built): run pksync import again on the same files "
    "to finish it";

/* Whether the mark is set; *pid: the process of the import. */
static enum pks_rc
marked(struct store *st, int *on, long *pid)
{
	char *val = NULL, *end;
	enum pks_rc rc;

	rc = store_meta_get(st, BULK_MARK, &val);
	*on = rc == PKS_OK;
	*pid = *on ? strtol(val, &end, 10) : 0;
	free(val);
	return rc == PKS_ERR_NOTFOUND ? PKS_OK : rc;
}

/* Whether process pid (of this host) runs: EPERM is another user's. */
static int
alive(long pid)
{
	return pid > 0 && pid <= INT_MAX &&
	       (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

enum pks_rc
store_bulk_refuse(struct store *st)
{
	enum pks_rc rc;
	long pid;
	int on;

	if ((rc = marked(st, &on, &pid)) != PKS_OK)
		return rc;
	/* While the import runs, the database answers (searches on the
	 * indexes not built yet scan); once it is gone, not any more. */
	return on && !alive(pid) ? store_fail_msg(st, PKS_ERR_DB, refuse_msg)
				 : PKS_OK;
}

/* One statement of fixed text with one text parameter (NULL: none). */
static enum pks_rc
exec1(struct store *st, const char *sql, const char *arg)
{
	sqlite3_stmt *s = NULL;
	int r;

	r = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (r == SQLITE_OK && arg != NULL)
		r = sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	if (r == SQLITE_OK) {
		while ((r = sqlite3_step(s)) == SQLITE_ROW)
			;
		r = r == SQLITE_DONE ? SQLITE_OK : r;
	}
	sqlite3_finalize(s);
	return r == SQLITE_OK ? PKS_OK : store_fail(st, r);
}

/* Drop index 'name' (if there), keeping its CREATE text in meta. */
static enum pks_rc
drop_index(struct store *st, const char *name)
{
	char drop[96];
	enum pks_rc rc;

	rc = exec1(st,
	    "INSERT OR REPLACE INTO meta(name, value) SELECT '" BULK_INDEX
	    "' || name, sql FROM sqlite_master WHERE type = 'index' AND "
	    "name = ?1 AND sql IS NOT NULL",
	    name);
	if (rc != PKS_OK)
		return rc;
	snprintf(drop, sizeof(drop), "DROP INDEX IF EXISTS %s", name);
	return exec1(st, drop, NULL);
}

/* Whether the keys table holds a row. */
static enum pks_rc
any_key(struct store *st, int *any)
{
	sqlite3_stmt *s = NULL;
	int r;

	*any = 1;
	r = sqlite3_prepare_v2(
	    st->db, "SELECT EXISTS (SELECT 1 FROM keys)", -1, &s, NULL);
	if (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		*any = sqlite3_column_int(s, 0) != 0;
		r = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return r == SQLITE_OK ? PKS_OK : store_fail(st, r);
}

struct begin {
	int start; /* begin a bulk load (else only resume one) */
	int *on;
};

/* In the transaction of store_bulk_begin. */
static enum pks_rc
begin_txn(struct store *st, void *arg)
{
	struct begin *b = arg;
	int *on = b->on;
	int any = 1;
	char me[32];
	long pid;
	enum pks_rc rc;
	size_t i;

	snprintf(me, sizeof(me), "%ld", (long)getpid());
	if ((rc = marked(st, on, &pid)) != PKS_OK)
		return rc;
	if (*on) {
		*on = 2; /* resumed */
		return store_meta_set(st, BULK_MARK, me);
	}
	if (!b->start)
		return PKS_OK;
	if ((rc = any_key(st, &any)) != PKS_OK || any > 0)
		return rc;
	for (i = 0; i < sizeof(bulk_indexes) / sizeof(bulk_indexes[0]); i++)
		if ((rc = drop_index(st, bulk_indexes[i])) != PKS_OK)
			return rc;
	if ((rc = store_meta_set(st, "ptree_rebuild", "1")) != PKS_OK)
		return rc;
	*on = 1;
	return store_meta_set(st, BULK_MARK, me);
}

enum pks_rc
store_bulk_begin(struct store *st, int start, int *on)
{
	struct begin b = { start, on };
	enum pks_rc rc;

	*on = 0;
	rc = store_txn_run(st, begin_txn, &b);
	if (rc != PKS_OK)
		*on = 0;
	st->bulk = *on;
	return rc;
}

/* Build every index whose CREATE text meta holds, and forget it. */
static enum pks_rc
build_indexes(struct store *st, void *arg)
{
	sqlite3_stmt *s = NULL;
	char **sql = NULL;
	size_t n = 0, i;
	enum pks_rc rc = PKS_OK;
	int r;

	(void)arg;
	r = sqlite3_prepare_v2(st->db,
	    "SELECT value FROM meta WHERE name >= '" BULK_INDEX
	    "' AND name < '" BULK_INDEX "~'",
	    -1, &s, NULL);
	while (r == SQLITE_OK || r == SQLITE_ROW) {
		if ((r = sqlite3_step(s)) != SQLITE_ROW)
			break;
		sql = xreallocarray(sql, n + 1, sizeof(*sql));
		sql[n++] = xstrdup((const char *)sqlite3_column_text(s, 0));
	}
	sqlite3_finalize(s);
	if (r != SQLITE_DONE)
		rc = store_fail(st, r);
	for (i = 0; i < n; i++) {
		if (rc == PKS_OK)
			rc = exec1(st, sql[i], NULL);
		free(sql[i]);
	}
	free(sql);
	if (rc == PKS_OK)
		rc = exec1(st,
		    "DELETE FROM meta WHERE name >= '" BULK_INDEX
		    "' AND name < '" BULK_INDEX "~'",
		    NULL);
	return rc;
}

static enum pks_rc
clear_mark(struct store *st, void *arg)
{
	(void)arg;
	return exec1(st, "DELETE FROM meta WHERE name = ?1", BULK_MARK);
}

enum pks_rc
store_bulk_finish(struct store *st)
{
	enum pks_rc rc;

	st->bulk = 0;
	/* The word table, empty while the keys came (store_wordkeys.c). */
	if ((rc = store_txn_run(st, build_indexes, NULL)) != PKS_OK ||
	    (rc = store_wordkeys_fill_sorted(st)) != PKS_OK)
		return rc;
	if (store_ptree_stale(st) &&
	    (rc = store_ptree_rebuild(st, NULL)) != PKS_OK)
		return rc;
	return store_txn_run(st, clear_mark, NULL);
}
