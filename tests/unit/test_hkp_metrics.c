/*
 * test_hkp_metrics.c: unit tests of the Prometheus text writer
 * (hkp_prom.h: escaping, samples, cumulative histograms) and of
 * /metrics's counting and families (hkp_metrics.h), from values put in
 * by hand.  The whole endpoint against a real Prometheus is
 * tests/integration/metrics.sh.
 */
#include <config.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "hkp/hkp_metrics.h"
#include "hkp/hkp_prom.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/xalloc.h"

#define CAP (1024u * 1024)

/* out holds exactly want. */
static int
text_is(const struct buf *out, const char *want)
{
	if (out->len == strlen(want) && memcmp(out->data, want, out->len) == 0)
		return 1;
	printf("# got:  %.*s\n# want: %s\n", (int)out->len,
	    (const char *)out->data, want);
	return 0;
}

/* out holds the line (with its newline). */
static int
has_line(const struct buf *out, const char *line)
{
	char *want = xasprintf("%s\n", line);
	const char *t = (const char *)out->data;
	size_t n = strlen(want);
	int found = 0;

	while (t != NULL && !found) {
		found = strncmp(t, want, n) == 0;
		t = strchr(t, '\n');
		if (t != NULL)
			t++;
	}
	if (!found)
		printf("# no line: %s\n", line);
	free(want);
	return found;
}

/* The sample line of one label value v. */
static int
label_is(const char *v, const char *want)
{
	struct prom_label l = { "l", v };
	struct buf out;
	int ok;

	buf_init(&out, CAP);
	ok = prom_int(&out, "m", &l, 1, 1) == PKS_OK && text_is(&out, want);
	buf_free(&out);
	return ok;
}

static void
test_label_escaping(void)
{
	CHECK(label_is("plain 1.2.3.4 11370", "m{l=\"plain 1.2.3.4 11370\"} 1\n"));
	CHECK(label_is("a\\b\"c\nd", "m{l=\"a\\\\b\\\"c\\nd\"} 1\n"));
	CHECK(label_is("", "m{l=\"\"} 1\n"));
	/* control characters and bytes that are not UTF-8: U+FFFD */
	CHECK(label_is("x\ry\x01z\x7f", "m{l=\"x\xef\xbf\xbdy\xef\xbf\xbdz"
					"\xef\xbf\xbd\"} 1\n"));
	CHECK(label_is("\xff", "m{l=\"\xef\xbf\xbd\"} 1\n"));
	CHECK(label_is("\xc0\xaf", "m{l=\"\xef\xbf\xbd\xef\xbf\xbd\"} 1\n"));
	CHECK(label_is("\xed\xa0\x80", "m{l=\"\xef\xbf\xbd\xef\xbf\xbd"
				       "\xef\xbf\xbd\"} 1\n"));
	CHECK(label_is("end\xe2\x82", "m{l=\"end\xef\xbf\xbd\xef\xbf\xbd\"} 1\n"));
	/* well-formed UTF-8 stays */
	CHECK(label_is("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91",
	    "m{l=\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91\"} 1\n"));
}

static void
test_samples(void)
{
	struct prom_label l[2] = { { "op", "get" }, { "code", "200" } };
	struct buf out;

	buf_init(&out, CAP);
	CHECK(prom_head(&out, "m_total", "counter", "back\\slash\nnewline") ==
	    PKS_OK);
	CHECK(prom_int(&out, "m_total", l, 2, 42) == PKS_OK);
	CHECK(prom_int(&out, "m_total", NULL, 0, -7) == PKS_OK);
	CHECK(text_is(&out, "# HELP m_total back\\\\slash\\nnewline\n"
			    "# TYPE m_total counter\n"
			    "m_total{op=\"get\",code=\"200\"} 42\n"
			    "m_total -7\n"));
	buf_reset(&out);
	CHECK(prom_double(&out, "g", NULL, 0, 0.25) == PKS_OK);
	CHECK(prom_double(&out, "g", NULL, 0, INFINITY) == PKS_OK);
	CHECK(prom_double(&out, "g", NULL, 0, -INFINITY) == PKS_OK);
	CHECK(prom_double(&out, "g", NULL, 0, NAN) == PKS_OK);
	CHECK(prom_double(&out, "g", NULL, 0, 1796530370.99) == PKS_OK);
	CHECK(text_is(&out, "g 0.25\ng +Inf\ng -Inf\ng NaN\ng 1796530370.99\n"));
	/* the buffer's cap holds */
	buf_free(&out);
	buf_init(&out, 8);
	CHECK(prom_int(&out, "a_long_name", NULL, 0, 1) == PKS_ERR_TOOBIG);
	buf_free(&out);
}

