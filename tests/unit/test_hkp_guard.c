/*
 * test_hkp_guard.c: the guard's budgets and limits without a server:
 * the reply budget (server-wide and per client address), the body
 * budget, per-address connection counts and the rate limits.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "hkp/hkp_guard.h"
#include "tap.h"

static struct hkp_guard *
guard(size_t budget, size_t per_addr)
{
	struct hkp_guard_cfg c;
	struct hkp_guard *g = NULL;

	memset(&c, 0, sizeof(c));
	c.per_addr_conns = 2;
	c.body_budget = 1000;
	c.reply_budget = budget;
	c.reply_per_addr = per_addr;
	c.add_per_min = 3;
	c.search_per_min = 0;
	c.trusted = "127.0.0.9";
	if (hkp_guard_new(&c, &g) != PKS_OK)
		return NULL;
	return g;
}

static struct hkp_addr
addr(const char *ip)
{
	struct hkp_addr a;

	memset(&a, 0, sizeof(a));
	hkp_addr_parse(ip, strlen(ip), &a, NULL, 0);
	return a;
}

static size_t
reply_in_use(struct hkp_guard *g)
{
	struct hkp_guard_stats st;

	hkp_guard_stats(g, &st);
	return st.reply_bytes;
}

static void
test_reply_budget(void)
{
	struct hkp_guard *g = guard(1000, 400);
	struct hkp_addr a = addr("192.0.2.1"), b = addr("192.0.2.2");
	struct hkp_addr c = addr("192.0.2.3");
	struct hkp_guard_stats st;

	CHECK(g != NULL);
	/* one address gets its share, not more */
	CHECK(hkp_guard_reply_take(g, &a, 300) == PKS_OK);
	CHECK(hkp_guard_reply_take(g, &a, 100) == PKS_OK);
	CHECK(hkp_guard_reply_take(g, &a, 1) == PKS_ERR_FULL);
	/* others still get theirs */
	CHECK(hkp_guard_reply_take(g, &b, 400) == PKS_OK);
	CHECK(reply_in_use(g) == 800);
	/* the server-wide budget ends before c's share does */
	CHECK(hkp_guard_reply_take(g, &c, 201) == PKS_ERR_FULL);
	CHECK(hkp_guard_reply_take(g, &c, 200) == PKS_OK);
	CHECK(hkp_guard_reply_take(NULL, NULL, 5) == PKS_OK); /* no guard */
	CHECK(reply_in_use(g) == 1000);
	/* an answer no share could hold, ever */
	CHECK(hkp_guard_reply_take(g, &c, 401) == PKS_ERR_TOOBIG);
	CHECK(hkp_guard_reply_take(g, NULL, 1001) == PKS_ERR_TOOBIG);
	/* what is given back can be taken again */
	hkp_guard_reply_give(g, &a, 400);
	CHECK(hkp_guard_reply_take(g, &b, 1) == PKS_ERR_FULL); /* b's share */
	hkp_guard_reply_give(g, &b, 400);
	CHECK(hkp_guard_reply_take(g, &a, 400) == PKS_OK);
	hkp_guard_reply_give(g, &a, 400);
	hkp_guard_reply_give(g, &c, 200);
	CHECK(reply_in_use(g) == 0);
	/* giving back more than held never wraps */
	hkp_guard_reply_give(g, &c, 50);
	CHECK(reply_in_use(g) == 0);
	CHECK(hkp_guard_reply_take(g, &c, 400) == PKS_OK);
	hkp_guard_stats(g, &st);
	CHECK(st.over_reply == 3);
	hkp_guard_free(g);
}

static void
test_body_budget(void)
{
	struct hkp_guard *g = guard(1000, 400);

	CHECK(hkp_guard_reserve(g, 600) == PKS_OK);
	CHECK(hkp_guard_reserve(g, 401) == PKS_ERR_FULL);
	CHECK(hkp_guard_reserve(g, 400) == PKS_OK);
	hkp_guard_release(g, 1000);
	CHECK(hkp_guard_reserve(g, 1000) == PKS_OK);
	hkp_guard_free(g);
}

static void
sin_of(const char *ip, struct sockaddr_in *s)
{
	memset(s, 0, sizeof(*s));
	s->sin_family = AF_INET;
	inet_pton(AF_INET, ip, &s->sin_addr);
}

static void
test_conn_limit(void)
{
	struct hkp_guard *g = guard(1000, 400);
	struct sockaddr_in s, t;
	struct hkp_conn *c1, *c2, *c3;
	int i, all = 1;

	sin_of("192.0.2.1", &s);
	sin_of("127.0.0.9", &t);
	c1 = hkp_guard_open(g, (struct sockaddr *)&s, -1);
	CHECK(hkp_guard_admit(g, (struct sockaddr *)&s));
	c2 = hkp_guard_open(g, (struct sockaddr *)&s, -1);
	CHECK(!hkp_guard_admit(g, (struct sockaddr *)&s));
	/* a trusted proxy is never counted */
	for (i = 0; i < 5; i++) {
		c3 = hkp_guard_open(g, (struct sockaddr *)&t, -1);
		all = all && hkp_guard_admit(g, (struct sockaddr *)&t);
	}
	CHECK(all);
	hkp_guard_close(g, c1);
	CHECK(hkp_guard_admit(g, (struct sockaddr *)&s));
	hkp_guard_close(g, c2);
	hkp_guard_close(g, c3);
	hkp_guard_free(g);
}

static void
test_rate(void)
{
	struct hkp_guard *g = guard(1000, 400);
	struct hkp_addr a = addr("192.0.2.1"), b = addr("192.0.2.2");
	int retry = 0, i, ok = 1;

	for (i = 0; i < 3; i++)
		ok =
		    ok && hkp_guard_rate(g, &a, HKP_RATE_ADD, &retry) == PKS_OK;
	CHECK(ok);
	CHECK(hkp_guard_rate(g, &a, HKP_RATE_ADD, &retry) == PKS_ERR_REFUSED);
	CHECK(retry >= 1 && retry <= 21);
	CHECK(hkp_guard_rate(g, &b, HKP_RATE_ADD, &retry) == PKS_OK);
	/* searches are unlimited here (0) */
	for (i = 0; i < 100; i++)
		ok = ok &&
		     hkp_guard_rate(g, &a, HKP_RATE_SEARCH, &retry) == PKS_OK;
	CHECK(ok);
	hkp_guard_free(g);
}

int
main(void)
{
	RUN(test_reply_budget);
	RUN(test_body_budget);
	RUN(test_conn_limit);
	RUN(test_rate);
	return tap_done();
}
