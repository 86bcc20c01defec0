/*
 * store_wordkeys.c: the word table key_word_listings (see
 * store_wordkeys.h): its words made by key_words' own tokenizer, its
 * rows written with each key's listing, searched for op=index, filled
 * after migration 013 and checked against a rebuild.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"
#include "store/store_txn.h"
#include "store/store_wordkeys.h"
#include "store/store_words.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/xalloc.h"

/* The tokenizer of key_words as sql/schema.sql declares it. */
#define TOKENIZER "unicode61"
static const char *tok_args[] = { "remove_diacritics", "2" };

/* The longest word kept, in bytes: a query word is at most
 * PKS_MAX_QUERY bytes and folding grows a character by at most half,
 * so a longer token is never searched for. */
#define WORD_MAX (2 * PKS_MAX_QUERY)

/* Keys per step of a fill (one log line each). */
#define FILL_STEP 20000

enum wk_stmt { WK_DELETE, WK_PUT, WK_ROWS, WK_COUNT, WK_FIND, WK_N };

static const char *const wk_sql[WK_N] = {
	[WK_DELETE] = "DELETE FROM key_word_listings WHERE key = ?1",
	[WK_PUT] = "INSERT OR IGNORE INTO key_word_listings(word, key, "
		   "listing) VALUES (?1, ?2, ?3)",
	[WK_ROWS] = "SELECT k.id, k.uids, l.listing FROM keys k LEFT JOIN "
		    "key_listings l ON l.id = k.id WHERE k.id BETWEEN ?1 "
		    "AND ?2 ORDER BY k.id",
	[WK_COUNT] = "SELECT count(*) FROM (SELECT 1 FROM key_word_listings "
		     "WHERE word = ?1 LIMIT ?2)",
	[WK_FIND] = "SELECT key, listing FROM key_word_listings WHERE "
		    "word = ?1 ORDER BY key LIMIT ?2",
};

struct store_wordkeys {
	fts5_tokenizer api; /* the tokenizer's functions */
	Fts5Tokenizer *tok;
	sqlite3_stmt *stmt[WK_N];
};

/* The FTS5 API of the connection (NULL: no FTS5). */
static fts5_api *
fts5_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *s = NULL;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &s, NULL) ==
		SQLITE_OK &&
	    sqlite3_bind_pointer(s, 1, (void *)&api, "fts5_api_ptr", NULL) ==
		SQLITE_OK)
		(void)sqlite3_step(s);
	sqlite3_finalize(s);
	return api;
}

/* The connection's tokenizer and statements, made at first use. */
static enum pks_rc
wk_get(struct store *st, struct store_wordkeys **out)
{
	struct store_wordkeys *wk = st->wordkeys;
	fts5_api *api;
	void *ud = NULL;

	if (wk == NULL) {
		if ((api = fts5_of(st->db)) == NULL)
			return store_fail_msg(st, PKS_ERR_DB, "no FTS5");
		wk = xcalloc(1, sizeof(*wk));
		if (api->xFindTokenizer(api, TOKENIZER, &ud, &wk->api) !=
			SQLITE_OK ||
		    wk->api.xCreate(ud, tok_args,
			(int)(sizeof(tok_args) / sizeof(tok_args[0])),
			&wk->tok) != SQLITE_OK) {
			free(wk);
			return store_fail_msg(
			    st, PKS_ERR_DB, "no FTS5 tokenizer " TOKENIZER);
		}
		st->wordkeys = wk;
	}
	*out = wk;
	return PKS_OK;
}

/* Statement w of the connection, reset and unbound after use. */
static enum pks_rc
wk_stmt(struct store *st, enum wk_stmt w, sqlite3_stmt **out)
{
	struct store_wordkeys *wk;
	enum pks_rc rc;
	int r;

	if ((rc = wk_get(st, &wk)) != PKS_OK)
		return rc;
	if (wk->stmt[w] == NULL) {
		r = sqlite3_prepare_v3(st->db, wk_sql[w], -1,
		    SQLITE_PREPARE_PERSISTENT, &wk->stmt[w], NULL);
		if (r != SQLITE_OK)
			return store_fail(st, r);
	}
	*out = wk->stmt[w];
	return PKS_OK;
}

void
store_wordkeys_close(struct store *st)
{
	struct store_wordkeys *wk = st->wordkeys;
	size_t i;

	if (wk == NULL)
		return;
	for (i = 0; i < WK_N; i++)
		sqlite3_finalize(wk->stmt[i]);
	wk->api.xDelete(wk->tok);
	free(wk);
	st->wordkeys = NULL;
}

