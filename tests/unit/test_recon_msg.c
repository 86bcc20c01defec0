/*
 * test_recon_msg.c: unit tests of src/recon/recon_msg: every message type
 * against the byte examples of sks-recon.md sections 2-3, round trips,
 * incomplete input, malformed input, verdicts and the config check.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "recon/recon_msg.h"
#include "tap.h"
#include "util/limits.h"

static int
bytes_are(const struct buf *b, const char *hex)
{
	uint8_t want[512];
	size_t n = tap_unhex(hex, want, sizeof(want));

	return b->len == n && memcmp(b->data, want, n) == 0;
}

static void
encode_simple(enum recon_msg_type t, struct buf *b)
{
	struct recon_msg m;

	recon_msg_init(&m, t);
	buf_reset(b);
	CHECK(recon_msg_encode(&m, b) == PKS_OK);
	recon_msg_free(&m);
}

static void
test_small_messages(void)
{
	struct buf b;

	buf_init(&b, PKS_MAX_RECON_MSG + 64);
	encode_simple(RECON_MSG_ELEMENTS, &b);
	CHECK(bytes_are(&b, "00000005 02 00000000"));
	encode_simple(RECON_MSG_FLUSH, &b);
	CHECK(bytes_are(&b, "00000001 06"));
	encode_simple(RECON_MSG_DONE, &b);
	CHECK(bytes_are(&b, "00000001 05"));
	encode_simple(RECON_MSG_SYNC_FAIL, &b);
	CHECK(bytes_are(&b, "00000001 04"));
	buf_free(&b);
}

static void
test_poly_sizes(void)
{
	struct recon_msg m;
	struct buf b;
	int i;

	buf_init(&b, 4096);
	recon_msg_init(&m, RECON_MSG_POLY);
	m.size = 905;
	for (i = 0; i < PTREE_NSAMPLES; i++)
		zzp_set_i64(&m.samples[i], i + 1);
	CHECK(recon_msg_encode(&m, &b) == PKS_OK);
	/* root Poly: 119 bytes after the length */
	CHECK(b.len == 4 + 119);
	CHECK(b.data[3] == 119 && b.data[4] == 0);
	CHECK(memcmp(b.data + 5, "\0\0\0\0\0\0\0\0\0\0\x03\x89\0\0\0\x06",
	    16) == 0);
	CHECK(b.data[5 + 16] == 1 && b.data[5 + 16 + 17] == 2);
	/* depth-1 Poly '10': 120 bytes, bitstring 00000002 00000001 80 */
	buf_reset(&b);
	CHECK(ptree_prefix_child(&m.prefix, &m.prefix, 2) == PKS_OK);
	CHECK(recon_msg_encode(&m, &b) == PKS_OK);
	CHECK(b.len == 4 + 120);
	CHECK(memcmp(b.data + 5, "\0\0\0\x02\0\0\0\x01\x80", 9) == 0);
	recon_msg_free(&m);
	buf_free(&b);
}

static void
test_config_example(void)
{
	/* sks-recon.md section 3: SKS with HKP port 21381 */
	static const char want[] =
	    "\x00\x00\x00\x7e\x0a\x00\x00\x00\x05"
	    "\x00\x00\x00\x0a" "bitquantum" "\x00\x00\x00\x04\x00\x00\x00\x02"
	    "\x00\x00\x00\x07" "filters"
	    "\x00\x00\x00\x1b" "yminsky.dedup,yminsky.merge"
	    "\x00\x00\x00\x09" "http port" "\x00\x00\x00\x04\x00\x00\x53\x85"
	    "\x00\x00\x00\x04" "mbar" "\x00\x00\x00\x04\x00\x00\x00\x05"
	    "\x00\x00\x00\x07" "version" "\x00\x00\x00\x05" "1.1.6";
	struct recon_msg m, d;
	struct pks_err err;
	struct buf b;
	size_t used;
	uint32_t v;

	buf_init(&b, 4096);
	recon_msg_init(&m, RECON_MSG_CONFIG);
	recon_config_sks(&m, 21381);
	CHECK(recon_msg_encode(&m, &b) == PKS_OK);
	CHECK(b.len == 130 && sizeof(want) - 1 == 130);
	CHECK(memcmp(b.data, want, 130) == 0);
	CHECK(recon_msg_decode((const uint8_t *)want, 130, &used, &d,
	    &err) == PKS_OK);
	CHECK(used == 130 && d.type == RECON_MSG_CONFIG && d.ncfg == 5);
	CHECK(recon_config_get_int(&d, "http port", &v) == PKS_OK &&
	    v == 21381);
	CHECK(recon_config_get_int(&d, "filters", &v) == PKS_ERR_PARSE);
	CHECK(recon_config_get_int(&d, "nope", &v) == PKS_ERR_NOTFOUND);
	CHECK(recon_config_get(&d, "version") != NULL &&
	    strcmp((char *)recon_config_get(&d, "version")->val, "1.1.6") == 0);
	recon_msg_free(&d);
	recon_msg_free(&m);
	buf_free(&b);
}