/* Buckets are cumulative, end with +Inf, and _count is the +Inf one. */
static void
test_histogram(void)
{
	static const double bounds[] = { 0.1, 1 };
	static const uint64_t counts[] = { 2, 3, 4 };
	struct prom_hist h = { bounds, counts, 2, 5.5 };
	struct prom_label l = { "op", "get" };
	struct buf out;

	buf_init(&out, CAP);
	CHECK(prom_histogram(&out, "d_seconds", &l, 1, &h) == PKS_OK);
	CHECK(text_is(&out, "d_seconds_bucket{op=\"get\",le=\"0.1\"} 2\n"
			    "d_seconds_bucket{op=\"get\",le=\"1\"} 5\n"
			    "d_seconds_bucket{op=\"get\",le=\"+Inf\"} 9\n"
			    "d_seconds_sum{op=\"get\"} 5.5\n"
			    "d_seconds_count{op=\"get\"} 9\n"));
	buf_reset(&out);
	CHECK(prom_histogram(&out, "d_seconds", NULL, 0, &h) == PKS_OK);
	CHECK(has_line(&out, "d_seconds_bucket{le=\"+Inf\"} 9"));
	CHECK(has_line(&out, "d_seconds_count 9"));
	buf_free(&out);
}

static struct hkp_metrics *
metrics_with(const char *allow)
{
	struct pks_config cfg;
	struct hkp_metrics *m = NULL;

	memset(&cfg, 0, sizeof(cfg));
	cfg.metrics = 1;
	cfg.metrics_allow = (char *)(uintptr_t)allow;
	if (hkp_metrics_new(&cfg, &m) != PKS_OK)
		return NULL;
	return m;
}

static void
test_allowed(void)
{
	struct hkp_metrics *m = metrics_with("127.0.0.0/8 ::1");

	CHECK(m != NULL);
	if (m == NULL)
		return;
	CHECK(hkp_metrics_allowed(m, "127.0.0.1"));
	CHECK(hkp_metrics_allowed(m, "127.200.0.9"));
	CHECK(hkp_metrics_allowed(m, "::1"));
	CHECK(hkp_metrics_allowed(m, "::ffff:127.0.0.1"));
	CHECK(!hkp_metrics_allowed(m, "10.0.0.1"));
	CHECK(!hkp_metrics_allowed(m, "::2"));
	CHECK(!hkp_metrics_allowed(m, "localhost"));
	CHECK(!hkp_metrics_allowed(m, ""));
	CHECK(!hkp_metrics_allowed(m, NULL));
	hkp_metrics_free(m);
	m = metrics_with("");
	CHECK(m != NULL && !hkp_metrics_allowed(m, "127.0.0.1"));
	hkp_metrics_free(m);
	m = metrics_with("10.0.0.0/8, 2001:db8::/32");
	CHECK(m != NULL && hkp_metrics_allowed(m, "10.9.8.7") &&
	    hkp_metrics_allowed(m, "2001:db8::1") &&
	    !hkp_metrics_allowed(m, "2001:db9::1") &&
	    !hkp_metrics_allowed(m, "127.0.0.1"));
	hkp_metrics_free(m);
	CHECK(metrics_with("no network") == NULL);
}

