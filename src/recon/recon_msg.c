/*
 * recon_msg.c: encoder and decoder of the SKS recon wire messages.
 *
 * Decoding goes through a small cursor (struct rd) that checks every
 * length against the bytes that remain and records the offset of the
 * first problem.  Encoding writes into a struct buf and rolls back on
 * failure, so a caller's buffer never holds half a frame.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "recon/recon_msg.h"
#include "util/limits.h"
#include "util/xalloc.h"

static const char *const type_names[RECON_MSG_NTYPES] = { "ReconRqst_Poly",
	"ReconRqst_Full", "Elements", "FullElements", "SyncFail", "Done",
	"Flush", "Error", "DbRqst", "DbRepl", "Config" };

const char *
recon_msg_type_name(int type)
{
	if (type < 0 || type >= RECON_MSG_NTYPES)
		return "unknown";
	return type_names[type];
}

void
recon_msg_init(struct recon_msg *m, enum recon_msg_type type)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	ptree_prefix_root(&m->prefix);
}

void
recon_msg_free(struct recon_msg *m)
{
	size_t i;

	free(m->elems);
	free(m->text);
	for (i = 0; i < m->ncfg; i++) {
		free(m->cfg[i].key);
		free(m->cfg[i].val);
	}
	free(m->cfg);
	recon_msg_init(m, m->type);
}

void
recon_msg_set_elems(struct recon_msg *m, const struct zzp *e, size_t n)
{
	free(m->elems);
	m->elems = NULL;
	m->nelems = n;
	if (n > 0)
		m->elems = xmemdup(e, n * sizeof(*e));
}

/* A copy of n bytes with a NUL after them. */
static void *
dup_nul(const void *p, size_t n)
{
	char *s = xmalloc(n + 1);

	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

void
recon_msg_set_text(struct recon_msg *m, const char *text, size_t len)
{
	free(m->text);
	m->text = dup_nul(text, len);
	m->textlen = len;
}

static void
add_pair(
    struct recon_msg *m, const void *k, size_t kn, const void *v, size_t vn)
{
	struct recon_config_entry *e;

	m->cfg = xreallocarray(m->cfg, m->ncfg + 1, sizeof(*m->cfg));
	e = &m->cfg[m->ncfg++];
	e->key = dup_nul(k, kn);
	e->keylen = kn;
	e->val = dup_nul(v, vn);
	e->vallen = vn;
}

/* ---- encoding ---- */

static enum pks_rc
put_string(struct buf *b, const void *p, size_t n)
{
	enum pks_rc rc;

	if (n > PKS_MAX_RECON_MSG)
		return PKS_ERR_TOOBIG;
	rc = buf_add_be32(b, (uint32_t)n);
	if (rc == PKS_OK && n > 0)
		rc = buf_add(b, p, n);
	return rc;
}

static enum pks_rc
put_prefix(struct buf *b, const struct ptree_prefix *p)
{
	enum pks_rc rc = buf_add_be32(b, p->nbits);

	if (rc == PKS_OK)
		rc = put_string(b, p->b, ptree_prefix_len(p));
	return rc;
}

static enum pks_rc
put_zzps(struct buf *b, const struct zzp *e, size_t n)
{
	uint8_t w[ZZP_WIRE_LEN];
	enum pks_rc rc;
	size_t i;

	if (n > PKS_MAX_RECON_MSG / ZZP_WIRE_LEN)
		return PKS_ERR_TOOBIG;
	rc = buf_add_be32(b, (uint32_t)n);
	for (i = 0; i < n && rc == PKS_OK; i++) {
		zzp_to_wire(&e[i], w);
		rc = buf_add(b, w, sizeof(w));
	}
	return rc;
}

static enum pks_rc
put_config(struct buf *b, const struct recon_msg *m)
{
	enum pks_rc rc;
	size_t i;

	if (m->ncfg > PKS_MAX_RECON_MSG / 8)
		return PKS_ERR_TOOBIG;
	rc = buf_add_be32(b, (uint32_t)m->ncfg);
	for (i = 0; i < m->ncfg && rc == PKS_OK; i++) {
		rc = put_string(b, m->cfg[i].key, m->cfg[i].keylen);
		if (rc == PKS_OK)
			rc = put_string(b, m->cfg[i].val, m->cfg[i].vallen);
	}
	return rc;
}

static enum pks_rc
put_body(struct buf *b, const struct recon_msg *m)
{
	enum pks_rc rc = PKS_OK;

	switch (m->type) {
	case RECON_MSG_POLY:
		rc = put_prefix(b, &m->prefix);
		if (rc == PKS_OK)
			rc = buf_add_be32(b, m->size);
		if (rc == PKS_OK)
			rc = put_zzps(b, m->samples, PTREE_NSAMPLES);
		return rc;
	case RECON_MSG_FULL:
		rc = put_prefix(b, &m->prefix);
		if (rc == PKS_OK)
			rc = put_zzps(b, m->elems, m->nelems);
		return rc;
	case RECON_MSG_ELEMENTS:
	case RECON_MSG_FULL_ELEMENTS:
		return put_zzps(b, m->elems, m->nelems);
	case RECON_MSG_SYNC_FAIL:
	case RECON_MSG_DONE:
	case RECON_MSG_FLUSH:
		return PKS_OK;
	case RECON_MSG_ERROR:
	case RECON_MSG_DB_RQST:
	case RECON_MSG_DB_REPL:
		return put_string(b, m->text, m->textlen);
	case RECON_MSG_CONFIG:
		return put_config(b, m);
	}
	return PKS_ERR_PARSE;
}

enum pks_rc
recon_msg_encode(const struct recon_msg *m, struct buf *out)
{
	size_t start = out->len, n;
	enum pks_rc rc;

	if ((unsigned)m->type >= RECON_MSG_NTYPES)
		return PKS_ERR_PARSE;
	rc = buf_add_be32(out, 0);
	if (rc == PKS_OK)
		rc = buf_addc(out, (uint8_t)m->type);
	if (rc == PKS_OK)
		rc = put_body(out, m);
	n = out->len - start - 4;
	if (rc == PKS_OK && n > PKS_MAX_RECON_MSG)
		rc = PKS_ERR_TOOBIG;
	if (rc != PKS_OK) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
		return rc;
	}
	out->data[start] = (uint8_t)(n >> 24);
	out->data[start + 1] = (uint8_t)(n >> 16);
	out->data[start + 2] = (uint8_t)(n >> 8);
	out->data[start + 3] = (uint8_t)n;
	return PKS_OK;
}