/* Fill m with something for each type. */
static void
sample_msg(struct recon_msg *m, enum recon_msg_type t)
{
	struct zzp e[3];
	int i;

	recon_msg_init(m, t);
	for (i = 0; i < 3; i++)
		zzp_set_i64(&e[i], 1000 * i - 1);
	ptree_prefix_child(&m->prefix, &m->prefix, 3);
	ptree_prefix_child(&m->prefix, &m->prefix, 1);
	m->size = t == RECON_MSG_POLY ? 77 : 0;
	if (t == RECON_MSG_POLY) {
		for (i = 0; i < PTREE_NSAMPLES; i++)
			zzp_set_i64(&m->samples[i], -7 * i);
	}
	if (t == RECON_MSG_FULL || t == RECON_MSG_ELEMENTS ||
	    t == RECON_MSG_FULL_ELEMENTS)
		recon_msg_set_elems(m, e, 3);
	if (t == RECON_MSG_ERROR || t == RECON_MSG_DB_RQST ||
	    t == RECON_MSG_DB_REPL)
		recon_msg_set_text(m, "node not found", 14);
	if (t == RECON_MSG_CONFIG)
		recon_config_sks(m, 11371);
	if (t != RECON_MSG_POLY && t != RECON_MSG_FULL)
		ptree_prefix_root(&m->prefix);
}

static int
msg_eq(const struct recon_msg *a, const struct recon_msg *b)
{
	size_t i;

	if (a->type != b->type || a->size != b->size ||
	    !ptree_prefix_eq(&a->prefix, &b->prefix) ||
	    a->nelems != b->nelems || a->textlen != b->textlen ||
	    a->ncfg != b->ncfg)
		return 0;
	for (i = 0; i < PTREE_NSAMPLES; i++) {
		if (!zzp_eq(&a->samples[i], &b->samples[i]))
			return 0;
	}
	for (i = 0; i < a->nelems; i++) {
		if (!zzp_eq(&a->elems[i], &b->elems[i]))
			return 0;
	}
	if (a->textlen && memcmp(a->text, b->text, a->textlen) != 0)
		return 0;
	for (i = 0; i < a->ncfg; i++) {
		if (a->cfg[i].keylen != b->cfg[i].keylen ||
		    a->cfg[i].vallen != b->cfg[i].vallen ||
		    memcmp(a->cfg[i].key, b->cfg[i].key, a->cfg[i].keylen) ||
		    memcmp(a->cfg[i].val, b->cfg[i].val, a->cfg[i].vallen))
			return 0;
	}
	return 1;
}

static void
test_round_trip(void)
{
	struct recon_msg m, d;
	struct pks_err err;
	struct buf b;
	size_t used, cut;
	int t, bad = 0;

	buf_init(&b, 4096);
	for (t = 0; t < RECON_MSG_NTYPES; t++) {
		sample_msg(&m, (enum recon_msg_type)t);
		buf_reset(&b);
		CHECK(recon_msg_encode(&m, &b) == PKS_OK);
		/* two frames back to back: the first decodes alone */
		CHECK(recon_msg_encode(&m, &b) == PKS_OK);
		bad += recon_msg_decode(b.data, b.len, &used, &d, &err) !=
		    PKS_OK;
		bad += used != b.len / 2 || !msg_eq(&m, &d);
		recon_msg_free(&d);
		/* every shorter prefix asks for more */
		for (cut = 0; cut < b.len / 2; cut++) {
			bad += recon_msg_decode(b.data, cut, &used, &d, &err) !=
			    PKS_OK || used != 0;
			recon_msg_free(&d);
		}
		bad += recon_msg_decode_body(b.data + 4, b.len / 2 - 4, &d,
		    &err) != PKS_OK || !msg_eq(&m, &d);
		recon_msg_free(&d);
		recon_msg_free(&m);
	}
	CHECK(bad == 0);
	CHECK(strcmp(recon_msg_type_name(0), "ReconRqst_Poly") == 0);
	CHECK(strcmp(recon_msg_type_name(11), "unknown") == 0);
	buf_free(&b);
}