/*
 * The rows of many keys gathered, then written sorted by (word, key),
 * the table's order: rows that are neighbours in the table are written
 * one after the other, each page of the table visited once per run
 * rather than once per row (the rows of a batch of keys land all over
 * the table).  Bounded by [import] word_sort_bytes: over it, the rows
 * gathered so far are written and gathering starts again.
 */
struct wk_row {
	const uint8_t *wp; /* the word, set when sorting */
	size_t word;       /* offset of the word in the arena */
	size_t wlen;
	int64_t key;
	size_t listing; /* offset of the listing in the arena */
	size_t llen;    /* 0: no copy */
};

struct wk_sort {
	struct buf arena; /* words and listings */
	struct wk_row *rows;
	size_t n, cap;
	int64_t key; /* the key tokenized now, its listing */
	size_t listing, llen;
};

/* What is done with each token of a text. */
struct tok_walk {
	struct store *st;
	sqlite3_stmt *ins;    /* NULL: count only (or gather) */
	struct wk_sort *sort; /* gather here */
	size_t n;             /* tokens seen (kept ones) */
	const uint8_t *last;
	size_t last_len; /* the last token (a query word's) */
	enum pks_rc rc;
};

/* Gather a row of the current key for word p (n bytes). */
static enum pks_rc
sort_add(struct wk_sort *so, const char *p, size_t n)
{
	struct wk_row *row;

	if (so->n == so->cap) {
		so->cap = so->cap == 0 ? 1024 : 2 * so->cap;
		so->rows = xreallocarray(so->rows, so->cap, sizeof(*so->rows));
	}
	row = &so->rows[so->n];
	row->wp = NULL;
	row->word = so->arena.len;
	row->wlen = n;
	row->key = so->key;
	row->listing = so->listing;
	row->llen = so->llen;
	so->n++;
	return buf_add(&so->arena, p, n);
}

static int
tok_cb(void *arg, int tflags, const char *p, int n, int start, int end)
{
	struct tok_walk *tw = arg;
	int r;

	(void)tflags;
	(void)start;
	(void)end;
	if (n <= 0 || (size_t)n > WORD_MAX)
		return SQLITE_OK;
	tw->n++;
	tw->last = (const uint8_t *)p;
	tw->last_len = (size_t)n;
	if (tw->sort != NULL &&
	    (tw->rc = sort_add(tw->sort, p, (size_t)n)) != PKS_OK)
		return SQLITE_ABORT;
	if (tw->ins == NULL)
		return SQLITE_OK;
	r = sqlite3_bind_text(tw->ins, 1, p, n, SQLITE_STATIC);
	if (r == SQLITE_OK)
		r = sqlite3_step(tw->ins);
	sqlite3_reset(tw->ins);
	if (r != SQLITE_DONE) {
		tw->rc = store_fail(tw->st, r == SQLITE_OK ? SQLITE_ERROR : r);
		return SQLITE_ABORT;
	}
	return SQLITE_OK;
}

/* Run the tokenizer over text (flags: FTS5_TOKENIZE_*). */
static enum pks_rc
tokenize(struct store *st, int flags, const void *text, size_t len,
    struct tok_walk *tw)
{
	struct store_wordkeys *wk;
	enum pks_rc rc;
	int r;

	if ((rc = wk_get(st, &wk)) != PKS_OK)
		return rc;
	if (len > INT32_MAX)
		return PKS_ERR_TOOBIG;
	r = wk->api.xTokenize(
	    wk->tok, tw, flags, (const char *)text, (int)len, tok_cb);
	if (tw->rc != PKS_OK)
		return tw->rc;
	return r == SQLITE_OK ? PKS_OK : store_fail(st, r);
}

static int
row_cmp(const void *a, const void *b)
{
	const struct wk_row *x = a, *y = b;
	int c;

	/* TEXT in BINARY collation: bytes, then length. */
	c = memcmp(x->wp, y->wp, x->wlen < y->wlen ? x->wlen : y->wlen);
	if (c == 0 && x->wlen != y->wlen)
		c = x->wlen < y->wlen ? -1 : 1;
	if (c == 0 && x->key != y->key)
		c = x->key < y->key ? -1 : 1;
	return c;
}

/* Write the rows gathered through ins (as put_words binds it), in the
 * table's order, a word repeated in a key once, and start again. */