enum pks_rc
recon_verdict_encode(struct buf *out, int passed, const char *reason)
{
	size_t start = out->len;
	enum pks_rc rc;

	rc = put_string(out, passed ? "passed" : "failed", 6);
	if (rc == PKS_OK && !passed)
		rc = put_string(
		    out, reason ? reason : "", reason ? strlen(reason) : 0);
	if (rc != PKS_OK) {
		out->len = start;
		if (out->data != NULL)
			out->data[start] = '\0';
	}
	return rc;
}

/* ---- decoding ---- */

struct rd {
	const uint8_t *p;
	size_t len, off;
	size_t base; /* offset of p in the caller's buffer */
	struct pks_err *err;
};

static enum pks_rc
rd_fail(struct rd *r, const char *why)
{
	return pks_fail(r->err, r->base + r->off, why, PKS_ERR_PARSE);
}

static enum pks_rc
rd_u32(struct rd *r, uint32_t *v)
{
	const uint8_t *q = r->p + r->off;

	if (r->len - r->off < 4)
		return rd_fail(r, "truncated int");
	*v = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 |
	     q[3];
	r->off += 4;
	return PKS_OK;
}

/* A string: its bytes stay in the input (*s points into it). */
static enum pks_rc
rd_string(struct rd *r, const uint8_t **s, size_t *n)
{
	uint32_t len = 0;

	if (rd_u32(r, &len) != PKS_OK)
		return PKS_ERR_PARSE;
	if (len > r->len - r->off) {
		r->off -= 4;
		return rd_fail(r, "string past end of message");
	}
	*s = r->p + r->off;
	*n = len;
	r->off += len;
	return PKS_OK;
}

