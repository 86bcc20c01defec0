/*
 * test_recon_session.c: two recon sessions over a socketpair, each with
 * an in-memory tree: random sets whose differences must come out exactly
 * on both sides, in both role assignments; and a peer that sends
 * garbage, an over-long frame, a wrong config or nothing at all must
 * end the session cleanly.
 */
#include <config.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "recon/recon_msg.h"
#include "recon/recon_session.h"
#include "tap.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A random key-hash-like element. */
static void
rand_elem(struct zzp *x)
{
	uint8_t md5[16];
	uint64_t a = next(), b = next();

	memcpy(md5, &a, 8);
	memcpy(md5 + 8, &b, 8);
	zzp_from_md5(x, md5);
}

struct side {
	int fd;
	enum recon_role role;
	struct ptree_ops ops;
	struct recon_session_cfg cfg;
	struct recon_result res;
	enum pks_rc rc;
};

static void *
run_side(void *arg)
{
	struct side *s = arg;

	s->rc = recon_session_run(s->fd, s->role, &s->ops, &s->cfg, &s->res);
	return NULL;
}

/* Nonzero when the sorted set got equals want[0..n) (any order). */
static int
same_set(const struct zzp *got, size_t ngot, struct zzp *want, size_t n)
{
	size_t i;

	if (ngot != n)
		return 0;
	qsort(want, n, sizeof(*want), zzp_qsort_cmp);
	for (i = 0; i < n; i++)
		if (!zzp_eq(&got[i], &want[i]))
			return 0;
	return 1;
}

/* common elements on both sides, na only on A, nb only on B; A has the
 * given role, B the other.  Both must learn exactly what they lack. */
static void
pair(size_t common, size_t na, size_t nb, enum recon_role arole)
{
	struct ptree_mem *ta = ptree_mem_new(), *tb = ptree_mem_new();
	struct zzp *aonly = calloc(na + 1, sizeof(struct zzp));
	struct zzp *bonly = calloc(nb + 1, sizeof(struct zzp));
	struct side a, b;
	struct zzp x;
	pthread_t th;
	int sv[2];
	size_t i;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ptree_mem_ops(ta, &a.ops);
	ptree_mem_ops(tb, &b.ops);
	for (i = 0; i < common; i++) {
		rand_elem(&x);
		CHECK(ptree_insert(&a.ops, &x) == PKS_OK);
		CHECK(ptree_insert(&b.ops, &x) == PKS_OK);
	}
	for (i = 0; i < na; i++) {
		rand_elem(&aonly[i]);
		CHECK(ptree_insert(&a.ops, &aonly[i]) == PKS_OK);
	}
	for (i = 0; i < nb; i++) {
		rand_elem(&bonly[i]);
		CHECK(ptree_insert(&b.ops, &bonly[i]) == PKS_OK);
	}
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	a.fd = sv[0];
	b.fd = sv[1];
	a.role = arole;
	b.role = arole == RECON_INITIATOR ? RECON_RESPONDER : RECON_INITIATOR;
	recon_session_cfg_default(&a.cfg, 11371);
	recon_session_cfg_default(&b.cfg, 11372);
	a.cfg.read_timeout_ms = b.cfg.read_timeout_ms = 10000;
	CHECK(pthread_create(&th, NULL, run_side, &a) == 0);
	run_side(&b);
	pthread_join(th, NULL);
	CHECK(a.rc == PKS_OK && b.rc == PKS_OK);
	CHECK(a.res.config_passed && b.res.config_passed);
	CHECK(a.res.peer_http_port == 11372 && b.res.peer_http_port == 11371);
	CHECK(same_set(a.res.lack, a.res.nlack, bonly, nb));
	CHECK(same_set(b.res.lack, b.res.nlack, aonly, na));
	CHECK(a.res.msgs_out == b.res.msgs_in && a.res.bytes_out ==
	    b.res.bytes_in);
	close(sv[0]);
	close(sv[1]);
	recon_result_free(&a.res);
	recon_result_free(&b.res);
	ptree_mem_free(ta);
	ptree_mem_free(tb);
	free(aonly);
	free(bonly);
}

static void
test_equal_sets(void)
{
	pair(3000, 0, 0, RECON_INITIATOR);
	pair(0, 0, 0, RECON_RESPONDER);
}

