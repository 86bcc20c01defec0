/*
 * store_bulk.c: the bulk load of an empty database by "pksync import"
 * (see store_bulk.h): indexes dropped at the start and built at the end,
 * the prefix tree rebuilt in one pass, and the mark that keeps other
 * openers out meanwhile, and the lock that tells a running import from
 * one that died.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store_bulk.h"
#include "store/store_int.h"
#include "store/store_ptree.h"
#include "store/store_txn.h"
#include "store/store_wordkeys.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/xalloc.h"

/* The mark: present from store_bulk_begin to store_bulk_finish.  Its
 * value means nothing (older versions wrote the import's process id):
 * whether the import still runs is the lock's answer. */
#define BULK_MARK "bulk_import"
/* meta rows "bulk_index.NAME": the CREATE text of a dropped index. */
#define BULK_INDEX "bulk_index."
/* The lock file: the database's path and this. */
#define BULK_LOCK_SUFFIX "-bulk"

/*
 * Indexes that no statement of an import reads: built at the end.  The
 * others stay: keys(fpr) finds a key, keys_hash counts the keys of a
 * hash on a merge, keyids_fpr and keyids_keyid64 find the issuers of
 * certifications; keys_updated, whose new entries (the time of the
 * import) all go at its end, costs less kept than built again from a
 * scan of every key (a million keys: 4 s).
 */
static const char *const bulk_indexes[] = {
	"keyids_keyid32",
	"emails_email",
};
/* The word table's index on key, dropped for its fill at the end
 * (store_wordkeys_fill_sorted), which writes it in word order. */
#define WORD_INDEX "key_word_listings_key"

static const char refuse_msg[] =
    "an import into this empty database did not finish (its search "
    "indexes are not built): run pksync import again on the same files "
    "to finish it";

static const char running_msg[] =
    "an import into this empty database is running (its search indexes "
    "are built when it ends): the database opens again once it has "
    "finished";

/* Whether the mark is set. */
static enum pks_rc
marked(struct store *st, int *on)
{
	char *val = NULL;
	enum pks_rc rc;

	rc = store_meta_get(st, BULK_MARK, &val);
	*on = rc == PKS_OK;
	free(val);
	return rc == PKS_ERR_NOTFOUND ? PKS_OK : rc;
}

/* The lock file's path in buf; 0 when the database has no file (in
 * memory, temporary): no other process can open it then. */
static int
lock_path(struct store *st, char *buf, size_t size)
{
	const char *db = sqlite3_db_filename(st->db, "main");
	int n;

	if (db == NULL || *db == '\0')
		return 0;
	n = snprintf(buf, size, "%s%s", db, BULK_LOCK_SUFFIX);
	return n > 0 && (size_t)n < size;
}

/* PKS_ERR_IO, the message naming the lock file and errno's reason
 * e (the path's tail when it is long). */
static enum pks_rc
lock_fail(struct store *st, const char *path, int e)
{
	size_t n = strlen(path);

	snprintf(st->msg, sizeof(st->msg), "lock file %s: %.60s",
	    path + (n > 160 ? n - 160 : 0), strerror(e));
	return PKS_ERR_IO;
}

/*
 * The lock file holds two one-byte locks, both read locks on an open
 * file description (F_OFD_SETLK): a read lock needs only a file open
 * for reading, so any user who can read the file takes it, whoever
 * made it; it is held until its descriptor closes or the process ends
 * (even by kill -9), and another descriptor of the same process does
 * not drop it (POSIX record locks fall with any close of the file, and
 * SQLite opens and closes the database's own files).
 *   LOCK_IMPORT: held by a bulk import for its whole run;
 *   LOCK_OPEN:   held by every other connection that is not
 *                STORE_SHORT, for as long as it is open.
 * A test is F_OFD_GETLK of a write lock, which conflicts with a read
 * lock of any other descriptor.  Each side takes its own byte before
 * it tests the other's: of an import beginning and a connection
 * opening at the same time, at least one sees the other.
 */
#define LOCK_IMPORT 0
#define LOCK_OPEN 1

/* fcntl 'cmd' on byte 'byte' of fd with a lock of type *type; for
 * F_OFD_GETLK, *type becomes what it found.  -1 (errno) on failure. */
static int
byte_lock(int fd, int cmd, off_t byte, short *type)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = *type;
	fl.l_whence = SEEK_SET;
	fl.l_start = byte;
	fl.l_len = 1;
	if (fcntl(fd, cmd, &fl) == -1)
		return -1;
	*type = fl.l_type;
	return 0;
}