/* Decode hex; return the result code and error offset. */
static enum pks_rc
decode_hex(const char *hex, size_t *off)
{
	uint8_t in[256];
	struct recon_msg d;
	struct pks_err err = { 0, NULL };
	size_t n = tap_unhex(hex, in, sizeof(in)), used = 99;
	enum pks_rc rc;

	rc = recon_msg_decode(in, n, &used, &d, &err);
	*off = err.off;
	if (rc != PKS_OK)
		CHECK(used == 0 && d.elems == NULL && d.cfg == NULL);
	recon_msg_free(&d);
	return rc;
}

static void
test_garbage(void)
{
	size_t off;

	CHECK(decode_hex("00000001 0b", &off) == PKS_ERR_PARSE && off == 4);
	CHECK(decode_hex("00000000", &off) == PKS_ERR_PARSE);
	CHECK(decode_hex("01000001 02", &off) == PKS_ERR_TOOBIG);
	CHECK(decode_hex("ffffffff", &off) == PKS_ERR_TOOBIG);
	/* Elements claiming 2^32-1 elements in a 5-byte frame */
	CHECK(decode_hex("00000005 02 ffffffff", &off) == PKS_ERR_PARSE &&
	    off == 5);
	/* trailing byte after an empty Elements */
	CHECK(decode_hex("00000006 02 00000000 00", &off) == PKS_ERR_PARSE &&
	    off == 9);
	/* Flush with a body */
	CHECK(decode_hex("00000002 06 00", &off) == PKS_ERR_PARSE);
	/* element equal to p */
	CHECK(decode_hex("00000016 02 00000001"
	    "1b43a530d9851fc9df1f8b87e4101d8f01", &off) == PKS_ERR_PARSE &&
	    off == 9);
	/* bitstring of 2 bits in 2 bytes; of 200 bits */
	CHECK(decode_hex("0000000f 01 00000002 00000002 8000 00000000",
	    &off) == PKS_ERR_PARSE && off == 5);
	CHECK(decode_hex("0000000d 01 000000c8 00000000 00000000",
	    &off) == PKS_ERR_PARSE);
	/* Poly with 1 sample instead of 6 */
	CHECK(decode_hex("00000022 00 00000000 00000000 00000001 00000001"
	    "0100000000000000000000000000000000", &off) == PKS_ERR_PARSE);
	/* Error string longer than the frame; config pairs past the end */
	CHECK(decode_hex("00000005 07 00000010", &off) == PKS_ERR_PARSE);
	CHECK(decode_hex("00000009 0a 00000001 00000000", &off) ==
	    PKS_ERR_PARSE);
	CHECK(decode_hex("00000005 0a 7fffffff", &off) == PKS_ERR_PARSE);
	/* the bitstring '10' itself, in a Full with no elements */
	CHECK(decode_hex("0000000e 01 00000002 00000001 80 00000000", &off) ==
	    PKS_OK);
	/* unused trailing bits are cleared, not refused */
	CHECK(decode_hex("0000000e 01 00000002 00000001 ff 00000000", &off) ==
	    PKS_OK);
}

static void
test_verdict(void)
{
	struct recon_verdict v;
	struct pks_err err;
	struct buf b;
	size_t used, cut;
	int bad = 0;

	buf_init(&b, 1024);
	CHECK(recon_verdict_encode(&b, 1, NULL) == PKS_OK);
	CHECK(b.len == 10 && memcmp(b.data, "\0\0\0\x06passed", 10) == 0);
	CHECK(recon_verdict_decode(b.data, b.len, &used, &v, &err) == PKS_OK &&
	    used == 10 && v.passed && v.reason == NULL);
	recon_verdict_free(&v);
	buf_reset(&b);
	CHECK(recon_verdict_encode(&b, 0, "filters do not match") == PKS_OK);
	CHECK(b.len == 10 + 4 + 20 &&
	    memcmp(b.data, "\0\0\0\x06" "failed\0\0\0\x14" "filters", 17) == 0);
	for (cut = 0; cut < b.len; cut++) {
		bad += recon_verdict_decode(b.data, cut, &used, &v, &err) !=
		    PKS_OK || used != 0;
		recon_verdict_free(&v);
	}
	CHECK(bad == 0);
	CHECK(recon_verdict_decode(b.data, b.len, &used, &v, &err) == PKS_OK &&
	    used == b.len && !v.passed &&
	    strcmp(v.reason, "filters do not match") == 0);
	recon_verdict_free(&v);
	CHECK(recon_verdict_decode((const uint8_t *)"\0\0\0\x06passes", 10,
	    &used, &v, &err) == PKS_ERR_PARSE);
	CHECK(recon_verdict_decode((const uint8_t *)"\xff\0\0\0", 4, &used,
	    &v, &err) == PKS_ERR_TOOBIG);
	buf_free(&b);
}

