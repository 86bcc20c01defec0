/*
 * hkp_stream.c: answers written while the client reads them.
 *
 * An op=get or /pks/hashquery answer can hold hundreds of keys.  Built
 * whole in memory, each slow or absent reader would hold all of it; as
 * a stream it holds the key row ids, the key being written and what
 * the socket has not taken yet (the server asks for at most a block
 * at a time).  hkp_stream_read() loads the next key (by id, in its own
 * short read of the database) only when the previous one was taken.
 * Keys are loaded by the worker thread that serves the connection,
 * with that thread's database connection.  A key that is gone by then
 * is left out.
 *
 * The key being written counts in the server's reply budget
 * (hkp_guard.h) for the client's address: a stream whose next key the
 * budget cannot hold now ends there (the connection is cut, so the
 * client sees a short answer, never a wrong one).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "hkp/hkp_cache.h"
#include "hkp/hkp_int.h"
#include "pgp/pgp_armor.h"
#include "pgp/pgp_verify.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/xalloc.h"

enum stream_kind { ST_ARMOR, ST_HASHQUERY };
enum stream_stage { SG_HEAD, SG_KEYS, SG_TAIL, SG_DONE };

struct hkp_stream {
	struct hkp_server *srv;
	enum stream_kind kind;
	enum stream_stage stage;
	int64_t *ids;
	size_t n, next;
	struct buf head, tail; /* written before and after the keys */
	struct buf out;        /* produced, not yet read */
	size_t off;            /* read so far of out */
	struct pgp_armor_enc enc;
	struct store_key cur; /* the key being written */
	size_t cur_off;       /* bytes of cur written */
	struct hkp_addr client;
	int has_client;
	size_t held; /* bytes of the reply budget taken for cur */
};

/* Bytes kept ready for the socket: one key's armor (a cached single
 * key), else a piece of a key. */
#define STREAM_MAX_OUT (2u * PKS_MAX_ARMOR)
/* Bytes of a key turned into output at a time. */
#define STREAM_PIECE (48u * 1024)

static struct hkp_stream *
stream_new(
    struct hkp_ctx *ctx, enum stream_kind kind, const int64_t *ids, size_t n)
{
	struct hkp_stream *s = xcalloc(1, sizeof(*s));

	s->srv = ctx->srv;
	s->kind = kind;
	if (ctx->client != NULL) {
		s->client = *ctx->client;
		s->has_client = 1;
	}
	s->ids = xreallocarray(NULL, n ? n : 1, sizeof(*ids));
	if (n > 0)
		memcpy(s->ids, ids, n * sizeof(*ids));
	s->n = n;
	buf_init(&s->head, HKP_MAX_REPLY);
	buf_init(&s->tail, HKP_MAX_REPLY);
	buf_init(&s->out, STREAM_MAX_OUT);
	pgp_armor_enc_begin(&s->enc);
	return s;
}

void
hkp_stream_free(struct hkp_stream *s)
{
	if (s == NULL)
		return;
	hkp_guard_reply_give(hkp_server_guard(s->srv),
	    s->has_client ? &s->client : NULL, s->held);
	free(s->ids);
	store_key_clear(&s->cur);
	buf_free(&s->head);
	buf_free(&s->tail);
	buf_free(&s->out);
	free(s);
}

enum pks_rc
hkp_stream_armor(struct hkp_ctx *ctx, const int64_t *ids, size_t n,
    const char *head, size_t headlen, const char *tail, struct hkp_reply *r)
{
	struct hkp_stream *s = stream_new(ctx, ST_ARMOR, ids, n);
	enum pks_rc rc = PKS_OK;

	if (head != NULL)
		rc = buf_add(&s->head, head, headlen);
	if (rc == PKS_OK && tail != NULL)
		rc = buf_adds(&s->tail, tail);
	if (rc != PKS_OK) {
		hkp_stream_free(s);
		return rc;
	}
	r->stream = s;
	return PKS_OK;
}

enum pks_rc
hkp_stream_hashquery(
    struct hkp_ctx *ctx, const int64_t *ids, size_t n, struct hkp_reply *r)
{
	struct hkp_stream *s = stream_new(ctx, ST_HASHQUERY, ids, n);
	enum pks_rc rc;

	rc = buf_add_be32(&s->head, (uint32_t)n);
	if (rc == PKS_OK)
		rc = buf_adds(&s->tail, "\r\n");
	if (rc != PKS_OK) {
		hkp_stream_free(s);
		return rc;
	}
	r->stream = s;
	return PKS_OK;
}

/* Replace cur's stored bytes by what people get of the key
 * (pgp_verify.h): verified self-signatures, a bounded number of
 * third-party certifications, nothing gpg cannot parse. */
static enum pks_rc
serve_cur(struct hkp_stream *s)
{
	struct buf out;
	enum pks_rc rc;

	buf_init(&out, PKS_MAX_KEY);
	rc = pgp_served_bytes(s->cur.data, s->cur.len, s->cur.checks,
	    s->cur.checks_len, pks_key_limits()->served_certs, &out);
	if (rc != PKS_OK) {
		buf_free(&out);
		return rc;
	}
	free(s->cur.data);
	s->cur.data = buf_steal(&out, &s->cur.len);
	return PKS_OK;
}

/* The armor of the one key of an answer, from the cache (keyed by the
 * stored version and its stamp: what is served of it depends on nothing
 * else),
 * without reading the stored key: PKS_ERR_NOTFOUND when not cached. */
