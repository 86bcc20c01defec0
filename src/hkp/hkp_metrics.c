/*
 * hkp_metrics.c: the counters of the HKP server, what /metrics reads
 * from the database and /proc, and the families it writes.
 *
 * Requests are counted in fixed arrays of relaxed atomics indexed by op
 * and status (statuses pksync does not send count as code "other"), and
 * latencies in fixed buckets per op, so observing costs a few atomic
 * additions.  A scrape reads each atomic once; the histogram's count is
 * the sum of the buckets read, so it is always consistent with them.
 */
#include <config.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hkp/hkp_guard.h"
#include "hkp/hkp_metrics.h"
#include "hkp/hkp_rcache.h"
#include "hkp/hkp_prom.h"
#include "util/cidr.h"
#include "util/log.h"
#include "util/xalloc.h"

/* The most counter rows one scrape reads. */
#define MAX_COUNTER_ROWS 100000u

static const char *const op_names[HKP_MOP_COUNT] = {
	[HKP_MOP_GET] = "get",
	[HKP_MOP_INDEX] = "index",
	[HKP_MOP_VINDEX] = "vindex",
	[HKP_MOP_HGET] = "hget",
	[HKP_MOP_STATS] = "stats",
	[HKP_MOP_ADD] = "add",
	[HKP_MOP_HASHQUERY] = "hashquery",
	[HKP_MOP_PAGE] = "page",
	[HKP_MOP_METRICS] = "metrics",
	[HKP_MOP_OTHER] = "other",
};

/* The statuses pksync answers with; the last slot is "other". */
static const int statuses[] = { 200, 400, 403, 404, 405, 410, 413, 429, 500,
	501, 503 };
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]) + 1)

/* Latency bucket bounds, in seconds and in microseconds. */
static const double bounds_s[] = { 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
	0.25, 0.5, 1, 2.5, 5, 10, 30 };
static const int64_t bounds_us[] = { 1000, 2500, 5000, 10000, 25000, 50000,
	100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000, 30000000 };
#define NBOUNDS (sizeof(bounds_s) / sizeof(bounds_s[0]))

struct hkp_metrics {
	struct cidr_list allow;
	double start_time; /* unix time the process started; 0: unknown */
	atomic_uint_fast64_t req[HKP_MOP_COUNT][NSTATUS];
	atomic_uint_fast64_t lat[HKP_MOP_COUNT][NBOUNDS + 1];
	atomic_uint_fast64_t lat_us[HKP_MOP_COUNT]; /* sum */
};

/* ---- the process ---- */

/* /proc/stat's btime: the boot time in unix seconds, or 0. */
static long long
boot_time(void)
{
	char line[256];
	long long bt = 0;
	FILE *f = fopen("/proc/stat", "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "btime %lld", &bt) == 1)
			break;
	fclose(f);
	return bt;
}

/* Unix time this process started (/proc/self/stat field 22), or 0. */
static double
process_start(void)
{
	char buf[1024], *p;
	unsigned long long ticks;
	long hz = sysconf(_SC_CLK_TCK);
	long long bt = boot_time();
	size_t n;
	int i;
	FILE *f = fopen("/proc/self/stat", "r");

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name may hold blanks and parentheses: skip to the
	 * last ')', then fields 3 to 21 */
	if ((p = strrchr(buf, ')')) == NULL || hz <= 0 || bt <= 0)
		return 0;
	for (i = 0; i < 20 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, " %llu", &ticks) != 1)
		return 0;
	return (double)bt + (double)ticks / (double)hz;
}

/* Resident memory in bytes (/proc/self/statm), or -1. */
static int64_t
resident_bytes(void)
{
	unsigned long long size, rss;
	long page = sysconf(_SC_PAGESIZE);
	FILE *f = fopen("/proc/self/statm", "r");
	int n;

	if (f == NULL)
		return -1;
	n = fscanf(f, "%llu %llu", &size, &rss);
	fclose(f);
	if (n != 2 || page <= 0)
		return -1;
	return (int64_t)(rss * (unsigned long long)page);
}

/* ---- counting ---- */

enum pks_rc
hkp_metrics_new(const struct pks_config *cfg, struct hkp_metrics **out)
{
	struct pks_err err = { 0, NULL };
	struct hkp_metrics *m = xcalloc(1, sizeof(*m));

	*out = NULL;
	if (cfg->metrics_allow != NULL &&
	    cidr_list_parse(cfg->metrics_allow, &m->allow, &err) != PKS_OK) {
		log_warnx("hkp: metrics_allow: %s", err.why);
		free(m);
		return PKS_ERR_CONFIG;
	}
	m->start_time = process_start();
	*out = m;
	return PKS_OK;
}

void
hkp_metrics_free(struct hkp_metrics *m)
{
	free(m);
}

