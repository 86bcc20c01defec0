/*
 * store_words.c: the word index of keys inserted in bulk, fed once per
 * transaction (see store_words.h).
 */
#include <config.h>

#include <stdlib.h>

#include "store/store_int.h"
#include "store/store_wordkeys.h"
#include "store/store_words.h"
#include "util/xalloc.h"

#define WORDS_TRIGGER "keys_words_insert"

/* What the trigger does, for the rows from ?1 on. */
static const char catch_up_sql[] = "INSERT INTO key_words(rowid, uids) "
				   "SELECT id, uids FROM keys WHERE id >= ?1";

/* The trigger's text from sqlite_master into *sql (NULL: there is no
 * such trigger, and the index is fed row by row). */
static enum pks_rc
trigger_text(struct store *st, char **sql)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *t;
	int r;

	*sql = NULL;
	r = sqlite3_prepare_v2(st->db,
	    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND "
	    "name = '" WORDS_TRIGGER "' AND tbl_name = 'keys'",
	    -1, &s, NULL);
	if (r != SQLITE_OK)
		return store_fail(st, r);
	if ((r = sqlite3_step(s)) == SQLITE_ROW) {
		t = sqlite3_column_text(s, 0);
		if (t != NULL)
			*sql = xstrdup((const char *)t);
		r = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	return r == SQLITE_DONE ? PKS_OK : store_fail(st, r);
}

enum pks_rc
store_words_defer(struct store *st)
{
	enum pks_rc rc;
	char *sql;
	int r;

	if (st->words_deferred || sqlite3_get_autocommit(st->db))
		return PKS_OK;
	if ((rc = trigger_text(st, &sql)) != PKS_OK || sql == NULL)
		return rc;
	r = sqlite3_exec(
	    st->db, "DROP TRIGGER " WORDS_TRIGGER, NULL, NULL, NULL);
	if (r != SQLITE_OK) {
		free(sql);
		return store_fail(st, r);
	}
	st->words_trigger = sql;
	st->words_deferred = 1;
	st->words_first = 0;
	return PKS_OK;
}

void
store_words_note(struct store *st, int64_t id)
{
	/* A new rowid is above every rowid in the table, so the rows
	 * from the first one noted on are exactly those inserted since
	 * the last catch-up. */
	if (st->words_deferred && st->words_first == 0)
		st->words_first = id;
}

enum pks_rc
store_words_catch_up(struct store *st)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	int r;

	if (!st->words_deferred || st->words_first == 0)
		return PKS_OK;
	r = sqlite3_prepare_v2(st->db, catch_up_sql, -1, &s, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_bind_int64(s, 1, st->words_first);
	if (r == SQLITE_OK)
		r = sqlite3_step(s);
	sqlite3_finalize(s);
	if (r != SQLITE_DONE)
		return store_fail(st, r == SQLITE_OK ? SQLITE_ERROR : r);
	/* The word table's rows of these keys wait for the same point. */
	if ((rc = store_wordkeys_catch_up(st, st->words_first)) != PKS_OK)
		return rc;
	st->words_first = 0;
	return PKS_OK;
}

enum pks_rc
store_words_end(struct store *st)
{
	enum pks_rc rc;
	int r;

	if (!st->words_deferred)
		return PKS_OK;
	if ((rc = store_words_catch_up(st)) != PKS_OK)
		return rc;
	r = sqlite3_exec(st->db, st->words_trigger, NULL, NULL, NULL);
	if (r != SQLITE_OK)
		return store_fail(st, r);
	store_words_forget(st);
	return PKS_OK;
}

void
store_words_forget(struct store *st)
{
	st->words_deferred = 0;
	st->words_first = 0;
	free(st->words_trigger);
	st->words_trigger = NULL;
}