static enum pks_rc
armor_cached(struct hkp_stream *s, struct store *st, int64_t id)
{
	struct hkp_cache *c = hkp_server_cache(s->srv);
	uint8_t hash[16];
	int64_t stamp;
	enum pks_rc rc;

	if (c == NULL)
		return PKS_ERR_NOTFOUND;
	if ((rc = store_key_hash(st, id, hash, &stamp)) != PKS_OK)
		return rc;
	return hkp_cache_get(c, id, hash, stamp, &s->out);
}

/* The armor of the one key of an answer, made and kept in the cache. */
static enum pks_rc
armor_single(struct hkp_stream *s)
{
	const struct store_key *k = &s->cur;
	enum pks_rc rc;

	if ((rc = serve_cur(s)) != PKS_OK)
		return rc;
	rc = pgp_armor_encode(k->data, k->len, NULL, &s->out);
	if (rc == PKS_OK)
		hkp_cache_put(hkp_server_cache(s->srv), k->id, k->hash,
		    k->updated, s->out.data, s->out.len);
	return rc;
}

/* Hold n bytes of the reply budget for the key being written instead
 * of what the previous one held. */
static enum pks_rc
hold(struct hkp_stream *s, size_t n)
{
	struct hkp_guard *g = hkp_server_guard(s->srv);
	const struct hkp_addr *a = s->has_client ? &s->client : NULL;

	hkp_guard_reply_give(g, a, s->held);
	s->held = 0;
	if (hkp_guard_reply_take(g, a, n) != PKS_OK) {
		log_info("hkp: answer cut: the reply budget cannot hold a "
			 "key of %zu bytes now",
		    n);
		return PKS_ERR_REFUSED;
	}
	s->held = n;
	return PKS_OK;
}

/* Load the next key into cur; a key that is gone is skipped.  A
 * hashquery entry starts with the key's length and holds the whole
 * stored key (SKS parity); an armored answer holds the served key. */
static enum pks_rc
next_key(struct hkp_stream *s)
{
	struct store *st;
	int64_t id;
	enum pks_rc rc;

	store_key_clear(&s->cur);
	memset(&s->cur, 0, sizeof(s->cur));
	s->cur_off = 0;
	if ((rc = hkp_server_store(s->srv, &st)) != PKS_OK)
		return rc;
	id = s->ids[s->next++];
	if (s->kind == ST_ARMOR && s->n == 1) {
		rc = armor_cached(s, st, id);
		if (rc == PKS_OK)
			return hold(s, s->out.len);
		if (rc != PKS_ERR_NOTFOUND)
			return rc;
	}
	rc = store_key_load(st, id, &s->cur);
	if (rc == PKS_ERR_NOTFOUND)
		return PKS_OK;
	if (rc != PKS_OK)
		return rc;
	if (s->kind == ST_HASHQUERY) {
		if ((rc = hold(s, s->cur.len)) != PKS_OK)
			return rc;
		return buf_add_be32(&s->out, (uint32_t)s->cur.len);
	}
	if (s->n != 1) {
		if ((rc = serve_cur(s)) != PKS_OK)
			return rc;
		return hold(s, s->cur.len);
	}
	if ((rc = armor_single(s)) == PKS_OK)
		rc = hold(s, s->out.len);
	store_key_clear(&s->cur);
	memset(&s->cur, 0, sizeof(s->cur));
	s->cur_off = 0;
	return rc;
}

/* The next piece of cur: its bytes, or their armor. */
static enum pks_rc
key_piece(struct hkp_stream *s)
{
	const uint8_t *p = s->cur.data + s->cur_off;
	size_t n = s->cur.len - s->cur_off;
	enum pks_rc rc;

	n = n < STREAM_PIECE ? n : STREAM_PIECE;
	if (s->kind == ST_HASHQUERY)
		rc = buf_add(&s->out, p, n);
	else
		rc = pgp_armor_enc_add(&s->enc, p, n, &s->out);
	s->cur_off += n;
	return rc;
}

/* Refill out (emptied) with the next piece of the answer. */
static enum pks_rc
produce(struct hkp_stream *s)
{
	enum pks_rc rc = PKS_OK;

	buf_reset(&s->out);
	s->off = 0;
	switch (s->stage) {
	case SG_HEAD:
		rc = buf_add(&s->out, s->head.data, s->head.len);
		s->stage = SG_KEYS;
		break;
	case SG_KEYS:
		if (s->cur_off < s->cur.len)
			return key_piece(s);
		if (s->next < s->n)
			return next_key(s);
		if (s->kind == ST_ARMOR && s->n != 1)
			rc = pgp_armor_enc_end(&s->enc, &s->out);
		s->stage = SG_TAIL;
		break;
	case SG_TAIL:
		rc = buf_add(&s->out, s->tail.data, s->tail.len);
		s->stage = SG_DONE;
		break;
	case SG_DONE:
		break;
	}
	return rc;
}

long
hkp_stream_read(struct hkp_stream *s, char *dst, size_t max)
{
	size_t n;
	enum pks_rc rc;

	while (s->off == s->out.len) {
		if (s->stage == SG_DONE)
			return 0;
		if ((rc = produce(s)) != PKS_OK) {
			if (rc != PKS_ERR_REFUSED) /* refusals are logged */
				log_warnx("hkp: answer cut short: %s",
				    pks_rc_str(rc));
			return -1;
		}
	}
	n = s->out.len - s->off;
	n = n < max ? n : max;
	memcpy(dst, s->out.data + s->off, n);
	s->off += n;
	return (long)n;
}