enum hkp_mop
hkp_metrics_path_op(const char *path)
{
	if (path == NULL || strcmp(path, "/pks/lookup") == 0)
		return HKP_MOP_OTHER;
	if (strcmp(path, "/pks/add") == 0)
		return HKP_MOP_ADD;
	if (strcmp(path, "/pks/hashquery") == 0)
		return HKP_MOP_HASHQUERY;
	if (strcmp(path, "/metrics") == 0)
		return HKP_MOP_METRICS;
	return HKP_MOP_PAGE;
}

enum hkp_mop
hkp_metrics_lookup_op(enum hkp_op op)
{
	switch (op) {
	case HKP_OP_GET:
		return HKP_MOP_GET;
	case HKP_OP_INDEX:
		return HKP_MOP_INDEX;
	case HKP_OP_VINDEX:
		return HKP_MOP_VINDEX;
	case HKP_OP_HGET:
		return HKP_MOP_HGET;
	case HKP_OP_STATS:
		return HKP_MOP_STATS;
	}
	return HKP_MOP_OTHER;
}

static size_t
status_slot(int status)
{
	size_t i;

	for (i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status)
			return i;
	return NSTATUS - 1;
}

void
hkp_metrics_observe(
    struct hkp_metrics *m, enum hkp_mop op, int status, int64_t usec)
{
	size_t b = 0;