static enum pks_rc
rd_prefix(struct rd *r, struct ptree_prefix *pfx)
{
	const uint8_t *s;
	size_t at = r->off, n;
	uint32_t nbits = 0;

	if (rd_u32(r, &nbits) != PKS_OK || rd_string(r, &s, &n) != PKS_OK)
		return PKS_ERR_PARSE;
	if (ptree_prefix_set(pfx, nbits, s, n) != PKS_OK) {
		r->off = at;
		return rd_fail(r, "bad bitstring");
	}
	return PKS_OK;
}

/* count, then count 17-byte elements, all below p. */
static enum pks_rc
rd_zzps(struct rd *r, struct zzp **out, size_t *n)
{
	struct zzp *e = NULL;
	uint32_t count = 0, i;

	*out = NULL;
	*n = 0;
	if (rd_u32(r, &count) != PKS_OK)
		return PKS_ERR_PARSE;
	if (count > (r->len - r->off) / ZZP_WIRE_LEN) {
		r->off -= 4;
		return rd_fail(r, "element count past end of message");
	}
	if (count > 0)
		e = xreallocarray(NULL, count, sizeof(*e));
	for (i = 0; i < count; i++) {
		if (zzp_from_wire(&e[i], r->p + r->off) != PKS_OK) {
			free(e);
			return rd_fail(r, "element not below p");
		}
		r->off += ZZP_WIRE_LEN;
	}
	*out = e;
	*n = count;
	return PKS_OK;
}

static enum pks_rc
rd_samples(struct rd *r, struct zzp sv[PTREE_NSAMPLES])
{
	struct zzp *e;
	size_t at = r->off, n;

	if (rd_zzps(r, &e, &n) != PKS_OK)
		return PKS_ERR_PARSE;
	if (n != PTREE_NSAMPLES) {
		free(e);
		r->off = at;
		return rd_fail(r, "sample count is not mbar + 1");
	}
	memcpy(sv, e, n * sizeof(*e));
	free(e);
	return PKS_OK;
}

static enum pks_rc
rd_config(struct rd *r, struct recon_msg *m)
{
	const uint8_t *k, *v;
	size_t kn, vn;
	uint32_t count = 0, i;

	if (rd_u32(r, &count) != PKS_OK)
		return PKS_ERR_PARSE;
	/* every pair takes at least two 4-byte lengths */
	if (count > (r->len - r->off) / 8) {
		r->off -= 4;
		return rd_fail(r, "config pair count past end of message");
	}
	for (i = 0; i < count; i++) {
		if (rd_string(r, &k, &kn) != PKS_OK ||
		    rd_string(r, &v, &vn) != PKS_OK)
			return PKS_ERR_PARSE;
		add_pair(m, k, kn, v, vn);
	}
	return PKS_OK;
}

static enum pks_rc
rd_body(struct rd *r, struct recon_msg *m)
{
	const uint8_t *s;
	size_t n;

	switch (m->type) {
	case RECON_MSG_POLY:
		if (rd_prefix(r, &m->prefix) != PKS_OK ||
		    rd_u32(r, &m->size) != PKS_OK)
			return PKS_ERR_PARSE;
		return rd_samples(r, m->samples);
	case RECON_MSG_FULL:
		if (rd_prefix(r, &m->prefix) != PKS_OK)
			return PKS_ERR_PARSE;
		return rd_zzps(r, &m->elems, &m->nelems);
	case RECON_MSG_ELEMENTS:
	case RECON_MSG_FULL_ELEMENTS:
		return rd_zzps(r, &m->elems, &m->nelems);
	case RECON_MSG_SYNC_FAIL:
	case RECON_MSG_DONE:
	case RECON_MSG_FLUSH:
		return PKS_OK;
	case RECON_MSG_ERROR:
	case RECON_MSG_DB_RQST:
	case RECON_MSG_DB_REPL:
		if (rd_string(r, &s, &n) != PKS_OK)
			return PKS_ERR_PARSE;
		recon_msg_set_text(m, (const char *)s, n);
		return PKS_OK;
	case RECON_MSG_CONFIG:
		return rd_config(r, m);
	}
	return rd_fail(r, "unknown message type");
}

static enum pks_rc
decode_body_at(const uint8_t *p, size_t len, size_t base, struct recon_msg *m,
    struct pks_err *err)
{
	struct rd r = { p, len, 0, base, err };
	enum pks_rc rc;

