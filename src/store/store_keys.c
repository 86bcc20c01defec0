/*
 * store_keys.c: keys and their search indexes: insert, update, load,
 * walk, and the searches by fingerprint, key ID, hash, words and e-mail.
 *
 * A key's index rows (keyids, emails, the word index through the keys
 * triggers) are written with the key, inside the caller's transaction,
 * and replaced as a whole when the key changes.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/store_int.h"
#include "store/store_words.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/xalloc.h"

/* The longest e-mail address indexed (RFC 5321 path limit). */
#define EMAIL_MAX 254

void
store_key_clear(struct store_key *k)
{
	free(k->data);
	free(k->checks);
	memset(k, 0, sizeof(*k));
}

static int
is_ascii_upper(int c)
{
	return c >= 'A' && c <= 'Z';
}

/*
 * The e-mail address of a user ID, lower-cased (ASCII) into out (at
 * least EMAIL_MAX + 1 bytes): the text in the last "<...>", or the whole
 * user ID when it is a bare address.  Returns its length, 0 if none.
 */
static size_t
uid_email(const uint8_t *p, size_t n, char *out)
{
	size_t i, start = 0, end = n, at = 0, nat = 0;

	for (i = n; i > 0; i--)
		if (p[i - 1] == '<')
			break;
	if (i > 0) {
		start = i;
		for (end = start; end < n && p[end] != '>'; end++)
			;
		if (end == n)
			return 0;
	}
	while (start < end && p[start] == ' ')
		start++;
	while (end > start && p[end - 1] == ' ')
		end--;
	if (end - start < 3 || end - start > EMAIL_MAX)
		return 0;
	for (i = start; i < end; i++) {
		if (p[i] <= ' ' || p[i] == 0x7f || p[i] == '<' || p[i] == '>')
			return 0;
		if (p[i] == '@') {
			at = i;
			nat++;
		}
		out[i - start] =
		    is_ascii_upper(p[i]) ? (char)(p[i] + 32) : (char)p[i];
	}
	if (nat == 0 || at == start || at == end - 1)
		return 0;
	out[end - start] = '\0';
	return end - start;
}

/*
 * The word-index text of a key: every user ID (not user attributes),
 * one per line, control characters turned into spaces.
 */
static enum pks_rc
uid_text(const struct pgp_key_info *info, struct buf *b)
{
	const struct pgp_uid_info *u;
	enum pks_rc rc = PKS_OK;
	size_t i, j;
	uint8_t c;

	for (i = 0; i < info->nuids && rc == PKS_OK; i++) {
		u = &info->uids[i];
		if (u->is_uat)
			continue;
		if (b->len > 0)
			rc = buf_addc(b, '\n');
		for (j = 0; j < u->len && rc == PKS_OK; j++) {
			c = u->text[j];
			rc = buf_addc(b, c < ' ' || c == 0x7f ? ' ' : c);
		}
	}
	return rc;
}

static enum pks_rc
insert_keyid(struct store *st, int64_t id, const struct pgp_fpr *f)
{
	sqlite3_stmt *s = NULL;
	uint64_t k64 = 0;
	enum pks_rc rc;
	int bad = 0, i;

	if (!store_fpr_len_ok(f->len))
		return store_fail_msg(st, PKS_ERR_INTERNAL, "bad fingerprint");
	for (i = 0; i < 8; i++)
		k64 = k64 << 8 | f->keyid[i];
	if ((rc = store_stmt_get(st, STMT_KEYIDS_INSERT, &s)) != PKS_OK)
		return rc;
	bad |= sqlite3_bind_int64(s, 1, id) != SQLITE_OK;
	bad |= sqlite3_bind_blob(s, 2, f->fpr, (int)f->len, SQLITE_STATIC) !=
	       SQLITE_OK;
	bad |= sqlite3_bind_int64(s, 3, store_u64_to_i64(k64)) != SQLITE_OK;
	bad |=
	    sqlite3_bind_int64(s, 4, (int64_t)(k64 & 0xffffffffu)) != SQLITE_OK;
	if (bad) {
		store_stmt_done(s);
		return store_fail(st, sqlite3_errcode(st->db));
	}
	return store_stmt_run(st, s);
}