static void
test_ops(void)
{
	CHECK(hkp_metrics_path_op(NULL) == HKP_MOP_OTHER);
	CHECK(hkp_metrics_path_op("/pks/lookup") == HKP_MOP_OTHER);
	CHECK(hkp_metrics_path_op("/pks/add") == HKP_MOP_ADD);
	CHECK(hkp_metrics_path_op("/pks/hashquery") == HKP_MOP_HASHQUERY);
	CHECK(hkp_metrics_path_op("/metrics") == HKP_MOP_METRICS);
	CHECK(hkp_metrics_path_op("/") == HKP_MOP_PAGE);
	CHECK(hkp_metrics_lookup_op(HKP_OP_GET) == HKP_MOP_GET);
	CHECK(hkp_metrics_lookup_op(HKP_OP_VINDEX) == HKP_MOP_VINDEX);
	CHECK(hkp_metrics_lookup_op(HKP_OP_HGET) == HKP_MOP_HGET);
	CHECK(hkp_metrics_lookup_op(HKP_OP_STATS) == HKP_MOP_STATS);
}

/* Requests per op and status; latencies in cumulative buckets. */
static void
test_requests(void)
{
	struct hkp_metrics *m = metrics_with("");
	struct hkp_metrics_data d;
	struct buf out;

	CHECK(m != NULL);
	if (m == NULL)
		return;
	memset(&d, 0, sizeof(d));
	hkp_metrics_observe(m, HKP_MOP_GET, 200, 500);
	hkp_metrics_observe(m, HKP_MOP_GET, 200, 3000);
	hkp_metrics_observe(m, HKP_MOP_GET, 200, 60000000);
	hkp_metrics_observe(m, HKP_MOP_GET, 404, 1000);
	hkp_metrics_observe(m, HKP_MOP_ADD, 302, 10);
	hkp_metrics_observe(m, HKP_MOP_OTHER, 405, -5);
	buf_init(&out, CAP);
	CHECK(hkp_metrics_render(m, &d, &out) == PKS_OK);
	CHECK(has_line(&out, "pksync_http_requests_total{op=\"get\",code=\"200\"} 3"));
	CHECK(has_line(&out, "pksync_http_requests_total{op=\"get\",code=\"404\"} 1"));
	CHECK(has_line(&out, "pksync_http_requests_total{op=\"add\",code=\"other\"} 1"));
	CHECK(has_line(&out, "pksync_http_requests_total{op=\"other\",code=\"405\"} 1"));
	CHECK(strstr((char *)out.data, "op=\"index\"") == NULL);
	/* 1 ms is in the 0.001 bucket (an upper bound is inclusive) */
	CHECK(has_line(&out, "pksync_http_request_duration_seconds_bucket"
			     "{op=\"get\",le=\"0.001\"} 2"));
	CHECK(has_line(&out, "pksync_http_request_duration_seconds_bucket"
			     "{op=\"get\",le=\"0.005\"} 3"));
	CHECK(has_line(&out, "pksync_http_request_duration_seconds_bucket"
			     "{op=\"get\",le=\"30\"} 3"));
	CHECK(has_line(&out, "pksync_http_request_duration_seconds_bucket"
			     "{op=\"get\",le=\"+Inf\"} 4"));
	CHECK(has_line(&out, "pksync_http_request_duration_seconds_count"
			     "{op=\"get\"} 4"));
	CHECK(has_line(&out, "pksync_http_request_duration_seconds_sum"
			     "{op=\"get\"} 60.0045"));
	CHECK(has_line(&out, "pksync_http_request_duration_seconds_sum"
			     "{op=\"other\"} 0"));
	buf_free(&out);
	hkp_metrics_free(m);
}

static void
set_counter(struct store_counter *c, const char *name, const char *label,
    int64_t v)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", name);
	snprintf(c->label, sizeof(c->label), "%s", label);
	c->value = v;
}

/* The database's values: fixed labels read 0 until counted, other
 * labels follow them, peers are escaped. */