	recon_msg_init(m, RECON_MSG_DONE);
	if (len < 1)
		return rd_fail(&r, "empty message");
	if (p[0] >= RECON_MSG_NTYPES)
		return rd_fail(&r, "unknown message type");
	m->type = (enum recon_msg_type)p[0];
	r.off = 1;
	rc = rd_body(&r, m);
	if (rc == PKS_OK && r.off != len)
		rc = rd_fail(&r, "trailing bytes in message");
	if (rc != PKS_OK)
		recon_msg_free(m);
	return rc;
}

enum pks_rc
recon_msg_decode_body(
    const uint8_t *p, size_t len, struct recon_msg *m, struct pks_err *err)
{
	return decode_body_at(p, len, 0, m, err);
}

/* The 4-byte length at p, if present: 0 = need more, 1 = have it. */
static int
peek_len(const uint8_t *p, size_t len, uint32_t *n)
{
	if (len < 4)
		return 0;
	*n = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	     p[3];
	return 1;
}

enum pks_rc
recon_msg_decode(const uint8_t *p, size_t len, size_t *used,
    struct recon_msg *m, struct pks_err *err)
{
	enum pks_rc rc;
	uint32_t n;

	*used = 0;
	recon_msg_init(m, RECON_MSG_DONE);
	if (!peek_len(p, len, &n))
		return PKS_OK;
	if (n > PKS_MAX_RECON_MSG)
		return pks_fail(err, 0, "message too long", PKS_ERR_TOOBIG);
	if (n == 0)
		return pks_fail(err, 0, "empty message", PKS_ERR_PARSE);
	if (len - 4 < n)
		return PKS_OK;
	rc = decode_body_at(p + 4, n, 4, m, err);
	if (rc == PKS_OK)
		*used = 4 + (size_t)n;
	return rc;
}

/* One bare string at p[*off..len): 0 = need more, 1 = read, -1 = too
 * long. */
static int
bare_string(
    const uint8_t *p, size_t len, size_t *off, const uint8_t **s, size_t *n)
{
	uint32_t l;

	if (!peek_len(p + *off, len - *off, &l))
		return 0;
	if (l > PKS_MAX_RECON_MSG)
		return -1;
	if (len - *off - 4 < l)
		return 0;
	*s = p + *off + 4;
	*n = l;
	*off += 4 + (size_t)l;
	return 1;
}

enum pks_rc
recon_verdict_decode(const uint8_t *p, size_t len, size_t *used,
    struct recon_verdict *v, struct pks_err *err)
{
	const uint8_t *s, *why;
	size_t off = 0, n, wn;
	int st;

	*used = 0;
	memset(v, 0, sizeof(*v));
	st = bare_string(p, len, &off, &s, &n);
	if (st < 0)
		return pks_fail(err, 0, "verdict too long", PKS_ERR_TOOBIG);
	if (st == 0)
		return PKS_OK;
	if (n == 6 && memcmp(s, "passed", 6) == 0) {
		v->passed = 1;
		*used = off;
		return PKS_OK;
	}
	if (n != 6 || memcmp(s, "failed", 6) != 0)
		return pks_fail(
		    err, 4, "verdict is not passed or failed", PKS_ERR_PARSE);
	st = bare_string(p, len, &off, &why, &wn);
	if (st < 0)
		return pks_fail(err, off, "reason too long", PKS_ERR_TOOBIG);
	if (st == 0)
		return PKS_OK;
	v->reason = dup_nul(why, wn);
	v->reasonlen = wn;
	*used = off;
	return PKS_OK;
}

void
recon_verdict_free(struct recon_verdict *v)
{
	free(v->reason);
	memset(v, 0, sizeof(*v));
}

/* ---- the config map ---- */

void
recon_config_add(
    struct recon_msg *m, const char *key, const void *val, size_t vallen)
{
	add_pair(m, key, strlen(key), val, vallen);
}

void
recon_config_add_int(struct recon_msg *m, const char *key, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
		(uint8_t)(v >> 8), (uint8_t)v };

	add_pair(m, key, strlen(key), b, sizeof(b));
}

void
recon_config_sks(struct recon_msg *m, uint32_t http_port)
{
	static const char filters[] = "yminsky.dedup,yminsky.merge";

	recon_config_add_int(m, "bitquantum", PTREE_BITQUANTUM);
	recon_config_add(m, "filters", filters, sizeof(filters) - 1);
	recon_config_add_int(m, "http port", http_port);
	recon_config_add_int(m, "mbar", PTREE_MBAR);
	recon_config_add(m, "version", "1.1.6", 5);
}