static enum pks_rc
insert_email(struct store *st, int64_t id, const char *email, size_t len)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	if ((rc = store_stmt_get(st, STMT_EMAILS_INSERT, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK ||
	    sqlite3_bind_text(s, 2, email, (int)len, SQLITE_STATIC) !=
		SQLITE_OK) {
		store_stmt_done(s);
		return store_fail(st, sqlite3_errcode(st->db));
	}
	return store_stmt_run(st, s);
}

/* The emails rows of one key: those of its listed user IDs. */
static enum pks_rc
insert_emails(struct store *st, int64_t id, const struct pgp_key_info *info)
{
	const struct pgp_uid_info *u;
	char email[EMAIL_MAX + 1];
	enum pks_rc rc;
	size_t i, n;

	for (i = 0; i < info->nuids; i++) {
		u = &info->uids[i];
		if (u->is_uat || (n = uid_email(u->text, u->len, email)) == 0)
			continue;
		if ((rc = insert_email(st, id, email, n)) != PKS_OK)
			return rc;
	}
	return PKS_OK;
}

/* The keyids and emails rows of one key. */
static enum pks_rc
insert_indexes(struct store *st, int64_t id, const struct pgp_key_info *info)
{
	enum pks_rc rc;
	size_t i;

	if ((rc = insert_keyid(st, id, &info->fpr)) != PKS_OK)
		return rc;
	for (i = 0; i < info->nsubkeys; i++)
		if ((rc = insert_keyid(st, id, &info->subkeys[i].fpr)) !=
		    PKS_OK)
			return rc;
	return insert_emails(st, id, info);
}

/* Run a statement with one integer parameter ?1 (the index deletes). */
static enum pks_rc
run_with_id(struct store *st, enum store_stmt which, int64_t id)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	if ((rc = store_stmt_get(st, which, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK) {
		store_stmt_done(s);
		return store_fail(st, sqlite3_errcode(st->db));
	}
	return store_stmt_run(st, s);
}

/* Remove a key row with its key IDs, e-mail and word index rows (the
 * word index by its trigger).  Call inside a transaction. */
enum pks_rc
store_key_delete(struct store *st, int64_t id)
{
	enum pks_rc rc;

	/* The delete trigger takes the words out of the index. */
	if ((rc = store_words_catch_up(st)) != PKS_OK ||
	    (rc = run_with_id(st, STMT_KEYIDS_DELETE, id)) != PKS_OK ||
	    (rc = run_with_id(st, STMT_EMAILS_DELETE, id)) != PKS_OK)
		return rc;
	if ((rc = run_with_id(st, STMT_KEY_DELETE, id)) != PKS_OK)
		return rc;
	if (sqlite3_changes(st->db) != 1)
		return PKS_ERR_NOTFOUND;
	return store_keys_stored_add(st, -1);
}

/* Count a new or updated key for today (UTC). */
static enum pks_rc
count_day(struct store *st, enum store_stmt which, time_t now)
{
	sqlite3_stmt *s = NULL;
	struct tm tm;
	char day[16];
	enum pks_rc rc;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(day, sizeof(day), "%Y-%m-%d", &tm) == 0)
		return store_fail_msg(st, PKS_ERR_INTERNAL, "bad clock");
	if ((rc = store_stmt_get(st, which, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_text(s, 1, day, -1, SQLITE_TRANSIENT) != SQLITE_OK) {
		store_stmt_done(s);
		return store_fail(st, sqlite3_errcode(st->db));
	}
	return store_stmt_run(st, s);
}

/*
 * Bind ?2..?13 of STMT_KEY_INSERT / STMT_KEY_UPDATE (same numbering) and
 * run the statement; the caller has bound ?1.  'uids' must outlive it.
 */
static enum pks_rc
run_key_stmt(struct store *st, sqlite3_stmt *s, const struct store_key_rec *rec,
    const struct buf *uids, time_t now)
{
	const struct pgp_key_info *in = rec->info;
	int bad = 0;

	bad |= sqlite3_bind_int(s, 2, in->version) != SQLITE_OK;
	bad |=
	    sqlite3_bind_blob(s, 3, rec->hash, 16, SQLITE_STATIC) != SQLITE_OK;
	bad |= sqlite3_bind_int(s, 4, rec->recon != 0) != SQLITE_OK;
	bad |= sqlite3_bind_int64(s, 5, in->algo) != SQLITE_OK;
	bad |= sqlite3_bind_int64(s, 6, in->bits) != SQLITE_OK;
	bad |= sqlite3_bind_int64(s, 7, in->ctime) != SQLITE_OK;
	bad |= sqlite3_bind_int64(s, 8, in->expires) != SQLITE_OK;
	bad |= sqlite3_bind_int(s, 9, in->revoked != 0) != SQLITE_OK;
	bad |= sqlite3_bind_int64(s, 10, (int64_t)now) != SQLITE_OK;
	bad |= sqlite3_bind_text64(s, 11,
		   uids->len ? (const char *)uids->data : "", uids->len,
		   SQLITE_STATIC, SQLITE_UTF8) != SQLITE_OK;
	bad |= sqlite3_bind_blob64(s, 12, rec->data, rec->len, SQLITE_STATIC) !=
	       SQLITE_OK;
	if (rec->checks != NULL)
		bad |= sqlite3_bind_blob64(s, 13, rec->checks, rec->checks_len,
			   SQLITE_STATIC) != SQLITE_OK;
	else
		bad |= sqlite3_bind_null(s, 13) != SQLITE_OK;
	if (bad) {
		store_stmt_done(s);
		return store_fail(st, sqlite3_errcode(st->db));
	}
	return store_stmt_run(st, s);
}

static enum pks_rc
check_rec(struct store *st, const struct store_key_rec *rec)
{
	if (rec->info == NULL || rec->data == NULL || rec->len == 0 ||
	    rec->len > PKS_MAX_KEY || !store_fpr_len_ok(rec->info->fpr.len))
		return store_fail_msg(
		    st, PKS_ERR_INTERNAL, "incomplete key record");
	return PKS_OK;
}

enum pks_rc
store_key_insert(struct store *st, const struct store_key_rec *rec, int64_t *id)
{
	const struct pgp_fpr *f;
	sqlite3_stmt *s = NULL;
	struct buf uids;
	time_t now = time(NULL);
	enum pks_rc rc;
	int64_t kid;

	buf_init(&uids, PKS_MAX_KEY);
	if ((rc = check_rec(st, rec)) != PKS_OK ||
	    (rc = uid_text(rec->info, &uids)) != PKS_OK ||
	    (rc = store_stmt_get(st, STMT_KEY_INSERT, &s)) != PKS_OK)
		goto out;
	f = &rec->info->fpr;
	if (sqlite3_bind_blob(s, 1, f->fpr, (int)f->len, SQLITE_STATIC) !=
	    SQLITE_OK) {
		store_stmt_done(s);
		rc = store_fail(st, sqlite3_errcode(st->db));
		goto out;
	}
	if ((rc = run_key_stmt(st, s, rec, &uids, now)) != PKS_OK)
		goto out;
	kid = sqlite3_last_insert_rowid(st->db);
	store_words_note(st, kid);
	if ((rc = insert_indexes(st, kid, rec->info)) != PKS_OK ||
	    (rc = store_listing_put(st, kid, rec->info)) != PKS_OK ||
	    (rc = count_day(st, STMT_DAY_NEW, now)) != PKS_OK ||
	    (rc = store_keys_stored_add(st, 1)) != PKS_OK)
		goto out;
	if (id != NULL)
		*id = kid;
out:
	buf_free(&uids);
	return rc;
}

enum pks_rc
store_key_update(struct store *st, int64_t id, const struct store_key_rec *rec)
{
	sqlite3_stmt *s = NULL;
	struct buf uids;
	time_t now = time(NULL);
	enum pks_rc rc;

	buf_init(&uids, PKS_MAX_KEY);
	/* The update trigger takes the old words out of the index. */
	if ((rc = check_rec(st, rec)) != PKS_OK ||
	    (rc = uid_text(rec->info, &uids)) != PKS_OK ||
	    (rc = store_words_catch_up(st)) != PKS_OK ||
	    (rc = store_stmt_get(st, STMT_KEY_UPDATE, &s)) != PKS_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK) {
		store_stmt_done(s);
		rc = store_fail(st, sqlite3_errcode(st->db));
		goto out;
	}
	if ((rc = run_key_stmt(st, s, rec, &uids, now)) != PKS_OK)
		goto out;
	if (sqlite3_changes(st->db) != 1) {
		rc = store_fail_msg(st, PKS_ERR_NOTFOUND, "no such key row");
		goto out;
	}
	if ((rc = run_with_id(st, STMT_KEYIDS_DELETE, id)) != PKS_OK ||
	    (rc = run_with_id(st, STMT_EMAILS_DELETE, id)) != PKS_OK ||
	    (rc = insert_indexes(st, id, rec->info)) != PKS_OK ||
	    (rc = store_listing_put(st, id, rec->info)) != PKS_OK)
		goto out;
	rc = count_day(st, STMT_DAY_UPDATED, now);
out:
	buf_free(&uids);
	return rc;
}

enum pks_rc
store_key_relisted(
    struct store *st, int64_t id, const struct pgp_key_info *info)
{
	sqlite3_stmt *s = NULL;
	struct buf uids;
	enum pks_rc rc;

	buf_init(&uids, PKS_MAX_KEY);
	/* The update trigger takes the old words out of the index. */
	if ((rc = uid_text(info, &uids)) != PKS_OK ||
	    (rc = store_words_catch_up(st)) != PKS_OK ||
	    (rc = store_stmt_get(st, STMT_KEY_SET_UIDS, &s)) != PKS_OK)
		goto out;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK ||
	    sqlite3_bind_text64(s, 2, uids.len ? (const char *)uids.data : "",
		uids.len, SQLITE_STATIC, SQLITE_UTF8) != SQLITE_OK) {
		store_stmt_done(s);
		rc = store_fail(st, sqlite3_errcode(st->db));
		goto out;
	}
	if ((rc = store_stmt_run(st, s)) == PKS_OK &&
	    (rc = run_with_id(st, STMT_EMAILS_DELETE, id)) == PKS_OK)
		rc = insert_emails(st, id, info);
out:
	buf_free(&uids);
	return rc;
}

enum pks_rc
store_key_set_checks(
    struct store *st, int64_t id, const uint8_t *checks, size_t len)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	if ((rc = store_stmt_get(st, STMT_KEY_SET_CHECKS, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK ||
	    sqlite3_bind_blob64(s, 2, checks, len, SQLITE_STATIC) !=
		SQLITE_OK ||
	    sqlite3_bind_int64(s, 3, (int64_t)time(NULL)) != SQLITE_OK) {
		store_stmt_done(s);
		return store_fail(st, sqlite3_errcode(st->db));
	}
	return store_stmt_run(st, s);
}

/*
 * Fill k from a row of (id, hash, created, updated, data[, checks]).  With
 * 'copy' k->data is a new allocation; else it reuses *scratch (grown as
 * needed), which the caller frees.
 */
static enum pks_rc
row_key(struct store *st, sqlite3_stmt *s, struct store_key *k,
    uint8_t **scratch, size_t *scratchlen)
{
	const void *data = sqlite3_column_blob(s, 4);
	size_t len = (size_t)sqlite3_column_bytes(s, 4);

	if (sqlite3_column_bytes(s, 1) != 16)
		return store_fail_msg(st, PKS_ERR_DB,
		    "stored hash is not "
		    "16 bytes");
	k->id = sqlite3_column_int64(s, 0);
	memcpy(k->hash, sqlite3_column_blob(s, 1), 16);
	k->created = sqlite3_column_int64(s, 2);
	k->updated = sqlite3_column_int64(s, 3);
	k->len = len;
	if (scratch == NULL) {
		k->data = xmalloc(len + 1);
	} else {
		if (*scratchlen < len + 1) {
			*scratch = xreallocarray(*scratch, len + 1, 1);
			*scratchlen = len + 1;
		}
		k->data = *scratch;
	}
	if (len > 0)
		memcpy(k->data, data, len);
	/* The check record, in the statements that select it. */
	if (sqlite3_column_count(s) > 5 &&
	    sqlite3_column_type(s, 5) == SQLITE_BLOB) {
		k->checks_len = (size_t)sqlite3_column_bytes(s, 5);
		k->checks = xmalloc(k->checks_len + 1);
		if (k->checks_len > 0)
			memcpy(k->checks, sqlite3_column_blob(s, 5),
			    k->checks_len);
	}
	return PKS_OK;
}

/* One key by a lookup with one bound parameter ?1 (already bound). */
static enum pks_rc
fetch_key(struct store *st, sqlite3_stmt *s, struct store_key *out)
{
	enum pks_rc rc;
	int r;

	memset(out, 0, sizeof(*out));
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		rc = row_key(st, s, out, NULL, NULL);
	else if (r == SQLITE_DONE)
		rc = PKS_ERR_NOTFOUND;
	else
		rc = store_fail(st, r);
	store_stmt_done(s);
	if (rc != PKS_OK)
		store_key_clear(out);
	return rc;
}

enum pks_rc
store_key_find(
    struct store *st, const uint8_t *fpr, size_t fprlen, struct store_key *out)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_stmt_fpr(st, STMT_KEY_FIND, fpr, fprlen, &s)) != PKS_OK)
		return rc;
	return fetch_key(st, s, out);
}

