/*
 * network_json.c: the bounded JSON reader (network_json.h), a
 * recursive descent over the bytes with a depth and a node budget.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "network/network_json.h"
#include "util/buf.h"
#include "util/xalloc.h"

struct jp {
	const uint8_t *p;
	size_t len, off;
	size_t nodes;
	struct pks_err *err;
};

static enum pks_rc parse_value(struct jp *j, int depth, struct json_val **out);

static void
skip_ws(struct jp *j)
{
	while (j->off < j->len &&
	       (j->p[j->off] == ' ' || j->p[j->off] == '\t' ||
		   j->p[j->off] == '\r' || j->p[j->off] == '\n'))
		j->off++;
}

static enum pks_rc
fail(struct jp *j, const char *why)
{
	return pks_fail(j->err, j->off, why, PKS_ERR_PARSE);
}

static struct json_val *
node(struct jp *j, enum json_type t)
{
	struct json_val *v;

	if (++j->nodes > NETWORK_JSON_MAX_NODES)
		return NULL;
	v = xcalloc(1, sizeof(*v));
	v->type = t;
	return v;
}

static int
hex4(const uint8_t *p, unsigned *out)
{
	unsigned v = 0;
	int i, d;

	for (i = 0; i < 4; i++) {
		d = p[i];
		if (d >= '0' && d <= '9')
			d -= '0';
		else if (d >= 'a' && d <= 'f')
			d -= 'a' - 10;
		else if (d >= 'A' && d <= 'F')
			d -= 'A' - 10;
		else
			return -1;
		v = v << 4 | (unsigned)d;
	}
	*out = v;
	return 0;
}

/* Code point u as UTF-8 (surrogates and NUL become U+FFFD). */
static enum pks_rc
add_utf8(struct buf *b, unsigned u)
{
	uint8_t s[4];
	size_t n;

	if (u == 0 || (u >= 0xd800 && u <= 0xdfff))
		u = 0xfffd;
	if (u < 0x80)
		s[0] = (uint8_t)u, n = 1;
	else if (u < 0x800)
		s[0] = (uint8_t)(0xc0 | u >> 6), s[1] = 0x80 | (u & 0x3f),
		n = 2;
	else
		s[0] = (uint8_t)(0xe0 | u >> 12),
		s[1] = (uint8_t)(0x80 | ((u >> 6) & 0x3f)),
		s[2] = 0x80 | (u & 0x3f), n = 3;
	return buf_add(b, s, n);
}

static enum pks_rc
escape(struct jp *j, struct buf *b)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *c;
	unsigned u;
	uint8_t e;

	if (j->off + 1 >= j->len)
		return fail(j, "short escape");
	e = j->p[++j->off];
	if (e == 'u') {
		if (j->len - j->off < 5 || hex4(j->p + j->off + 1, &u) != 0)
			return fail(j, "bad \\u escape");
		j->off += 5;
		return add_utf8(b, u);
	}
	if (e == '\0' || (c = strchr(from, e)) == NULL)
		return fail(j, "bad escape");
	j->off++;
	return buf_addc(b, (uint8_t)to[c - from]);
}

/* A string at j->off (on the quote) into a new NUL-terminated copy. */
static enum pks_rc
parse_string(struct jp *j, char **out)
{
	struct buf b;
	enum pks_rc rc = PKS_OK;
	uint8_t c;

	buf_init(&b, j->len + 1);
	j->off++;
	while (rc == PKS_OK) {
		if (j->off >= j->len) {
			rc = fail(j, "unterminated string");
			break;
		}
		c = j->p[j->off];
		if (c == '"')
			break;
		if (c == '\\')
			rc = escape(j, &b);
		else if (c < 0x20 || c == 0)
			rc = fail(j, "control character in a string");
		else
			rc = buf_addc(&b, c), j->off++;
	}
	if (rc == PKS_OK) {
		j->off++;
		rc = buf_addc(&b, 0);
	}
	if (rc == PKS_OK)
		*out = (char *)buf_steal(&b, NULL);
	buf_free(&b);
	return rc;
}

static enum pks_rc
parse_number(struct jp *j, struct json_val *v)
{
	char tmp[64], *end;
	size_t n = 0;

	while (j->off < j->len && n + 1 < sizeof(tmp) &&
	       strchr("+-0123456789.eE", j->p[j->off]) != NULL &&
	       j->p[j->off] != 0)
		tmp[n++] = (char)j->p[j->off++];
	tmp[n] = '\0';
	v->num = strtod(tmp, &end);
	if (n == 0 || *end != '\0')
		return fail(j, "bad number");
	return PKS_OK;
}

