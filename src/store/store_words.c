/*
 * store_words.c: the word index of keys inserted in bulk, fed once per
 * transaction (see store_words.h).
 */
#include <config.h>

#include <string.h>

#include "store/store_int.h"
#include "store/store_words.h"

#define WORDS_TRIGGER "keys_words_insert"

/* The trigger as sql/schema.sql creates it (sqlite_master's text). */
static const char trigger_sql[] =
    "CREATE TRIGGER " WORDS_TRIGGER " AFTER INSERT ON keys BEGIN\n"
    "\tINSERT INTO key_words(rowid, uids) VALUES (new.id, new.uids);\n"
    "END";

/* What the trigger does, for the rows from ?1 on. */
static const char catch_up_sql[] = "INSERT INTO key_words(rowid, uids) "
				   "SELECT id, uids FROM keys WHERE id >= ?1";

/* Whether the trigger is there with the text this code replaces. */
static enum pks_rc
trigger_known(struct store *st, int *known)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *t;
	int r;

	*known = 0;
	r = sqlite3_prepare_v2(st->db,
	    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND "
	    "name = '" WORDS_TRIGGER "' AND tbl_name = 'keys'",
	    -1, &s, NULL);
	if (r != SQLITE_OK)
		return store_fail(st, r);
	if ((r = sqlite3_step(s)) == SQLITE_ROW) {
		t = sqlite3_column_text(s, 0);
		*known = t != NULL && strcmp((const char *)t, trigger_sql) == 0;
		r = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	return r == SQLITE_DONE ? PKS_OK : store_fail(st, r);
}

enum pks_rc
store_words_defer(struct store *st)
{
	enum pks_rc rc;
	int known, r;

	if (st->words_deferred || sqlite3_get_autocommit(st->db))
		return PKS_OK;
	if ((rc = trigger_known(st, &known)) != PKS_OK || !known)
		return rc;
	r = sqlite3_exec(
	    st->db, "DROP TRIGGER " WORDS_TRIGGER, NULL, NULL, NULL);
	if (r != SQLITE_OK)
		return store_fail(st, r);
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
	r = sqlite3_exec(st->db, trigger_sql, NULL, NULL, NULL);
	if (r != SQLITE_OK)
		return store_fail(st, r);
	st->words_deferred = 0;
	return PKS_OK;
}

void
store_words_forget(struct store *st)
{
	st->words_deferred = 0;
	st->words_first = 0;
}