static enum pks_rc
sort_flush(struct store *st, sqlite3_stmt *ins, struct wk_sort *so)
{
	const struct wk_row *row, *prev = NULL;
	int three = sqlite3_bind_parameter_count(ins) >= 3;
	size_t i;
	int r = SQLITE_DONE;

	for (i = 0; i < so->n; i++)
		so->rows[i].wp = so->arena.data + so->rows[i].word;
	qsort(so->rows, so->n, sizeof(*so->rows), row_cmp);
	for (i = 0; i < so->n && r == SQLITE_DONE; i++) {
		row = &so->rows[i];
		if (prev != NULL && row_cmp(prev, row) == 0)
			continue;
		prev = row;
		r = sqlite3_bind_text(ins, 1, (const char *)row->wp,
		    (int)row->wlen, SQLITE_STATIC);
		if (r == SQLITE_OK)
			r = sqlite3_bind_int64(ins, 2, row->key);
		if (r == SQLITE_OK && three)
			r = row->llen > 0 ? sqlite3_bind_blob64(ins, 3,
						so->arena.data + row->listing,
						row->llen, SQLITE_STATIC)
					  : sqlite3_bind_null(ins, 3);
		if (r == SQLITE_OK)
			r = sqlite3_step(ins);
		sqlite3_reset(ins);
	}
	sqlite3_clear_bindings(ins);
	so->n = 0;
	buf_reset(&so->arena);
	return r == SQLITE_DONE
		   ? PKS_OK
		   : store_fail(st, r == SQLITE_OK ? SQLITE_ERROR : r);
}

/* Gather the rows of key id (its listing: NULL for none) into so. */
static enum pks_rc
sort_key(struct store *st, struct wk_sort *so, int64_t id, const void *uids,
    size_t ulen, const void *listing, size_t llen)
{
	struct tok_walk tw = { st, NULL, so, 0, NULL, 0, PKS_OK };
	enum pks_rc rc = PKS_OK;

	so->key = id;
	so->listing = so->arena.len;
	so->llen = listing != NULL ? llen : 0;
	if (listing != NULL)
		rc = buf_add(&so->arena, listing, llen);
	if (rc == PKS_OK)
		rc = tokenize(st, FTS5_TOKENIZE_DOCUMENT, uids, ulen, &tw);
	return rc;
}

/*
 * The rows of one key through ins (?1 word, ?2 key, ?3 listing if it
 * has a third parameter), or gathered into so: its distinct words, each
 * with the listing when its words times the listing's size are within
 * [keys] word_listing_bytes (words counted with repeats, so at most
 * that).
 */
static enum pks_rc
put_words(struct store *st, sqlite3_stmt *ins, struct wk_sort *so, int64_t id,
    const void *uids, size_t ulen, const void *listing, size_t llen)
{
	struct tok_walk tw = { st, NULL, NULL, 0, NULL, 0, PKS_OK };
	size_t max = pks_key_limits()->word_listing_bytes;
	enum pks_rc rc = PKS_OK;
	int r;

	/* Words are at least a byte apart: most keys need no count. */
	if (listing != NULL && llen > 0 && ulen / 2 + 1 > max / llen &&
	    (rc = tokenize(st, FTS5_TOKENIZE_DOCUMENT, uids, ulen, &tw)) !=
		PKS_OK)
		return rc;
	if (listing != NULL && (llen == 0 || tw.n > max / llen))
		listing = NULL;
	if (so != NULL)
		return sort_key(st, so, id, uids, ulen, listing, llen);
	r = sqlite3_bind_int64(ins, 2, id);
	if (r == SQLITE_OK && sqlite3_bind_parameter_count(ins) >= 3)
		r = listing != NULL ? sqlite3_bind_blob64(
					  ins, 3, listing, llen, SQLITE_STATIC)
				    : sqlite3_bind_null(ins, 3);
	if (r != SQLITE_OK)
		rc = store_fail(st, r);
	tw.ins = ins;
	tw.n = 0;
	if (rc == PKS_OK)
		rc = tokenize(st, FTS5_TOKENIZE_DOCUMENT, uids, ulen, &tw);
	sqlite3_clear_bindings(ins);
	return rc;
}

/* The rows of the keys rows first..last through ins (they have none
 * yet), gathered into so (NULL: written key by key). */
static enum pks_rc
put_keys(struct store *st, sqlite3_stmt *ins, struct wk_sort *so, int64_t first,
    int64_t last)
{
	size_t cap = pks_key_limits()->word_sort_bytes;
	sqlite3_stmt *s = NULL;
	const void *uids, *listing;
	size_t ulen, llen;
	enum pks_rc rc;
	int r;

	if ((rc = wk_stmt(st, WK_ROWS, &s)) != PKS_OK)
		return rc;
	r = sqlite3_bind_int64(s, 1, first);
	if (r == SQLITE_OK)
		r = sqlite3_bind_int64(s, 2, last);
	while (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		uids = sqlite3_column_text(s, 1);
		ulen = (size_t)sqlite3_column_bytes(s, 1);
		listing = sqlite3_column_blob(s, 2);
		llen = (size_t)sqlite3_column_bytes(s, 2);
		rc = put_words(st, ins, so, sqlite3_column_int64(s, 0), uids,
		    ulen, listing, llen);
		if (rc == PKS_OK && so != NULL &&
		    so->arena.len + so->n * sizeof(*so->rows) >= cap)
			rc = sort_flush(st, ins, so);
		r = rc == PKS_OK ? SQLITE_OK : SQLITE_DONE;
	}
	if (rc == PKS_OK && r != SQLITE_DONE)
		rc = store_fail(st, r);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc;
}