static void
test_few_differences(void)
{
	pair(3000, 3, 2, RECON_INITIATOR);
	pair(3000, 2, 3, RECON_RESPONDER);
	pair(20, 1, 0, RECON_INITIATOR);
}

static void
test_many_differences(void)
{
	pair(5000, 150, 120, RECON_INITIATOR);
	pair(5000, 120, 150, RECON_RESPONDER);
	pair(2000, 1000, 0, RECON_RESPONDER);
}

static void
test_empty_side(void)
{
	pair(0, 700, 0, RECON_INITIATOR);
	pair(0, 0, 700, RECON_INITIATOR);
}

/* The raw peer of a session under test. */
struct raw {
	struct side s;
	struct ptree_mem *t;
	pthread_t th;
	int peer;
};

static void
raw_start(struct raw *r, enum recon_role role, int timeout_ms)
{
	int sv[2];

	memset(r, 0, sizeof(*r));
	r->t = ptree_mem_new();
	ptree_mem_ops(r->t, &r->s.ops);
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	r->s.fd = sv[0];
	r->peer = sv[1];
	r->s.role = role;
	recon_session_cfg_default(&r->s.cfg, 11371);
	r->s.cfg.config_timeout_ms = timeout_ms;
	r->s.cfg.read_timeout_ms = timeout_ms;
	CHECK(pthread_create(&r->th, NULL, run_side, &r->s) == 0);
}

static void
raw_cleanup(struct raw *r)
{
	close(r->s.fd);
	close(r->peer);
	recon_result_free(&r->s.res);
	ptree_mem_free(r->t);
}

static void
raw_end(struct raw *r)
{
	pthread_join(r->th, NULL);
	raw_cleanup(r);
}

static void
raw_write(struct raw *r, const void *p, size_t n)
{
	CHECK(write(r->peer, p, n) == (ssize_t)n);
}

/* Send a config (filters as given) and, if passed, the verdict. */
static void
raw_handshake(struct raw *r, const char *filters, int passed)
{
	struct recon_msg m;
	struct buf b;

	buf_init(&b, 1 << 16);
	recon_msg_init(&m, RECON_MSG_CONFIG);
	recon_config_add_int(&m, "bitquantum", 2);
	recon_config_add(&m, "filters", filters, strlen(filters));
	recon_config_add_int(&m, "http port", 1);
	recon_config_add_int(&m, "mbar", 5);
	recon_config_add(&m, "version", "1.1.6", 5);
	CHECK(recon_msg_encode(&m, &b) == PKS_OK);
	if (passed)
		CHECK(recon_verdict_encode(&b, 1, NULL) == PKS_OK);
	raw_write(r, b.data, b.len);
	recon_msg_free(&m);
	buf_free(&b);
}

static void
test_garbage(void)
{
	struct raw r;
	static const char junk[] = "GET / HTTP/1.0\r\n\r\nnot recon at all";

	raw_start(&r, RECON_RESPONDER, 2000);
	raw_write(&r, junk, sizeof(junk) - 1);
	shutdown(r.peer, SHUT_WR);
	raw_end(&r);
	CHECK(r.s.rc != PKS_OK && r.s.res.why[0] != '\0');
	CHECK(r.s.res.nlack == 0);
}

static void
test_overlong_frame(void)
{
	struct raw r;
	static const uint8_t big[] = { 0x7f, 0xff, 0xff, 0xf0, 0x02 };

	/* After a good handshake, mid-session. */
	raw_start(&r, RECON_INITIATOR, 5000);
	raw_handshake(&r, "yminsky.merge,yminsky.dedup", 1);
	raw_write(&r, big, sizeof(big));
	raw_end(&r);
	CHECK(r.s.rc == PKS_ERR_TOOBIG);
	CHECK(r.s.res.config_passed);
	CHECK(strstr(r.s.res.why, "too long") != NULL);
}

static void
test_silence(void)
{
	struct raw r;

	raw_start(&r, RECON_RESPONDER, 300);
	raw_end(&r);
	CHECK(r.s.rc == PKS_ERR_IO);
	CHECK(strstr(r.s.res.why, "timeout") != NULL);
	/* Silent after the handshake. */
	raw_start(&r, RECON_INITIATOR, 300);
	raw_handshake(&r, "yminsky.dedup,yminsky.merge", 1);
	raw_end(&r);
	CHECK(r.s.rc == PKS_ERR_IO && r.s.res.config_passed);
}