static enum pks_rc
parse_word(struct jp *j, struct json_val *v)
{
	static const struct {
		const char *w;
		enum json_type t;
		double num;
	} words[] = { { "true", JSON_BOOL, 1 }, { "false", JSON_BOOL, 0 },
		{ "null", JSON_NULL, 0 } };
	size_t i, n;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		n = strlen(words[i].w);
		if (j->len - j->off >= n &&
		    memcmp(j->p + j->off, words[i].w, n) == 0) {
			j->off += n;
			v->type = words[i].t;
			v->num = words[i].num;
			return PKS_OK;
		}
	}
	return fail(j, "unexpected character");
}

/* A member's name and its colon, into *key. */
static enum pks_rc
member_name(struct jp *j, char **key)
{
	enum pks_rc rc;

	skip_ws(j);
	if (j->off >= j->len || j->p[j->off] != '"')
		return fail(j, "expected a member name");
	if ((rc = parse_string(j, key)) != PKS_OK)
		return rc;
	skip_ws(j);
	if (j->off >= j->len || j->p[j->off] != ':') {
		free(*key);
		*key = NULL;
		return fail(j, "expected ':'");
	}
	j->off++;
	return PKS_OK;
}

/* After an item: 1 for ',' (more), 0 for the closing bracket. */
static enum pks_rc
item_end(struct jp *j, int obj, int *more)
{
	skip_ws(j);
	if (j->off < j->len && j->p[j->off] == ',') {
		j->off++;
		*more = 1;
		return PKS_OK;
	}
	if (j->off < j->len && j->p[j->off] == (obj ? '}' : ']')) {
		j->off++;
		*more = 0;
		return PKS_OK;
	}
	return fail(j, "expected ',' or a closing bracket");
}

/* Elements or members up to the closing bracket; obj: with names. */
static enum pks_rc
parse_items(struct jp *j, int depth, struct json_val *v, int obj)
{
	struct json_val **tail = &v->child, *item;
	char *key = NULL;
	enum pks_rc rc;
	int more = 1;

	j->off++;
	skip_ws(j);
	if (j->off < j->len && j->p[j->off] == (obj ? '}' : ']')) {
		j->off++;
		return PKS_OK;
	}
	while (more) {
		if (obj && (rc = member_name(j, &key)) != PKS_OK)
			return rc;
		item = NULL;
		rc = parse_value(j, depth + 1, &item);
		if (item != NULL) {
			item->key = key;
			*tail = item;
			tail = &item->next;
		} else {
			free(key);
		}
		key = NULL;
		if (rc != PKS_OK || (rc = item_end(j, obj, &more)) != PKS_OK)
			return rc;
	}
	return PKS_OK;
}

static enum pks_rc
parse_value(struct jp *j, int depth, struct json_val **out)
{
	struct json_val *v;
	uint8_t c;

	if (depth > NETWORK_JSON_MAX_DEPTH)
		return pks_fail(
		    j->err, j->off, "nested too deep", PKS_ERR_TOOBIG);
	skip_ws(j);
	if (j->off >= j->len)
		return fail(j, "expected a value");
	if ((v = node(j, JSON_NULL)) == NULL)
		return pks_fail(
		    j->err, j->off, "too many values", PKS_ERR_TOOBIG);
	*out = v;
	c = j->p[j->off];
	if (c == '{' || c == '[') {
		v->type = c == '{' ? JSON_OBJ : JSON_ARR;
		return parse_items(j, depth, v, c == '{');
	}
	if (c == '"') {
		v->type = JSON_STR;
		return parse_string(j, &v->str);
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		v->type = JSON_NUM;
		return parse_number(j, v);
	}
	return parse_word(j, v);
}

enum pks_rc
json_parse(
    const uint8_t *p, size_t len, struct json_val **out, struct pks_err *err)
{
	struct jp j = { p, len, 0, 0, err };
	enum pks_rc rc;

	*out = NULL;
	rc = parse_value(&j, 0, out);
	if (rc == PKS_OK) {
		skip_ws(&j);
		if (j.off != len)
			rc = fail(&j, "bytes after the value");
	}
	if (rc != PKS_OK) {
		json_free(*out);
		*out = NULL;
	}
	return rc;
}

void
json_free(struct json_val *v)
{
	struct json_val *next;

	while (v != NULL) {
		json_free(v->child);
		next = v->next;
		free(v->str);
		free(v->key);
		free(v);
		v = next;
	}
}

const struct json_val *
json_get(const struct json_val *o, const char *name)
{
	const struct json_val *v;

	if (o == NULL || o->type != JSON_OBJ)
		return NULL;
	for (v = o->child; v != NULL; v = v->next)
		if (v->key != NULL && strcmp(v->key, name) == 0)
			return v;
	return NULL;
}

const char *
json_get_str(const struct json_val *o, const char *name)
{
	const struct json_val *v = json_get(o, name);

	return v != NULL && v->type == JSON_STR ? v->str : NULL;
}