static void
test_database_families(void)
{
	struct store_counter c[6];
	struct stats_mail_peer q[2];
	struct stats_recon_peer r[2];
	struct stats_snapshot snap;
	struct hkp_metrics_data d;
	struct buf out;

	set_counter(&c[0], STORE_CTR_KEYS_ADDED, "import", 905);
	set_counter(&c[1], STORE_CTR_KEYS_ADDED, "later", 2);
	set_counter(&c[2], STORE_CTR_MAIL_FILTERED, "handled", 3);
	set_counter(&c[3], STORE_CTR_RECON_OK, "127.0.0.1 11370", 5);
	set_counter(&c[4], STORE_CTR_RECON_FAILED, "127.0.0.1 11370", 1);
	set_counter(&c[5], STORE_CTR_RECON_FETCHED, "127.0.0.1 11370", 12);
	memset(q, 0, sizeof(q));
	q[0].address = (char *)(uintptr_t) "pgp-public-keys@a.test";
	q[0].queued = 4;
	q[0].failed = 1;
	q[1].address = (char *)(uintptr_t) "odd\"peer\n@b.test";
	memset(r, 0, sizeof(r));
	r[0].name = (char *)(uintptr_t) "127.0.0.1 11370";
	r[0].last_good = 1796530000;
	r[1].name = (char *)(uintptr_t) "never.ok 11370";
	memset(&snap, 0, sizeof(snap));
	snap.keys = 907;
	snap.mail = q;
	snap.nmail = 2;
	snap.recon = r;
	snap.nrecon = 2;
	memset(&d, 0, sizeof(d));
	d.snap = &snap;
	d.counters = c;
	d.ncounters = 6;
	buf_init(&out, CAP);
	CHECK(hkp_metrics_render(NULL, &d, &out) == PKS_OK);
	CHECK(has_line(&out, "# TYPE pksync_keys gauge"));
	CHECK(has_line(&out, "pksync_keys 907"));
	CHECK(has_line(&out, "# TYPE pksync_keys_added_total counter"));
	CHECK(has_line(&out, "pksync_keys_added_total{source=\"import\"} 905"));
	CHECK(has_line(&out, "pksync_keys_added_total{source=\"hkp\"} 0"));
	CHECK(has_line(&out, "pksync_keys_added_total{source=\"later\"} 2"));
	CHECK(has_line(&out, "pksync_keys_updated_total{source=\"recon\"} 0"));
	CHECK(has_line(&out, "pksync_mail_filtered_total{outcome=\"handled\"} 3"));
	CHECK(has_line(&out, "pksync_mail_filtered_total{outcome=\"tempfail\"} 0"));
	CHECK(has_line(&out, "pksync_mail_queue_depth{peer=\"pgp-public-keys@a.test\"} 4"));
	CHECK(has_line(&out, "pksync_mail_queue_failed{peer=\"pgp-public-keys@a.test\"} 1"));
	CHECK(has_line(&out, "pksync_mail_queue_depth{peer=\"odd\\\"peer\\n@b.test\"} 0"));
	CHECK(has_line(&out, "pksync_recon_sessions_total{peer=\"127.0.0.1 11370\",result=\"ok\"} 5"));
	CHECK(has_line(&out, "pksync_recon_sessions_total{peer=\"127.0.0.1 11370\",result=\"failed\"} 1"));
	CHECK(has_line(&out, "pksync_recon_keys_fetched_total{peer=\"127.0.0.1 11370\"} 12"));
	CHECK(has_line(&out, "pksync_recon_last_success_timestamp_seconds{peer=\"127.0.0.1 11370\"} 1796530000"));
	CHECK(strstr((char *)out.data, "never.ok") == NULL);
	/* no in-process families without the server's counters */
	CHECK(strstr((char *)out.data, "pksync_http_") == NULL);
	buf_free(&out);
}

int
main(void)
{
	RUN(test_label_escaping);
	RUN(test_samples);
	RUN(test_histogram);
	RUN(test_allowed);
	RUN(test_ops);
	RUN(test_requests);
	RUN(test_database_families);
	return tap_done();
}