/* Whether another descriptor holds a lock on 'byte' of fd: *held. */
static enum pks_rc
lock_test(struct store *st, const char *path, int fd, off_t byte, int *held)
{
	short type = F_WRLCK;

	if (byte_lock(fd, F_OFD_GETLK, byte, &type) == -1)
		return lock_fail(st, path, errno);
	*held = type != F_UNLCK;
	return PKS_OK;
}

/*
 * Open the lock file, made if missing, and take a read lock on 'byte':
 * *fd.  Opened as root (a command that keeps root), the file is the
 * database's owner's, as SQLite does with the files it makes beside
 * the database: the user serve runs as must read it.
 */
static enum pks_rc
lock_take(struct store *st, const char *path, off_t byte, int *fd)
{
	const char *db = sqlite3_db_filename(st->db, "main");
	short type = F_RDLCK;
	struct stat sb;
	int e;

	if ((*fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644)) == -1)
		return lock_fail(st, path, errno);
	if (geteuid() == 0 && stat(db, &sb) == 0 &&
	    fchown(*fd, sb.st_uid, sb.st_gid) == -1)
		log_debug("lock file %s: chown: %s", path, strerror(errno));
	if (byte_lock(*fd, F_OFD_SETLK, byte, &type) == -1) {
		e = errno;
		close(*fd);
		return lock_fail(st, path, e);
	}
	return PKS_OK;
}

/* Whether an import holds its lock: *held (a file not there: no).  One
 * open, one fcntl and one close. */
static enum pks_rc
import_running(struct store *st, int *held)
{
	char path[PATH_MAX + 16];
	enum pks_rc rc;
	int fd;

	*held = 0;
	if (!lock_path(st, path, sizeof(path)))
		return PKS_OK;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? PKS_OK : lock_fail(st, path, errno);
	rc = lock_test(st, path, fd, LOCK_IMPORT, held);
	close(fd);
	return rc;
}

/*
 * A connection that is not STORE_SHORT: take LOCK_OPEN and keep it,
 * then whether an import holds LOCK_IMPORT: *held.  A lock file that
 * cannot be made (a folder this user cannot write) takes nothing: the
 * mark alone speaks then.
 */
static enum pks_rc
open_take(struct store *st, int *held)
{
	char path[PATH_MAX + 16];
	enum pks_rc rc;
	int fd;

	*held = 0;
	if (!lock_path(st, path, sizeof(path)))
		return PKS_OK;
	if (lock_take(st, path, LOCK_OPEN, &fd) != PKS_OK)
		return PKS_OK;
	st->bulk_fd = fd;
	st->bulk_locked = 1;
	if ((rc = lock_test(st, path, fd, LOCK_IMPORT, held)) != PKS_OK)
		return rc;
	return *held ? store_fail_msg(st, PKS_ERR_BUSY, running_msg) : PKS_OK;
}

enum pks_rc
store_bulk_refuse(struct store *st, int flags)
{
	enum pks_rc rc;
	int on, held = 0;

	if (!(flags & STORE_SHORT) && (rc = open_take(st, &held)) != PKS_OK)
		return rc;
	if ((rc = marked(st, &on)) != PKS_OK || !on)
		return rc;
	/* open_take tested the import's lock already (and found it free). */
	if (!st->bulk_locked && (rc = import_running(st, &held)) != PKS_OK)
		return rc;
	if (!st->bulk_locked && held)
		return store_fail_msg(st, PKS_ERR_BUSY, running_msg);
	/* The import clears the mark before it lets the lock go: a mark
	 * still there now belongs to an import that died. */
	if ((rc = marked(st, &on)) != PKS_OK)
		return rc;
	return on ? store_fail_msg(st, PKS_ERR_DB, refuse_msg) : PKS_OK;
}

/*
 * Take LOCK_IMPORT for the import on this connection (a STORE_BULK
 * one, which holds no LOCK_OPEN), or PKS_ERR_BUSY when another import
 * holds it.  With 'others' not NULL: *others when another connection
 * holds LOCK_OPEN (the lock is then not kept).  Called inside the write
 * transaction of store_bulk_begin, so two imports test and take it one after
 * the other.
 */