static void
test_config_check(void)
{
	struct recon_msg local, r;
	const char *why;

	recon_msg_init(&local, RECON_MSG_CONFIG);
	recon_config_sks(&local, 11371);
	recon_msg_init(&r, RECON_MSG_CONFIG);
	recon_config_sks(&r, 21381);
	CHECK(recon_config_check(&local, &r, &why) == PKS_OK && why == NULL);
	recon_msg_free(&r);

	recon_msg_init(&r, RECON_MSG_CONFIG);
	recon_config_add_int(&r, "bitquantum", 2);
	recon_config_add(&r, "filters", "yminsky.merge,yminsky.dedup", 27);
	recon_config_add_int(&r, "mbar", 5);
	recon_config_add(&r, "version", "1.0.10", 6);
	CHECK(recon_config_check(&local, &r, &why) == PKS_OK);
	recon_msg_free(&r);

	recon_msg_init(&r, RECON_MSG_CONFIG);
	recon_config_add_int(&r, "bitquantum", 2);
	recon_config_add(&r, "filters", "yminsky.dedup", 13);
	recon_config_add_int(&r, "mbar", 5);
	recon_config_add(&r, "version", "1.1.6", 5);
	CHECK(recon_config_check(&local, &r, &why) == PKS_ERR_REFUSED &&
	    strstr(why, "filters") != NULL);
	recon_msg_free(&r);

	recon_msg_init(&r, RECON_MSG_CONFIG);
	recon_config_add_int(&r, "bitquantum", 2);
	recon_config_add(&r, "filters", "yminsky.dedup,yminsky.merge", 27);
	recon_config_add_int(&r, "mbar", 5);
	recon_config_add(&r, "version", "0.1.4", 5);
	CHECK(recon_config_check(&local, &r, &why) == PKS_ERR_REFUSED &&
	    strstr(why, "0.1.5") != NULL);
	recon_msg_free(&r);

	recon_msg_init(&r, RECON_MSG_CONFIG);
	recon_config_add_int(&r, "bitquantum", 2);
	recon_config_add(&r, "filters", "yminsky.dedup,yminsky.merge", 27);
	recon_config_add_int(&r, "mbar", 6);
	recon_config_add(&r, "version", "1.1.6", 5);
	CHECK(recon_config_check(&local, &r, &why) == PKS_ERR_REFUSED &&
	    strstr(why, "mbar") != NULL);
	recon_msg_free(&r);

	recon_msg_init(&r, RECON_MSG_CONFIG);
	recon_config_add(&r, "version", "1.1.6", 5);
	CHECK(recon_config_check(&local, &r, &why) == PKS_ERR_REFUSED &&
	    strstr(why, "Missing") != NULL);
	recon_msg_free(&r);
	recon_msg_free(&local);
}

static void
test_encode_caps(void)
{
	struct recon_msg m;
	struct buf b;
	struct zzp *e = calloc(64, sizeof(*e));

	buf_init(&b, 100);
	recon_msg_init(&m, RECON_MSG_ELEMENTS);
	recon_msg_set_elems(&m, e, 64);
	CHECK(recon_msg_encode(&m, &b) == PKS_ERR_TOOBIG && b.len == 0);
	recon_msg_set_elems(&m, e, 5);
	CHECK(recon_msg_encode(&m, &b) == PKS_OK && b.len == 4 + 5 + 85);
	m.type = (enum recon_msg_type)42;
	CHECK(recon_msg_encode(&m, &b) == PKS_ERR_PARSE && b.len == 94);
	m.type = RECON_MSG_ELEMENTS;
	recon_msg_free(&m);
	recon_msg_free(&m);
	free(e);
	buf_free(&b);
}

int
main(void)
{
	RUN(test_small_messages);
	RUN(test_poly_sizes);
	RUN(test_config_example);
	RUN(test_round_trip);
	RUN(test_garbage);
	RUN(test_verdict);
	RUN(test_config_check);
	RUN(test_encode_caps);
	return tap_done();
}