/* The rows of the keys rows first..last through ins (they have none
 * yet): those of several keys sorted, unless [import] word_sort_bytes
 * is 0. */
static enum pks_rc
put_range(struct store *st, sqlite3_stmt *ins, int64_t first, int64_t last)
{
	size_t cap = pks_key_limits()->word_sort_bytes;
	struct wk_sort so;
	enum pks_rc rc;

	if (cap == 0 || first == last)
		return put_keys(st, ins, NULL, first, last);
	memset(&so, 0, sizeof(so));
	/* Past the bound by at most one key: its words (folded, at most
	 * half again its text) and its listing. */
	buf_init(&so.arena, cap + 4 * (size_t)PKS_MAX_KEY);
	rc = put_keys(st, ins, &so, first, last);
	if (rc == PKS_OK)
		rc = sort_flush(st, ins, &so);
	buf_free(&so.arena);
	free(so.rows);
	return rc;
}

enum pks_rc
store_wordkeys_put(struct store *st, int64_t id)
{
	sqlite3_stmt *ins = NULL;
	sqlite3_stmt *del = NULL;
	enum pks_rc rc;

	/* A bulk import fills the whole table at its end. */
	if (st->bulk)
		return PKS_OK;
	/* Inserted in a deferred transaction: its rows come at the
	 * catch-up, with the other keys inserted since. */
	if (st->words_deferred && st->words_first != 0 && id >= st->words_first)
		return PKS_OK;
	if ((rc = wk_stmt(st, WK_PUT, &ins)) != PKS_OK ||
	    (rc = wk_stmt(st, WK_DELETE, &del)) != PKS_OK)
		return rc;
	/* A key with no keys row left has no rows either. */
	if (sqlite3_bind_int64(del, 1, id) != SQLITE_OK ||
	    (rc = store_stmt_run(st, del)) != PKS_OK)
		return rc != PKS_OK ? rc
				    : store_fail(st, sqlite3_errcode(st->db));
	return put_range(st, ins, id, id);
}

enum pks_rc
store_wordkeys_catch_up(struct store *st, int64_t first)
{
	sqlite3_stmt *ins = NULL;
	enum pks_rc rc;

	if (st->bulk)
		return PKS_OK;
	if ((rc = wk_stmt(st, WK_PUT, &ins)) != PKS_OK)
		return rc;
	return put_range(st, ins, first, INT64_MAX);
}

/* The rows of every key through ins, FILL_STEP ids at a time. */
static enum pks_rc
fill_all(struct store *st, sqlite3_stmt *ins, const char *what)
{
	int64_t top, from;
	enum pks_rc rc;

	if ((rc = store_query_int(st, STMT_KEYS_MAX_ID, &top)) != PKS_OK)
		return rc;
	for (from = 1; from <= top && rc == PKS_OK; from += FILL_STEP) {
		rc = put_range(st, ins, from, from + FILL_STEP - 1);
		if (top > FILL_STEP)
			log_info("database: %s: keys up to id %lld of %lld",
			    what,
			    (long long)(from + FILL_STEP - 1 < top
					    ? from + FILL_STEP - 1
					    : top),
			    (long long)top);
	}
	return rc;
}

enum pks_rc
store_wordkeys_fill(struct store *st)
{
	sqlite3_stmt *ins = NULL;
	enum pks_rc rc;
	int r;

	if ((rc = wk_stmt(st, WK_PUT, &ins)) != PKS_OK)
		return rc;
	r = sqlite3_exec(
	    st->db, "DELETE FROM key_word_listings", NULL, NULL, NULL);
	if (r != SQLITE_OK)
		return store_fail(st, r);
	log_info("database: filling the word table");
	return fill_all(st, ins, "word table");
}

