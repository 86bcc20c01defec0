/*
 * test_recon_peers.c: the recon peer status table (store_recon_peer_set
 * and _list: the last attempt and the last good session kept apart) and
 * the key fetch (recon_fetch) against a one-shot HTTP server on
 * 127.0.0.1 that answers a hashquery with real keys, merged in one
 * ingest call; several requests, each answer merged while the next is
 * fetched, and a request that fails.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "recon/recon_fetch.h"
#include "store/store.h"
#include "store/store_ptree.h"
#include "fixture.h"
#include "tap.h"

static void
record(struct store *st, const char *peer, int64_t when, const char *result,
    const char *role, int64_t in, int64_t out)
{
	struct store_recon_peer r;

	memset(&r, 0, sizeof(r));
	snprintf(r.peer, sizeof(r.peer), "%s", peer);
	snprintf(r.result, sizeof(r.result), "%s", result);
	snprintf(r.role, sizeof(r.role), "%s", role);
	r.last = when;
	r.keys_in = in;
	r.keys_out = out;
	r.fetched = in;
	CHECK(store_recon_peer_set(st, &r) == PKS_OK);
}

/* A failure after a good session keeps the good one's time and counts. */
static void
test_last_ok_kept(void)
{
	struct store *st = fixture_store(1000);
	struct store_recon_peer *p = NULL;
	size_t n = 0;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	record(st, "sks.example 11370", 100, "failed: refused", "initiator",
	    0, 0);
	CHECK(store_recon_peer_list(st, &p, &n) == PKS_OK && n == 1);
	CHECK(n == 1 && p[0].ok_last == 0 && p[0].sessions == 1);
	free(p);
	record(st, "sks.example 11370", 200, "ok", "responder", 7, 3);
	record(st, "sks.example 11370", 300, "failed: peer busy", "initiator",
	    0, 0);
	record(st, "a.example 11370", 250, "ok", "initiator", 1, 2);
	CHECK(store_recon_peer_list(st, &p, &n) == PKS_OK && n == 2);
	if (n == 2) {
		CHECK(strcmp(p[0].peer, "a.example 11370") == 0);
		CHECK(p[0].ok_last == 250 && p[0].ok_keys_out == 2 &&
		    strcmp(p[0].ok_role, "initiator") == 0);
		CHECK(p[1].last == 300 && strcmp(p[1].result,
		    "failed: peer busy") == 0 && strcmp(p[1].role,
		    "initiator") == 0 && p[1].sessions == 3);
		CHECK(p[1].ok_last == 200 && p[1].ok_keys_in == 7 &&
		    p[1].ok_keys_out == 3 && p[1].ok_fetched == 7 &&
		    strcmp(p[1].ok_role, "responder") == 0);
	}
	free(p);
	store_close(st);
}

/* ---- recon_fetch against a local server ---- */