static void
test_filters_refused(void)
{
	static const char want[] = "filters do not match.\n\tlocal filters: "
	    "[ yminsky.dedup yminsky.merge ]\n\tremote filters: "
	    "[ yminsky.dedup ]";
	struct recon_verdict v;
	struct pks_err err;
	struct raw r;
	uint8_t in[4096];
	size_t n = 0, used = 0;
	ssize_t k;

	raw_start(&r, RECON_RESPONDER, 2000);
	raw_handshake(&r, "yminsky.dedup", 0);
	pthread_join(r.th, NULL);
	CHECK(r.s.rc == PKS_ERR_REFUSED);
	shutdown(r.peer, SHUT_WR);
	shutdown(r.s.fd, SHUT_WR);
	/* Our Config, then the bare "failed" and SKS's reason text. */
	while (n < sizeof(in) &&
	    (k = read(r.peer, in + n, sizeof(in) - n)) > 0)
		n += (size_t)k;
	CHECK(n > 4);
	if (n <= 4)
		goto out;
	used = 4 + ((size_t)in[0] << 24 | (size_t)in[1] << 16 |
	    (size_t)in[2] << 8 | in[3]);
	CHECK(used < n);
	if (used >= n)
		goto out;
	memset(&v, 0, sizeof(v));
	CHECK(recon_verdict_decode(in + used, n - used, &n, &v, &err) ==
	    PKS_OK);
	CHECK(!v.passed && v.reason != NULL && strcmp(v.reason, want) == 0);
	recon_verdict_free(&v);
out:
	raw_cleanup(&r);
}

/* Config, then a "failed" verdict with reason why. */
static void
raw_refuse(struct raw *r, const char *why)
{
	struct buf b;

	raw_handshake(r, "yminsky.dedup,yminsky.merge", 0);
	buf_init(&b, 4096);
	CHECK(recon_verdict_encode(&b, 0, why) == PKS_OK);
	raw_write(r, b.data, b.len);
	buf_free(&b);
}

static void
test_peer_busy(void)
{
	struct raw r;

	/* A busy pksync: Config, then "failed" with our busy reason. */
	raw_start(&r, RECON_INITIATOR, 2000);
	raw_refuse(&r, RECON_BUSY_REASON);
	raw_end(&r);
	CHECK(r.s.rc == PKS_ERR_REFUSED && r.s.res.peer_busy);
	/* Hockeypuck while it merges. */
	raw_start(&r, RECON_INITIATOR, 2000);
	raw_refuse(&r, "sync not available, currently mutating");
	raw_end(&r);
	CHECK(r.s.rc == PKS_ERR_REFUSED && r.s.res.peer_busy);
	/* SKS while it fetches: accepts and closes without a word. */
	raw_start(&r, RECON_INITIATOR, 2000);
	shutdown(r.peer, SHUT_WR);
	raw_end(&r);
	CHECK(r.s.rc == PKS_ERR_IO && r.s.res.peer_busy);
	/* A refusal for another reason is not "busy". */
	raw_start(&r, RECON_INITIATOR, 2000);
	raw_refuse(&r, "filters do not match.");
	raw_end(&r);
	CHECK(r.s.rc == PKS_ERR_REFUSED && !r.s.res.peer_busy);
	/* Nor is a peer that stops in the middle of its Config. */
	raw_start(&r, RECON_INITIATOR, 2000);
	raw_write(&r, "\0\0\0\x40\x0a", 5);
	shutdown(r.peer, SHUT_WR);
	raw_end(&r);
	CHECK(r.s.rc == PKS_ERR_IO && !r.s.res.peer_busy);
}

int
main(void)
{
	RUN(test_equal_sets);
	RUN(test_few_differences);
	RUN(test_many_differences);
	RUN(test_empty_side);
	RUN(test_garbage);
	RUN(test_overlong_frame);
	RUN(test_silence);
	RUN(test_filters_refused);
	RUN(test_peer_busy);
	return tap_done();
}