static enum pks_rc
import_take(struct store *st, int *others)
{
	char path[PATH_MAX + 16];
	enum pks_rc rc;
	int held, fd;

	if (others != NULL)
		*others = 0;
	if (st->bulk_locked || !lock_path(st, path, sizeof(path)))
		return PKS_OK;
	/* Another import's read lock does not keep this one out: test. */
	if ((rc = import_running(st, &held)) != PKS_OK)
		return rc;
	if (held)
		return store_fail_msg(st, PKS_ERR_BUSY, running_msg);
	rc = lock_take(st, path, LOCK_IMPORT, &fd);
	if (rc != PKS_OK)
		return rc;
	if (others != NULL &&
	    ((rc = lock_test(st, path, fd, LOCK_OPEN, others)) != PKS_OK ||
		*others)) {
		close(fd);
		return rc;
	}
	st->bulk_fd = fd;
	st->bulk_locked = 1;
	return PKS_OK;
}

void
store_bulk_release(struct store *st)
{
	if (!st->bulk_locked)
		return;
	close(st->bulk_fd);
	st->bulk_locked = 0;
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
	int any = 1, others;
	enum pks_rc rc;
	size_t i;

	if ((rc = marked(st, on)) != PKS_OK)
		return rc;
	if (*on) {
		/* Resumed, unless another import runs; whoever else has the
		 * database open now only came to be refused. */
		*on = 2;
		return import_take(st, NULL);
	}
	if (!b->start)
		return PKS_OK;
	if ((rc = any_key(st, &any)) != PKS_OK || any > 0)
		return rc;
	if ((rc = import_take(st, &others)) != PKS_OK || others) {
		*on = others ? -1 : 0;
		return rc;
	}
	for (i = 0; i < sizeof(bulk_indexes) / sizeof(bulk_indexes[0]); i++)
		if ((rc = drop_index(st, bulk_indexes[i])) != PKS_OK)
			return rc;
	if ((rc = store_meta_set(st, "ptree_rebuild", "1")) != PKS_OK)
		return rc;
	*on = 1;
	return store_meta_set(st, BULK_MARK, "1");
}

enum pks_rc
store_bulk_begin(struct store *st, int start, int *on)
{
	struct begin b = { start, on };
	enum pks_rc rc;
	int mark, held = 0;

	*on = 0;
	/* A running import keeps its write transaction open while it
	 * reads: say so now rather than wait for the write lock. */
	if ((rc = marked(st, &mark)) != PKS_OK ||
	    (mark && (rc = import_running(st, &held)) != PKS_OK))
		return rc;
	if (held)
		return store_fail_msg(st, PKS_ERR_BUSY, running_msg);
	rc = store_txn_run(st, begin_txn, &b);
	if (rc != PKS_OK)
		*on = 0;
	if (*on <= 0)
		store_bulk_release(st);
	st->bulk = *on > 0;
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
drop_word_index(struct store *st, void *arg)
{
	(void)arg;
	return drop_index(st, WORD_INDEX);
}

static enum pks_rc
clear_mark(struct store *st, void *arg)
{
	(void)arg;
	return exec1(st, "DELETE FROM meta WHERE name = ?1", BULK_MARK);
}

/* Seconds since t (clock_ms). */
static double
since(int64_t t)
{
	return (double)(clock_ms() - t) / 1000.0;
}

enum pks_rc
store_bulk_finish(struct store *st)
{
	int64_t t;
	enum pks_rc rc;

	st->bulk = 0;
	/* The index builds below sort every row of their tables: with
	 * temp_store = MEMORY (store_tune_bulk) the sorter's spills would
	 * stay in memory, growing with the keys; on file its memory is
	 * bounded by the page cache. */
	if (sqlite3_exec(st->db, "PRAGMA temp_store = FILE", NULL, NULL,
		NULL) != SQLITE_OK)
		return store_fail(st, sqlite3_errcode(st->db));
	/* The word table, empty while the keys came (store_wordkeys.c),
	 * then the indexes: its own on key among them. */
	t = clock_ms();
	if ((rc = store_txn_run(st, drop_word_index, NULL)) != PKS_OK ||
	    (rc = store_wordkeys_fill_sorted(st)) != PKS_OK)
		return rc;
	log_info("database: word table filled in %.1f s", since(t));
	t = clock_ms();
	if ((rc = store_txn_run(st, build_indexes, NULL)) != PKS_OK)
		return rc;
	log_info("database: indexes built in %.1f s", since(t));
	if (store_ptree_stale(st) &&
	    (rc = store_ptree_rebuild(st, NULL)) != PKS_OK)
		return rc;
	if ((rc = store_txn_run(st, clear_mark, NULL)) != PKS_OK)
		return rc;
	/* Only now: an opener that finds the lock free and the mark
	 * still there knows the import died. */
	store_bulk_release(st);
	return PKS_OK;
}