/*
 * The fill in the table's order: key_words' own index read through an
 * fts5vocab table, whose 'instance' rows come by word, then key (the
 * order of the primary key; a word repeated in a key comes again and is
 * ignored), so every row is appended and every page written once, full.
 * Keys whose words times their listing's size are over [keys]
 * word_listing_bytes (temp.wk_big, counted as put_words counts) get no
 * copy.
 *
 * The rows go in one transaction per range of words of about [import]
 * word_sort_bytes of rows (SORTED_ROW_BYTES each, a guess; 0: one
 * range), the ranges found first from the 'row' vocab (each word's
 * number of keys).  One transaction for all the rows grew the WAL to
 * the table's size and made SQLite spill its cache into it and read the
 * pages back: at a million keys (nine million rows, 2 GB) 68 s and 6.5 GB
 * written, against 40 s and 4.4 GB in ranges.  A range holds whole
 * words, so one key's rows for a word are never split.
 */
#define SORTED_ROW_BYTES 256

static const char sorted_begin_sql[] =
    "DROP TABLE IF EXISTS temp.wk_vocab; "
    "DROP TABLE IF EXISTS temp.wk_terms; "
    "CREATE VIRTUAL TABLE temp.wk_vocab USING fts5vocab(main, key_words, "
    "instance); "
    "CREATE VIRTUAL TABLE temp.wk_terms USING fts5vocab(main, key_words, "
    "row); "
    "CREATE TEMP TABLE IF NOT EXISTS wk_big (id INTEGER PRIMARY KEY); "
    "DELETE FROM temp.wk_big; "
    "DELETE FROM main.key_word_listings";
static const char sorted_end_sql[] = "DROP TABLE IF EXISTS temp.wk_vocab; "
				     "DROP TABLE IF EXISTS temp.wk_terms; "
				     "DROP TABLE IF EXISTS temp.wk_big";
/* ?1 word_listing_bytes: the keys put_words counts the words of. */
static const char sorted_big_sql[] =
    "SELECT k.id, k.uids, length(l.listing) FROM main.keys k JOIN "
    "main.key_listings l ON l.id = k.id WHERE length(l.listing) > 0 AND "
    "length(CAST(k.uids AS BLOB)) / 2 + 1 > ?1 / length(l.listing)";
/* ?1 word_listing_bytes, ?2 WORD_MAX, the words after ?3 (up to ?4:
 * SORTED_TO). */
#define SORTED_FILL(to)                                                        \
	"INSERT OR IGNORE INTO main.key_word_listings(word, key, listing) "    \
	"SELECT v.term, v.doc, CASE WHEN ?1 > 0 AND length(l.listing) > 0 "    \
	"AND b.id IS NULL THEN CAST(l.listing AS BLOB) END FROM "              \
	"temp.wk_vocab v LEFT JOIN main.key_listings l ON l.id = v.doc LEFT "  \
	"JOIN temp.wk_big b ON b.id = v.doc WHERE v.term > ?3 " to             \
	"AND length(CAST(v.term AS BLOB)) <= ?2"
#define SORTED_TO "AND v.term <= ?4 "
static const char *const sorted_fill_sql[2] = {
	SORTED_FILL(""),       /* the last range */
	SORTED_FILL(SORTED_TO) /* any other */
};

/* The ranges of a sorted fill: range i is the words after bound[i - 1]
 * ("" for the first) up to bound[i] (NULL: to the last word); rows,
 * their rows in all. */
struct sorted_fill {
	size_t max; /* [keys] word_listing_bytes */
	char **bound;
	size_t n;
	uint64_t rows;
};