enum pks_rc
store_key_exists(struct store *st, const uint8_t *fpr, size_t fprlen)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	int r;

	if ((rc = store_stmt_fpr(st, STMT_KEY_EXISTS, fpr, fprlen, &s)) !=
	    PKS_OK)
		return rc;
	r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		rc = PKS_OK;
	else
		rc = r == SQLITE_DONE ? PKS_ERR_NOTFOUND : store_fail(st, r);
	store_stmt_done(s);
	return rc;
}

enum pks_rc
store_key_load(struct store *st, int64_t id, struct store_key *out)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	memset(out, 0, sizeof(*out));
	if ((rc = store_stmt_get(st, STMT_KEY_LOAD, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK) {
		store_stmt_done(s);
		return store_fail(st, sqlite3_errcode(st->db));
	}
	return fetch_key(st, s, out);
}

enum pks_rc
store_key_hash(struct store *st, int64_t id, uint8_t hash[16], int64_t *stamp)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	int r;

	if ((rc = store_stmt_get(st, STMT_KEY_HASH, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, id) != SQLITE_OK) {
		store_stmt_done(s);
		return store_fail(st, sqlite3_errcode(st->db));
	}
	r = sqlite3_step(s);
	if (r == SQLITE_ROW && sqlite3_column_bytes(s, 0) == 16) {
		memcpy(hash, sqlite3_column_blob(s, 0), 16);
		*stamp = sqlite3_column_int64(s, 1);
		rc = PKS_OK;
	} else if (r == SQLITE_ROW) {
		rc = store_fail_msg(
		    st, PKS_ERR_DB, "stored hash is not 16 bytes");
	} else {
		rc = r == SQLITE_DONE ? PKS_ERR_NOTFOUND : store_fail(st, r);
	}
	store_stmt_done(s);
	return rc;
}

enum pks_rc
store_key_foreach(struct store *st, store_key_cb cb, void *arg)
{
	sqlite3_stmt *s = NULL;
	struct store_key k;
	uint8_t *scratch = NULL;
	size_t scratchlen = 0;
	enum pks_rc rc;
	int r, stop = 0;

	if ((rc = store_stmt_get(st, STMT_FOREACH, &s)) != PKS_OK)
		return rc;
	while ((r = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&k, 0, sizeof(k));
		if ((rc = row_key(st, s, &k, &scratch, &scratchlen)) != PKS_OK)
			break;
		if ((stop = cb(arg, &k)) != 0)
			break;
	}
	store_stmt_done(s);
	free(scratch);
	if (rc != PKS_OK)
		return rc;
	if (stop != 0)
		return stop > 0 && stop <= PKS_ERR_INTERNAL ? (enum pks_rc)stop
							    : PKS_ERR_INTERNAL;
	return r == SQLITE_DONE ? PKS_OK : store_fail(st, r);
}

/* A search with a blob ?1. */
static enum pks_rc
search_blob(struct store *st, enum store_stmt which, const void *p, size_t len,
    size_t max, struct store_ids *ids)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	ids->v = NULL;
	ids->n = 0;
	if ((rc = store_stmt_get(st, which, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_blob(s, 1, p, (int)len, SQLITE_STATIC) != SQLITE_OK) {
		store_stmt_done(s);
		return store_fail(st, sqlite3_errcode(st->db));
	}
	return store_stmt_ids(st, s, max, ids);
}

/* A search with a text ?1 (len bytes). */
static enum pks_rc
search_text(struct store *st, enum store_stmt which, const char *p, size_t len,
    size_t max, struct store_ids *ids)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;

	ids->v = NULL;
	ids->n = 0;
	if ((rc = store_stmt_get(st, which, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_text(s, 1, p, (int)len, SQLITE_STATIC) != SQLITE_OK) {
		store_stmt_done(s);
		return store_fail(st, sqlite3_errcode(st->db));
	}
	return store_stmt_ids(st, s, max, ids);
}

enum pks_rc
store_search_fpr(struct store *st, const uint8_t *fpr, size_t len, size_t max,
    struct store_ids *ids)
{
	ids->v = NULL;
	ids->n = 0;
	if (!store_fpr_len_ok(len))
		return PKS_ERR_PARSE;
	return search_blob(st, STMT_SEARCH_FPR, fpr, len, max, ids);
}

enum pks_rc
store_search_hash(
    struct store *st, const uint8_t hash[16], size_t max, struct store_ids *ids)
{
	return search_blob(st, STMT_SEARCH_HASH, hash, 16, max, ids);
}

enum pks_rc
store_search_keyid(struct store *st, uint64_t keyid, int bits, size_t max,
    struct store_ids *ids)
{
	enum store_stmt which;
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	int64_t v;

	ids->v = NULL;
	ids->n = 0;
	if (bits == 64) {
		which = STMT_SEARCH_KEYID64;
		v = store_u64_to_i64(keyid);
	} else if (bits == 32) {
		which = STMT_SEARCH_KEYID32;
		v = (int64_t)(keyid & 0xffffffffu);
	} else {
		return PKS_ERR_PARSE;
	}
	if ((rc = store_stmt_get(st, which, &s)) != PKS_OK)
		return rc;
	if (sqlite3_bind_int64(s, 1, v) != SQLITE_OK) {
		store_stmt_done(s);
		return store_fail(st, sqlite3_errcode(st->db));
	}
	return store_stmt_ids(st, s, max, ids);
}

/* A byte that may be part of a word: ASCII letter or digit, or any
 * non-ASCII byte (the FTS tokenizer decides about those). */
static int
word_byte(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c >= 0x80;
}

/*
 * Append one word as an FTS5 string, if it is worth searching: at least
 * two characters (UTF-8 code points) and one letter or digit.  A word
 * of one character would match nearly every key; a word of punctuation
 * alone matches nothing the tokenizer keeps.
 */
static enum pks_rc
add_word(struct buf *q, const char *w, size_t n, size_t *nwords)
{
	size_t i, nchars = 0;
	int useful = 0;
	enum pks_rc rc;

	for (i = 0; i < n; i++) {
		if (((uint8_t)w[i] & 0xc0) != 0x80)
			nchars++;
		useful |= word_byte((uint8_t)w[i]);
	}
	if (nchars < 2 || !useful)
		return PKS_OK;
	if (++*nwords > PKS_MAX_WORDS)
		return PKS_ERR_TOOBIG;
	rc = buf_adds(q, q->len ? " \"" : "\"");
	for (i = 0; i < n && rc == PKS_OK; i++)
		rc = w[i] == '"' ? buf_adds(q, "\"\"")
				 : buf_addc(q, (uint8_t)w[i]);
	if (rc == PKS_OK)
		rc = buf_addc(q, '"');
	return rc;
}

/*
 * Turn user text into an FTS5 query in which every word must match:
 * words are split at white space and each becomes one quoted FTS5
 * string, so operators (AND, OR, NOT, NEAR, *, ^, :, parentheses) in the
 * input are plain text; strings side by side are FTS5's implicit AND.
 * A word that the tokenizer splits (alice@example.org) must match as a
 * phrase.
 */
enum pks_rc
store_words_query(const char *text, size_t len, struct buf *q, size_t *nwords)
{
	size_t i = 0, start;
	enum pks_rc rc = PKS_OK;

	*nwords = 0;
	while (i < len && rc == PKS_OK) {
		while (i < len && (text[i] == ' ' || text[i] == '\t' ||
				      text[i] == '\r' || text[i] == '\n'))
			i++;
		start = i;
		while (i < len && text[i] != ' ' && text[i] != '\t' &&
		       text[i] != '\r' && text[i] != '\n')
			i++;
		if (i > start)
			rc = add_word(q, text + start, i - start, nwords);
	}
	return rc;
}

enum pks_rc
store_search_words(
    struct store *st, const char *text, size_t max, struct store_ids *ids)
{
	struct buf q;
	size_t len, nwords;
	enum pks_rc rc;

	ids->v = NULL;
	ids->n = 0;
	len = strlen(text);
	if (len > PKS_MAX_QUERY)
		return PKS_ERR_TOOBIG;
	buf_init(&q, 3 * PKS_MAX_QUERY + 16);
	rc = store_words_query(text, len, &q, &nwords);
	if (rc == PKS_OK && nwords > 0)
		rc = search_text(st, STMT_SEARCH_WORDS, (const char *)q.data,
		    q.len, max, ids);
	buf_free(&q);
	return rc;
}

enum pks_rc
store_search_email(
    struct store *st, const char *addr, size_t max, struct store_ids *ids)
{
	char email[EMAIL_MAX + 1];
	size_t len, n;

	ids->v = NULL;
	ids->n = 0;
	len = strlen(addr);
	if (len > PKS_MAX_QUERY)
		return PKS_ERR_TOOBIG;
	n = uid_email((const uint8_t *)addr, len, email);
	if (n == 0)
		return PKS_OK;
	return search_text(st, STMT_SEARCH_EMAIL, email, n, max, ids);
}

enum pks_rc
store_keys_load(struct store *st, const struct store_ids *ids, size_t limit,
    struct store_keys *out)
{
	size_t i;
	enum pks_rc rc;

	out->n = 0;
	out->v = xcalloc(ids->n > 0 ? ids->n : 1, sizeof(*out->v));
	for (i = 0; i < ids->n && out->n < limit; i++) {
		rc = store_key_load(st, ids->v[i], &out->v[out->n]);
		if (rc == PKS_ERR_NOTFOUND)
			continue; /* deleted since the search */
		if (rc != PKS_OK)
			return rc;
		out->n++;
	}
	return PKS_OK;
}

void
store_keys_free(struct store_keys *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		store_key_clear(&k->v[i]);
	free(k->v);
	k->v = NULL;
	k->n = 0;
}