	if (m == NULL || (unsigned)op >= HKP_MOP_COUNT)
		return;
	if (usec < 0)
		usec = 0;
	while (b < NBOUNDS && usec > bounds_us[b])
		b++;
	atomic_fetch_add_explicit(
	    &m->req[op][status_slot(status)], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->lat[op][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(
	    &m->lat_us[op], (uint_fast64_t)usec, memory_order_relaxed);
}

int
hkp_metrics_allowed(const struct hkp_metrics *m, const char *ip)
{
	struct hkp_addr a;

	if (ip == NULL || hkp_addr_parse(ip, strlen(ip), &a, NULL, 0) != PKS_OK)
		return 0;
	return cidr_list_match(&m->allow, a.b);
}

/* ---- what the database holds ---- */

enum pks_rc
hkp_metrics_collect(
    struct store *st, const struct pks_config *cfg, struct hkp_metrics_data *d)
{
	enum pks_rc rc;

	memset(d, 0, sizeof(*d));
	rc = stats_snapshot_take(st, cfg, &d->snap);
	if (rc == PKS_OK)
		rc = store_counter_list(
		    st, MAX_COUNTER_ROWS, &d->counters, &d->ncounters);
	if (rc != PKS_OK)
		hkp_metrics_data_free(d);
	return rc;
}

void
hkp_metrics_data_free(struct hkp_metrics_data *d)
{
	stats_snapshot_free(d->snap);
	free(d->counters);
	memset(d, 0, sizeof(*d));
}

/* ---- writing ---- */

static const char *const key_sources[] = { "hkp", "import", "mail", "recon" };
static const char *const mail_outcomes[] = { "handled", "ignored", "refused",
	"tempfail" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The counter (name, label), or NULL. */
static const struct store_counter *
find_counter(
    const struct hkp_metrics_data *d, const char *name, const char *label)
{
	size_t i;

	for (i = 0; i < d->ncounters; i++)
		if (strcmp(d->counters[i].name, name) == 0 &&
		    strcmp(d->counters[i].label, label) == 0)
			return &d->counters[i];
	return NULL;
}

static int
in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* A family from the counters named ctr, labelled lname: each of
 * fixed[0..nfixed) (0 when never counted), then any other label. */
struct db_family {
	const char *metric;
	const char *help;
	const char *ctr;
	const char *lname;
	const char *const *fixed;
	size_t nfixed;
};

static enum pks_rc
render_db_family(struct buf *out, const struct db_family *f,
    const struct hkp_metrics_data *d)
{
	const struct store_counter *c;
	struct prom_label l = { f->lname, NULL };
	enum pks_rc rc;
	size_t i;

	rc = prom_head(out, f->metric, "counter", f->help);
	for (i = 0; rc == PKS_OK && i < f->nfixed; i++) {
		c = find_counter(d, f->ctr, f->fixed[i]);
		l.value = f->fixed[i];
		rc = prom_int(out, f->metric, &l, 1, c != NULL ? c->value : 0);
	}
	for (i = 0; rc == PKS_OK && i < d->ncounters; i++) {
		c = &d->counters[i];
		if (strcmp(c->name, f->ctr) != 0 ||
		    in_list(c->label, f->fixed, f->nfixed))
			continue;
		l.value = c->label;
		rc = prom_int(out, f->metric, &l, 1, c->value);
	}
	return rc;
}

static enum pks_rc
render_http_requests(struct buf *out, const struct hkp_metrics *m)
{
	struct prom_label l[2] = { { "op", NULL }, { "code", NULL } };
	char code[16];
	uint64_t v;
	enum pks_rc rc;
	size_t op, s;

	rc = prom_head(out, "pksync_http_requests_total", "counter",
	    "HTTP requests answered by this serve process, by op and status");
	for (op = 0; rc == PKS_OK && op < HKP_MOP_COUNT; op++) {
		for (s = 0; rc == PKS_OK && s < NSTATUS; s++) {
			v = atomic_load_explicit(
			    &m->req[op][s], memory_order_relaxed);
			if (v == 0)
				continue;
			if (s < NSTATUS - 1)
				snprintf(code, sizeof(code), "%d", statuses[s]);
			else
				snprintf(code, sizeof(code), "other");
			l[0].value = op_names[op];
			l[1].value = code;
			rc = prom_int(out, "pksync_http_requests_total", l, 2,
			    (int64_t)v);
		}
	}
	return rc;
}

static enum pks_rc
render_http_latency(struct buf *out, const struct hkp_metrics *m)
{
	static const char name[] = "pksync_http_request_duration_seconds";
	struct prom_label l = { "op", NULL };
	uint64_t counts[NBOUNDS + 1], total;
	struct prom_hist h = { bounds_s, counts, NBOUNDS, 0 };
	enum pks_rc rc;
	size_t op, b;

	rc = prom_head(out, name, "histogram",
	    "Seconds from the start of a request to the end of its answer, "
	    "by op");
	for (op = 0; rc == PKS_OK && op < HKP_MOP_COUNT; op++) {
		for (b = 0, total = 0; b <= NBOUNDS; b++) {
			counts[b] = atomic_load_explicit(
			    &m->lat[op][b], memory_order_relaxed);
			total += counts[b];
		}
		if (total == 0)
			continue;
		h.sum = (double)atomic_load_explicit(
			    &m->lat_us[op], memory_order_relaxed) /
			1e6;
		l.value = op_names[op];
		rc = prom_histogram(out, name, &l, 1, &h);
	}
	return rc;
}

static enum pks_rc
render_keys(struct buf *out, const struct hkp_metrics_data *d)
{
	static const struct db_family fams[] = {
		{ "pksync_keys_added_total",
		    "Keys stored for the first time, by the path they came "
		    "by (all processes)",
		    STORE_CTR_KEYS_ADDED, "source", key_sources,
		    NELEM(key_sources) },
		{ "pksync_keys_updated_total",
		    "Stored keys that gained packets, by the path the "
		    "packets came by (all processes)",
		    STORE_CTR_KEYS_UPDATED, "source", key_sources,
		    NELEM(key_sources) },
		{ "pksync_mail_filtered_total",
		    "Messages handled by pksync mail-filter, by outcome",
		    STORE_CTR_MAIL_FILTERED, "outcome", mail_outcomes,
		    NELEM(mail_outcomes) },
	};
	enum pks_rc rc;
	size_t i;

	rc = prom_head(out, "pksync_keys", "gauge", "Keys stored");
	if (rc == PKS_OK)
		rc = prom_int(out, "pksync_keys", NULL, 0,
		    d->snap != NULL ? d->snap->keys : 0);
	for (i = 0; rc == PKS_OK && i < NELEM(fams); i++)
		rc = render_db_family(out, &fams[i], d);
	return rc;
}

static enum pks_rc
render_queue(struct buf *out, const struct hkp_metrics_data *d)
{
	struct prom_label l = { "peer", NULL };
	const struct stats_mail_peer *m =
	    d->snap != NULL ? d->snap->mail : NULL;
	size_t i, n = d->snap != NULL ? d->snap->nmail : 0;
	enum pks_rc rc;

	rc = prom_head(out, "pksync_mail_queue_depth", "gauge",
	    "Incrementals queued for a mail sync peer, not sent yet");
	for (i = 0; rc == PKS_OK && i < n; i++) {
		l.value = m[i].address;
		rc = prom_int(
		    out, "pksync_mail_queue_depth", &l, 1, m[i].queued);
	}
	if (rc == PKS_OK)
		rc = prom_head(out, "pksync_mail_queue_failed", "gauge",
		    "Incrementals to a mail sync peer that failed for good "
		    "(kept for the admin)");
	for (i = 0; rc == PKS_OK && i < n; i++) {
		l.value = m[i].address;
		rc = prom_int(
		    out, "pksync_mail_queue_failed", &l, 1, m[i].failed);
	}
	return rc;
}

/* pksync_recon_sessions_total: the rows of one result. */
static enum pks_rc
render_sessions(struct buf *out, const struct hkp_metrics_data *d,
    const char *ctr, const char *result)
{
	struct prom_label l[2] = { { "peer", NULL }, { "result", result } };
	enum pks_rc rc = PKS_OK;
	size_t i;

	for (i = 0; rc == PKS_OK && i < d->ncounters; i++) {
		if (strcmp(d->counters[i].name, ctr) != 0)
			continue;
		l[0].value = d->counters[i].label;
		rc = prom_int(out, "pksync_recon_sessions_total", l, 2,
		    d->counters[i].value);
	}
	return rc;
}

static enum pks_rc
render_recon(struct buf *out, const struct hkp_metrics_data *d)
{
	static const struct db_family fetched = {
		"pksync_recon_keys_fetched_total",
		"Keys fetched from a recon peer that were new or gained "
		"packets",
		STORE_CTR_RECON_FETCHED, "peer", NULL, 0
	};
	struct prom_label l = { "peer", NULL };
	enum pks_rc rc;
	size_t i;

	rc = prom_head(out, "pksync_recon_sessions_total", "counter",
	    "Recon sessions with a peer, by result (ok or failed)");
	if (rc == PKS_OK)
		rc = render_sessions(out, d, STORE_CTR_RECON_OK, "ok");
	if (rc == PKS_OK)
		rc = render_sessions(out, d, STORE_CTR_RECON_FAILED, "failed");
	if (rc == PKS_OK)
		rc = render_db_family(out, &fetched, d);
	if (rc == PKS_OK)
		rc = prom_head(out,
		    "pksync_recon_last_success_timestamp_seconds", "gauge",
		    "Unix time of the last recon session with a peer that "
		    "ended ok");
	for (i = 0; rc == PKS_OK && d->snap != NULL && i < d->snap->nrecon;
	     i++) {
		const struct stats_recon_peer *p = &d->snap->recon[i];

		if (p->last_good <= 0)
			continue;
		l.value = p->name;
		rc =
		    prom_int(out, "pksync_recon_last_success_timestamp_seconds",
			&l, 1, p->last_good);
	}
	return rc;
}

static enum pks_rc
render_process(struct buf *out, const struct hkp_metrics *m)
{
	int64_t rss = resident_bytes();
	enum pks_rc rc = PKS_OK;

	if (rss >= 0) {
		rc = prom_head(out, "process_resident_memory_bytes", "gauge",
		    "Resident memory size in bytes");
		if (rc == PKS_OK)
			rc = prom_int(
			    out, "process_resident_memory_bytes", NULL, 0, rss);
	}
	if (rc == PKS_OK && m != NULL && m->start_time > 0) {
		rc = prom_head(out, "process_start_time_seconds", "gauge",
		    "Start time of the process since the Unix epoch in "
		    "seconds");
		if (rc == PKS_OK)
			rc = prom_double(out, "process_start_time_seconds",
			    NULL, 0, m->start_time);
	}
	return rc;
}

enum pks_rc
hkp_metrics_render(const struct hkp_metrics *m,
    const struct hkp_metrics_data *d, struct buf *out)
{
	enum pks_rc rc = PKS_OK;

	if (m != NULL)
		rc = render_http_requests(out, m);
	if (rc == PKS_OK && m != NULL)
		rc = render_http_latency(out, m);
	if (rc == PKS_OK)
		rc = render_keys(out, d);
	if (rc == PKS_OK)
		rc = render_queue(out, d);
	if (rc == PKS_OK)
		rc = render_recon(out, d);
	if (rc == PKS_OK)
		rc = render_process(out, m);
	return rc;
}

/* ---- GET /metrics ---- */

enum pks_rc
hkp_metrics_page(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r)
{
	struct hkp_metrics_data d;
	struct store *st;
	enum pks_rc rc;

	(void)q;
	if (!ctx->cfg->metrics)
		return hkp_fail(ctx, PKS_ERR_NOTFOUND, "not found");
	if (!hkp_metrics_allowed(hkp_ctx_metrics(ctx), ctx->client_ip))
		return hkp_fail(ctx, PKS_ERR_REFUSED,
		    "metrics are not served to your address");
	if ((rc = hkp_ctx_store(ctx, &st)) != PKS_OK)
		return rc;
	rc = hkp_metrics_collect(st, ctx->cfg, &d);
	if (rc != PKS_OK)
		return hkp_fail(ctx, rc, "cannot read the database");
	rc = hkp_metrics_render(hkp_ctx_metrics(ctx), &d, &r->body);
	if (rc == PKS_OK)
		rc = hkp_rcache_render(hkp_ctx_rcache(ctx), &r->body);
	hkp_metrics_data_free(&d);
	if (rc != PKS_OK)
		return hkp_fail(ctx, rc, "cannot write the metrics");
	r->type = "text/plain; version=0.0.4; charset=utf-8";
	return PKS_OK;
}