/* The keys over word_listing_bytes into temp.wk_big. */
static enum pks_rc
sorted_big(struct store *st, size_t max)
{
	sqlite3_stmt *s = NULL, *ins = NULL;
	struct tok_walk tw;
	size_t llen;
	enum pks_rc rc = PKS_OK;
	int r;

	r = sqlite3_prepare_v2(st->db, sorted_big_sql, -1, &s, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_prepare_v2(st->db,
		    "INSERT INTO temp.wk_big(id) VALUES (?1)", -1, &ins, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_bind_int64(s, 1, (int64_t)max);
	while (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&tw, 0, sizeof(tw));
		tw.st = st;
		llen = (size_t)sqlite3_column_int64(s, 2);
		rc = tokenize(st, FTS5_TOKENIZE_DOCUMENT,
		    sqlite3_column_text(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1), &tw);
		if (rc != PKS_OK)
			break;
		r = SQLITE_OK;
		if (tw.n > max / llen &&
		    (r = sqlite3_bind_int64(
			 ins, 1, sqlite3_column_int64(s, 0))) == SQLITE_OK &&
		    (r = sqlite3_step(ins)) == SQLITE_DONE)
			r = sqlite3_reset(ins);
	}
	if (rc == PKS_OK && r != SQLITE_DONE)
		rc = store_fail(st, r);
	sqlite3_finalize(s);
	sqlite3_finalize(ins);
	return rc;
}

static void
add_bound(struct sorted_fill *f, const unsigned char *term)
{
	f->bound = xreallocarray(f->bound, f->n + 1, sizeof(*f->bound));
	f->bound[f->n++] = term ? xstrdup((const char *)term) : NULL;
}

/* The ranges, from every word's number of keys. */
static enum pks_rc
sorted_ranges(struct store *st, struct sorted_fill *f)
{
	sqlite3_stmt *s = NULL;
	const unsigned char *term;
	size_t cap = pks_key_limits()->word_sort_bytes;
	uint64_t in_range = 0, per = UINT64_MAX;
	int r;

	if (cap > 0)
		per = cap / SORTED_ROW_BYTES > 0 ? cap / SORTED_ROW_BYTES : 1;
	r = sqlite3_prepare_v2(
	    st->db, "SELECT term, doc FROM temp.wk_terms", -1, &s, NULL);
	while (r == SQLITE_OK || r == SQLITE_ROW) {
		if ((r = sqlite3_step(s)) != SQLITE_ROW ||
		    (term = sqlite3_column_text(s, 0)) == NULL)
			continue;
		in_range += (uint64_t)sqlite3_column_int64(s, 1);
		f->rows += (uint64_t)sqlite3_column_int64(s, 1);
		if (in_range >= per) {
			add_bound(f, term);
			in_range = 0;
		}
	}
	if (r == SQLITE_DONE && in_range > 0)
		add_bound(f, NULL);
	sqlite3_finalize(s);
	return r == SQLITE_DONE ? PKS_OK : store_fail(st, r);
}

/* The first transaction: temp tables, table emptied, big keys, ranges. */
static enum pks_rc
sorted_prepare(struct store *st, void *arg)
{
	struct sorted_fill *f = arg;
	enum pks_rc rc = PKS_OK;
	int r;

	r = sqlite3_exec(st->db, sorted_begin_sql, NULL, NULL, NULL);
	if (r != SQLITE_OK)
		rc = store_fail(st, r);
	if (rc == PKS_OK && f->max > 0)
		rc = sorted_big(st, f->max);
	if (rc == PKS_OK)
		rc = sorted_ranges(st, f);
	return rc;
}

struct sorted_range {
	size_t max;
	const char *lo, *hi;
};

/* The rows of one range, in a transaction of their own. */
static enum pks_rc
sorted_range_txn(struct store *st, void *arg)
{
	struct sorted_range *g = arg;
	sqlite3_stmt *s = NULL;
	int r;

	r = sqlite3_prepare_v2(
	    st->db, sorted_fill_sql[g->hi != NULL], -1, &s, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_bind_int64(s, 1, (int64_t)g->max);
	if (r == SQLITE_OK)
		r = sqlite3_bind_int64(s, 2, WORD_MAX);
	if (r == SQLITE_OK)
		r = sqlite3_bind_text(s, 3, g->lo, -1, SQLITE_STATIC);
	if (r == SQLITE_OK && g->hi != NULL)
		r = sqlite3_bind_text(s, 4, g->hi, -1, SQLITE_STATIC);
	if (r == SQLITE_OK)
		r = sqlite3_step(s);
	sqlite3_finalize(s);
	return r == SQLITE_DONE ? PKS_OK : store_fail(st, r);
}

/* Every range in turn, logging progress when there are several. */
static enum pks_rc
sorted_fill_ranges(struct store *st, const struct sorted_fill *f)
{
	struct sorted_range g = { f->max, "", NULL };
	uint64_t done;
	enum pks_rc rc = PKS_OK;
	size_t i;

	for (i = 0; i < f->n && rc == PKS_OK; i++) {
		g.hi = f->bound[i];
		rc = store_txn_run(st, sorted_range_txn, &g);
		g.lo = g.hi;
		done = f->rows * (i + 1) / f->n;
		if (rc == PKS_OK && f->n > 1)
			log_info("database: word table: range %zu of %zu "
				 "(about %llu of %llu rows)",
			    i + 1, f->n, (unsigned long long)done,
			    (unsigned long long)f->rows);
	}
	return rc;
}

enum pks_rc
store_wordkeys_fill_sorted(struct store *st)
{
	struct sorted_fill f = { pks_key_limits()->word_listing_bytes, NULL, 0,
		0 };
	enum pks_rc rc;
	size_t i;
	int r;

	log_info("database: filling the word table from the word index");
	/* Every key of key_words is a keys row: the foreign key would
	 * read a random keys page per row (a million keys: a minute). */
	r = sqlite3_exec(st->db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL);
	if (r != SQLITE_OK)
		return store_fail(st, r);
	rc = store_txn_run(st, sorted_prepare, &f);
	if (rc == PKS_OK)
		rc = sorted_fill_ranges(st, &f);
	(void)sqlite3_exec(st->db, sorted_end_sql, NULL, NULL, NULL);
	r = sqlite3_exec(st->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	if (rc == PKS_OK && r != SQLITE_OK)
		rc = store_fail(st, r);
	for (i = 0; i < f.n; i++)
		free(f.bound[i]);
	free(f.bound);
	return rc;
}

static enum pks_rc
rebuild(struct store *st, void *arg)
{
	(void)arg;
	return store_wordkeys_fill(st);
}

enum pks_rc
store_words_rebuild(struct store *st)
{
	return store_txn_run(st, rebuild, NULL);
}

/* The next quoted string of an FTS5 query made by store_words_query
 * from *i on, unquoted, into w; 0 when there is none. */
static int
next_phrase(const uint8_t *q, size_t qlen, size_t *i, struct buf *w)
{
	size_t j = *i;

	buf_reset(w);
	while (j < qlen && q[j] != '"')
		j++;
	if (j >= qlen)
		return 0;
	for (j++; j < qlen; j++) {
		if (q[j] == '"' && (j + 1 >= qlen || q[j + 1] != '"'))
			break;
		j += q[j] == '"';
		if (buf_addc(w, q[j]) != PKS_OK)
			return 0;
	}
	*i = j + 1;
	return 1;
}

/* The one word of an FTS5 query made by store_words_query ("w", a
 * quote doubled inside), tokenized, into word.  PKS_ERR_UNSUPPORTED
 * when there are several, or it is not exactly one token. */
static enum pks_rc
query_word(struct store *st, const uint8_t *q, size_t qlen, struct buf *word)
{
	struct tok_walk tw;
	struct buf w;
	size_t i = 0;
	int nw = 0;
	enum pks_rc rc = PKS_OK;

	buf_init(&w, PKS_MAX_QUERY + 1);
	while (rc == PKS_OK && next_phrase(q, qlen, &i, &w)) {
		memset(&tw, 0, sizeof(tw));
		tw.st = st;
		rc = tokenize(st, FTS5_TOKENIZE_QUERY, w.data, w.len, &tw);
		/* One word only: for several, FTS5 intersects their doclists
		 * in memory, where the table would be probed once for each
		 * key of the first word (thousands, for common words at a
		 * million keys). */
		if (rc == PKS_OK && (tw.n != 1 || nw++ > 0))
			rc = PKS_ERR_UNSUPPORTED;
		if (rc == PKS_OK)
			rc = buf_add(word, tw.last, tw.last_len);
	}
	buf_free(&w);
	return rc == PKS_OK && nw == 0 ? PKS_ERR_UNSUPPORTED : rc;
}

/* Bind the word and the limit to s. */
static int
bind_word(sqlite3_stmt *s, const struct buf *word, int64_t limit)
{
	int r;

	r = sqlite3_bind_text(
	    s, 1, (const char *)word->data, (int)word->len, SQLITE_STATIC);
	if (r == SQLITE_OK)
		r = sqlite3_bind_int64(s, 2, limit);
	return r;
}

static void
stmt_end(sqlite3_stmt *s)
{
	if (s != NULL) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

/*
 * PKS_ERR_UNSUPPORTED while a bulk import runs: it writes the table at
 * its end, so until then FTS5 answers.  Only the importing connection
 * can meet that state: store_bulk.c keeps every other opener out while
 * the import runs and after it died, and a database open elsewhere is
 * never bulk-loaded.  No SQL, then: this connection's own flag.
 */
static enum pks_rc
bulk_running(const struct store *st)
{
	return st->bulk ? PKS_ERR_UNSUPPORTED : PKS_OK;
}

/* How many keys have the word, at most limit. */
static enum pks_rc
count_keys(
    struct store *st, const struct buf *word, int64_t limit, size_t *count)
{
	sqlite3_stmt *s = NULL;
	enum pks_rc rc;
	int r;

	if ((rc = wk_stmt(st, WK_COUNT, &s)) != PKS_OK)
		return rc;
	r = bind_word(s, word, limit);
	if (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		*count = (size_t)sqlite3_column_int64(s, 0);
		r = SQLITE_DONE;
	}
	stmt_end(s);
	return r == SQLITE_DONE ? PKS_OK : store_fail(st, r);
}

enum pks_rc
store_wordkeys_search(struct store *st, const uint8_t *q, size_t qlen,
    size_t max, enum pks_rc (*cb)(void *, int64_t, const void *, size_t),
    void *arg, size_t *n)
{
	sqlite3_stmt *s = NULL;
	struct buf b;
	enum pks_rc rc;
	int r;

	*n = 0;
	buf_init(&b, WORD_MAX + 1);
	rc = query_word(st, q, qlen, &b);
	if (rc == PKS_OK)
		rc = bulk_running(st);
	/* Too many: refused before any listing is read. */
	if (rc == PKS_OK)
		rc = count_keys(st, &b, (int64_t)max + 1, n);
	if (rc != PKS_OK || *n > max || *n == 0 ||
	    (rc = wk_stmt(st, WK_FIND, &s)) != PKS_OK)
		goto out;
	r = bind_word(s, &b, (int64_t)max + 1);
	while (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		rc = cb(arg, sqlite3_column_int64(s, 0),
		    sqlite3_column_blob(s, 1),
		    (size_t)sqlite3_column_bytes(s, 1));
		r = rc == PKS_OK ? SQLITE_OK : SQLITE_DONE;
	}
	if (rc == PKS_OK && r != SQLITE_DONE)
		rc = store_fail(st, r);
	stmt_end(s);
out:
	buf_free(&b);
	return rc;
}

/* Differences between the table and the rebuild in temp.wk_expect,
 * one line per key: its row id, how many words, the first of them. */
static const char *const check_sql[][2] = {
	{ "word table lacks words of a key (key, words, first)",
	    "SELECT e.key, count(*), substr(min(e.word), 1, 64) FROM "
	    "temp.wk_expect e WHERE NOT EXISTS (SELECT 1 FROM "
	    "main.key_word_listings w WHERE w.word = e.word AND w.key = e.key) "
	    "GROUP BY e.key ORDER BY e.key LIMIT 100" },
	{ "word table has words a key lacks (key, words, first)",
	    "SELECT w.key, count(*), substr(min(w.word), 1, 64) FROM "
	    "main.key_word_listings w WHERE NOT EXISTS (SELECT 1 FROM "
	    "temp.wk_expect e WHERE e.word = w.word AND e.key = w.key) "
	    "GROUP BY w.key ORDER BY w.key LIMIT 100" },
	{ "word table copies another listing than its key's "
	  "(key, words, first)",
	    "SELECT w.key, count(*), substr(min(w.word), 1, 64) FROM "
	    "main.key_word_listings w LEFT JOIN main.key_listings l ON l.id = "
	    "w.key WHERE w.listing IS NOT NULL AND w.listing IS NOT l.listing "
	    "GROUP BY w.key ORDER BY w.key LIMIT 100" },
};

/* Each row of query i as a problem line. */
static enum pks_rc
check_one(struct store *st, size_t i, void (*cb)(void *, const char *),
    void *arg, size_t *n)
{
	sqlite3_stmt *s = NULL;
	char line[256];
	int r;

	r = sqlite3_prepare_v2(st->db, check_sql[i][1], -1, &s, NULL);
	while (r == SQLITE_OK && (r = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(line, sizeof(line), "%s: %lld %lld %s",
		    check_sql[i][0], (long long)sqlite3_column_int64(s, 0),
		    (long long)sqlite3_column_int64(s, 1),
		    (const char *)sqlite3_column_text(s, 2));
		cb(arg, line);
		(*n)++;
		r = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return r == SQLITE_DONE ? PKS_OK : store_fail(st, r);
}

enum pks_rc
store_wordkeys_check(struct store *st, void (*cb)(void *, const char *),
    void *arg, size_t *nproblems)
{
	sqlite3_stmt *ins = NULL;
	enum pks_rc rc;
	size_t i;
	int r;

	*nproblems = 0;
	/* The rebuild is a temporary table, written; a bulk import
	 * running on this connection writes the table at its end. */
	if (st->readonly || bulk_running(st) != PKS_OK)
		return PKS_OK;
	r = sqlite3_exec(st->db,
	    "CREATE TEMP TABLE IF NOT EXISTS wk_expect (word TEXT NOT NULL, "
	    "key INTEGER NOT NULL, PRIMARY KEY (word, key)) WITHOUT ROWID; "
	    "DELETE FROM temp.wk_expect",
	    NULL, NULL, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_prepare_v2(st->db,
		    "INSERT OR IGNORE INTO temp.wk_expect(word, key) "
		    "VALUES (?1, ?2)",
		    -1, &ins, NULL);
	if (r != SQLITE_OK) {
		sqlite3_finalize(ins);
		return store_fail(st, r);
	}
	rc = fill_all(st, ins, "word table check");
	sqlite3_finalize(ins);
	for (i = 0;
	     i < sizeof(check_sql) / sizeof(check_sql[0]) && rc == PKS_OK; i++)
		rc = check_one(st, i, cb, arg, nproblems);
	(void)sqlite3_exec(
	    st->db, "DROP TABLE IF EXISTS temp.wk_expect", NULL, NULL, NULL);
	return rc;
}