const struct recon_config_entry *
recon_config_get(const struct recon_msg *m, const char *key)
{
	size_t i, kn = strlen(key);

	for (i = 0; i < m->ncfg; i++) {
		if (m->cfg[i].keylen == kn &&
		    memcmp(m->cfg[i].key, key, kn) == 0)
			return &m->cfg[i];
	}
	return NULL;
}

enum pks_rc
recon_config_get_int(const struct recon_msg *m, const char *key, uint32_t *v)
{
	const struct recon_config_entry *e = recon_config_get(m, key);

	if (e == NULL)
		return PKS_ERR_NOTFOUND;
	if (e->vallen != 4)
		return PKS_ERR_PARSE;
	*v = (uint32_t)e->val[0] << 24 | (uint32_t)e->val[1] << 16 |
	     (uint32_t)e->val[2] << 8 | e->val[3];
	return PKS_OK;
}

/* "a.b.c..." as numbers, missing parts 0; 0 if it does not start with a
 * digit.  Parts are capped so that huge numbers cannot overflow. */
static int
parse_version(const uint8_t *s, size_t n, unsigned long v[3])
{
	size_t i = 0;
	int part = 0;

	v[0] = v[1] = v[2] = 0;
	if (n == 0 || s[0] < '0' || s[0] > '9')
		return 0;
	while (i < n && part < 3) {
		if (s[i] >= '0' && s[i] <= '9') {
			if (v[part] < 1000000)
				v[part] =
				    v[part] * 10 + (unsigned long)(s[i] - '0');
		} else if (s[i] == '.') {
			part++;
		} else {
			break;
		}
		i++;
	}
	return 1;
}

/* Is every comma-separated item of a also an item of b? */
static int
items_subset(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	size_t i = 0, j, len;

	while (i <= an) {
		const uint8_t *item = a + i;
		const uint8_t *c = memchr(item, ',', an - i);
		int found = 0;

		len = c ? (size_t)(c - item) : an - i;
		for (j = 0; j <= bn && !found;) {
			const uint8_t *d = memchr(b + j, ',', bn - j);
			size_t bl = d ? (size_t)(d - (b + j)) : bn - j;

			found = bl == len && memcmp(b + j, item, len) == 0;
			j += bl + 1;
		}
		if (!found)
			return 0;
		i += len + 1;
	}
	return 1;
}

static int
same_int(const struct recon_msg *l, const struct recon_msg *r, const char *key)
{
	uint32_t a, b;

	return recon_config_get_int(l, key, &a) == PKS_OK &&
	       recon_config_get_int(r, key, &b) == PKS_OK && a == b;
}

enum pks_rc
recon_config_check(const struct recon_msg *local,
    const struct recon_msg *remote, const char **why)
{
	const struct recon_config_entry *ver, *lf, *rf;
	unsigned long v[3];

	ver = recon_config_get(remote, "version");
	lf = recon_config_get(local, "filters");
	rf = recon_config_get(remote, "filters");
	*why = "Missing entry in configdata";
	if (ver == NULL || lf == NULL || rf == NULL ||
	    recon_config_get(remote, "bitquantum") == NULL ||
	    recon_config_get(remote, "mbar") == NULL)
		return PKS_ERR_REFUSED;
	*why = "Requires version at least 0.1.5";
	if (!parse_version(ver->val, ver->vallen, v) ||
	    (v[0] == 0 && (v[1] < 1 || (v[1] == 1 && v[2] < 5))))
		return PKS_ERR_REFUSED;
	*why = "filters do not match";
	if (!items_subset(lf->val, lf->vallen, rf->val, rf->vallen) ||
	    !items_subset(rf->val, rf->vallen, lf->val, lf->vallen))
		return PKS_ERR_REFUSED;
	*why = "bitquantum values do not match";
	if (!same_int(local, remote, "bitquantum"))
		return PKS_ERR_REFUSED;
	*why = "mbar values do not match";
	if (!same_int(local, remote, "mbar"))
		return PKS_ERR_REFUSED;
	*why = NULL;
	return PKS_OK;
}