struct server {
	int lfd;
	struct buf answer;      /* HTTP answer to send */
	size_t asked;           /* hashes in the request */
};

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* Accept one connection, read the request (up to its body's count),
 * send the answer, close. */
static void *
serve_one(void *arg)
{
	struct server *sv = arg;
	uint8_t req[65536];
	size_t len = 0;
	ssize_t r;
	const uint8_t *body;
	int fd = accept(sv->lfd, NULL, NULL);

	if (fd == -1)
		return NULL;
	while (len < sizeof(req) && (r = read(fd, req + len,
	    sizeof(req) - len)) > 0) {
		len += (size_t)r;
		body = memmem(req, len, "\r\n\r\n", 4);
		if (body != NULL && (size_t)(body + 8 - req) <= len &&
		    len >= (size_t)(body + 8 - req) + 20 *
		    be32(body + 4))
			break;
	}
	body = memmem(req, len, "\r\n\r\n", 4);
	if (body != NULL && (size_t)(body + 8 - req) <= len)
		sv->asked = be32(body + 4);
	if (write(fd, sv->answer.data, sv->answer.len) < 0)
		sv->asked = 0;
	close(fd);
	return NULL;
}

static void
add_key(struct buf *b, const char *rel)
{
	size_t n = 0;
	uint8_t *k = tap_read_file(tap_srcpath(rel), &n);

	CHECK(k != NULL);
	if (k == NULL)
		return;
	CHECK(buf_add_be32(b, (uint32_t)n) == PKS_OK);
	CHECK(buf_add(b, k, n) == PKS_OK);
	free(k);
}

/* Three keys in one answer are merged in one call: all three are new;
 * the same answer again leaves them unchanged. */
static void
test_fetch_merges_batch(void)
{
	struct store *st = fixture_store(1000);
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct recon_fetch_cfg cfg;
	struct recon_fetch_stats fs;
	struct server sv;
	struct zzp e[3];
	pthread_t th;
	int round;

	CHECK(st != NULL);
	if (st == NULL)
		return;
	memset(e, 0, sizeof(e));
	memset(&sv, 0, sizeof(sv));
	buf_init(&sv.answer, 1 << 20);
	CHECK(buf_adds(&sv.answer, "HTTP/1.0 200 OK\r\nContent-type: "
	    "pgp/keys\r\n\r\n") == PKS_OK);
	CHECK(buf_add_be32(&sv.answer, 3) == PKS_OK);
	add_key(&sv.answer, "tests/data/pgp/eddsa.pgp");
	add_key(&sv.answer, "tests/data/pgp/rsa-2uid.pgp");
	add_key(&sv.answer, "tests/data/pgp/rsa-small.pgp");
	CHECK(buf_adds(&sv.answer, "\r\n") == PKS_OK);
	for (round = 0; round < 2; round++) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sv.lfd = socket(AF_INET, SOCK_STREAM, 0);
		CHECK(bind(sv.lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
		CHECK(listen(sv.lfd, 1) == 0);
		CHECK(getsockname(sv.lfd, (struct sockaddr *)&sin, &sl) == 0);
		memset(&cfg, 0, sizeof(cfg));
		memcpy(&cfg.peer, &sin, sizeof(sin));
		cfg.peerlen = sizeof(sin);
		cfg.http_port = ntohs(sin.sin_port);
		cfg.timeout_ms = 5000;
		CHECK(pthread_create(&th, NULL, serve_one, &sv) == 0);
		CHECK(recon_fetch(st, &cfg, e, 3, &fs) == PKS_OK);
		pthread_join(th, NULL);
		close(sv.lfd);
		CHECK(sv.asked == 3 && fs.asked == 3 && fs.returned == 3);
		if (round == 0)
			CHECK(fs.merged.nnew == 3 && fs.merged.nunchanged == 0);
		else
			CHECK(fs.merged.nnew == 0 && fs.merged.nunchanged == 3);
	}
	buf_free(&sv.answer);
	store_close(st);
}

/* Accept sv->nconn connections one after the other; the i-th gets
 * answers[i], or is closed unanswered when that is empty. */
struct multi {
	int lfd;
	size_t nconn;
	struct buf answers[3];
	size_t asked[3];
	size_t served;
};

static void *
serve_many(void *arg)
{
	struct multi *m = arg;
	struct server one;
	size_t i;

	for (i = 0; i < m->nconn; i++) {
		memset(&one, 0, sizeof(one));
		one.lfd = m->lfd;
		one.answer = m->answers[i];
		serve_one(&one);
		m->asked[i] = one.asked;
		m->served++;
	}
	return NULL;
}

/* An answer holding the key of file rel (none: an empty list). */
static void
answer_with(struct buf *b, const char *rel)
{
	buf_init(b, 1 << 20);
	CHECK(buf_adds(b, "HTTP/1.0 200 OK\r\n\r\n") == PKS_OK);
	CHECK(buf_add_be32(b, rel != NULL ? 1 : 0) == PKS_OK);
	if (rel != NULL)
		add_key(b, rel);
}

/* 250 hashes: three requests of 100, 100 and 50, each answer merged
 * (while the next is fetched); with the second request unanswered, the
 * first answer is merged, the fetch fails, and no third request is
 * made. */
static void
test_fetch_pipeline(void)
{
	static const char *keys[3] = { "tests/data/pgp/eddsa.pgp",
		"tests/data/pgp/rsa-2uid.pgp", "tests/data/pgp/rsa-small.pgp" };
	struct store *st;
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct recon_fetch_cfg cfg;
	struct recon_fetch_stats fs;
	struct multi m;
	struct zzp e[250];
	pthread_t th;
	enum pks_rc rc;
	int round, i;

	for (round = 0; round < 2; round++) {
		st = fixture_store(1000);
		CHECK(st != NULL);
		if (st == NULL)
			return;
		memset(e, 0, sizeof(e));
		memset(&m, 0, sizeof(m));
		m.nconn = round == 0 ? 3 : 2;
		for (i = 0; i < 3; i++)
			answer_with(&m.answers[i], keys[i]);
		if (round == 1)
			m.answers[1].len = 0;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		m.lfd = socket(AF_INET, SOCK_STREAM, 0);
		CHECK(bind(m.lfd, (struct sockaddr *)&sin, sizeof(sin)) == 0);
		CHECK(listen(m.lfd, 4) == 0);
		CHECK(getsockname(m.lfd, (struct sockaddr *)&sin, &sl) == 0);
		memset(&cfg, 0, sizeof(cfg));
		memcpy(&cfg.peer, &sin, sizeof(sin));
		cfg.peerlen = sizeof(sin);
		cfg.http_port = ntohs(sin.sin_port);
		cfg.timeout_ms = 5000;
		CHECK(pthread_create(&th, NULL, serve_many, &m) == 0);
		rc = recon_fetch(st, &cfg, e, 250, &fs);
		pthread_join(th, NULL);
		close(m.lfd);
		if (round == 0) {
			CHECK(rc == PKS_OK);
			CHECK(m.served == 3 && m.asked[0] == 100 &&
			      m.asked[1] == 100 && m.asked[2] == 50);
			CHECK(fs.asked == 250 && fs.returned == 3);
			CHECK(fs.merged.nnew == 3);
		} else {
			CHECK(rc != PKS_OK);
			CHECK(m.served == 2 && fs.asked == 200);
			CHECK(fs.returned == 1 && fs.merged.nnew == 1);
		}
		for (i = 0; i < 3; i++)
			buf_free(&m.answers[i]);
		store_close(st);
	}
}

int
main(void)
{
	if (fixture_init("trp") != 0)
		return 1;
	RUN(test_last_ok_kept);
	RUN(test_fetch_merges_batch);
	RUN(test_fetch_pipeline);
	fixture_done();
	return tap_done();
}
