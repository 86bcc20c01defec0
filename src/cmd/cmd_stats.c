/*
 * cmd_stats.c: "pksync stats [--json]" prints the number of keys, the
 * new and updated keys per day, and the outgoing mail queue: totals,
 * queued and failed incrementals per mail sync peer, and the failed
 * messages (kept for the admin) with the relay's last answer, as text
 * or JSON.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#include "cmd/cmd.h"
#include "mail/mail_peers.h"
#include "store/store.h"
#include "store/store_ptree.h"
#include "store/store_outbox.h"
#include "store/store_refused.h"
#include "util/log.h"
#include "util/utc.h"

#define STATS_DAYS 14
/* Failed messages listed. */
#define STATS_FAILED 50
/* Refused hashes listed by the text form (newest first). */
#define STATS_REFUSED 20

struct stats {
	int64_t nkeys;
	struct store_day *days;
	size_t ndays;
	struct store_outbox_totals tot;
	struct store_outbox_peer *queue; /* per recipient */
	size_t nqueue;
	struct store_outbox_failed *failed;
	size_t nfailed;
	int64_t nrefused;          /* hashes refused for good */
	struct ingest_sync *peers; /* the sync list */
};

/* Queue counts of one peer (recipients compared ignoring case). */
static void
peer_counts(const struct stats *s, const char *peer, int64_t *q, int64_t *f)
{
	size_t i;

	*q = *f = 0;
	for (i = 0; i < s->nqueue; i++) {
		if (strcasecmp(s->queue[i].recipient, peer) == 0) {
			*q += s->queue[i].queued;
			*f += s->queue[i].failed;
		}
	}
}

static const char *
day_of(int64_t t, char buf[32])
{
	return utc_text(t, UTC_SECOND, "-", buf, 32);
}

static void
print_queue_text(const struct stats *s)
{
	char when[32];
	int64_t q, f;
	size_t i;

	printf("mail queue: %lld incrementals queued, %lld failed; %lld "
	       "replies queued, %lld failed; oldest queued: %s UTC\n",
	    (long long)s->tot.incr_queued, (long long)s->tot.incr_failed,
	    (long long)s->tot.reply_queued, (long long)s->tot.reply_failed,
	    day_of(s->tot.oldest_queued, when));
	printf("%-40s %8s %8s\n", "mail sync peer", "queued", "failed");
	for (i = 0; i < s->peers->npeers; i++) {
		peer_counts(s, s->peers->peers[i], &q, &f);
		printf("%-40s %8lld %8lld\n", s->peers->peers[i], (long long)q,
		    (long long)f);
	}
	for (i = 0; i < s->nfailed; i++)
		printf(
		    "failed #%lld: %s to %s, queued %s UTC, %lld tries: %s\n",
		    (long long)s->failed[i].id,
		    s->failed[i].reply ? "reply" : "incremental",
		    s->failed[i].recipient, day_of(s->failed[i].created, when),
		    (long long)s->failed[i].tries, s->failed[i].why);
}

static void
print_text(const struct pks_config *cfg, const struct stats *s)
{
	size_t i;

	printf("hostname: %s\ndatabase: %s\nkeys: %lld\n", cfg->hostname,
	    cfg->dbfile, (long long)s->nkeys);
	printf("%-10s %8s %8s\n", "day", "new", "updated");
	for (i = 0; i < s->ndays; i++)
		printf("%-10s %8lld %8lld\n", s->days[i].day,
		    (long long)s->days[i].nnew, (long long)s->days[i].nupdated);
	print_queue_text(s);
}

/* A JSON string (the relay's answer may hold anything). */
static void
json_str(const char *v)
{
	const unsigned char *p;

	putchar('"');
	for (p = (const unsigned char *)v; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			printf("\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			printf("\\u%04x", *p);
		else
			putchar(*p);
	}
	putchar('"');
}

static void
print_queue_json(const struct stats *s)
{
	int64_t q, f;
	size_t i;

	printf(",\"mailQueue\":{\"incrementalsQueued\":%lld,"
	       "\"incrementalsFailed\":%lld,\"repliesQueued\":%lld,"
	       "\"repliesFailed\":%lld,\"oldestQueued\":%lld,\"peers\":[",
	    (long long)s->tot.incr_queued, (long long)s->tot.incr_failed,
	    (long long)s->tot.reply_queued, (long long)s->tot.reply_failed,
	    (long long)s->tot.oldest_queued);
	for (i = 0; i < s->peers->npeers; i++) {
		peer_counts(s, s->peers->peers[i], &q, &f);
		printf("%s{\"peer\":", i ? "," : "");
		json_str(s->peers->peers[i]);
		printf(",\"queued\":%lld,\"failed\":%lld}", (long long)q,
		    (long long)f);
	}
	printf("],\"failed\":[");
	for (i = 0; i < s->nfailed; i++) {
		printf("%s{\"id\":%lld,\"kind\":\"%s\",\"recipient\":",
		    i ? "," : "", (long long)s->failed[i].id,
		    s->failed[i].reply ? "reply" : "incremental");
		json_str(s->failed[i].recipient);
		printf(",\"created\":%lld,\"tries\":%lld,\"why\":",
		    (long long)s->failed[i].created,
		    (long long)s->failed[i].tries);
		json_str(s->failed[i].why);
		putchar('}');
	}
	printf("]}");
}

static void
print_json(const struct stats *s)
{
	size_t i;

	printf("{\"keys\":%lld,\"daily\":[", (long long)s->nkeys);
	for (i = 0; i < s->ndays; i++)
		printf("%s{\"day\":\"%s\",\"new\":%lld,\"updated\":%lld}",
		    i ? "," : "", s->days[i].day, (long long)s->days[i].nnew,
		    (long long)s->days[i].nupdated);
	printf("]");
	print_queue_json(s);
	printf(",\"refused\":%lld}\n", (long long)s->nrefused);
}

static enum pks_rc
load(const struct pks_config *cfg, struct store *st, struct stats *s)
{
	enum pks_rc rc;

	rc = store_count_keys(st, &s->nkeys);
	if (rc == PKS_OK)
		rc = store_stats_days(st, STATS_DAYS, &s->days, &s->ndays);
	if (rc == PKS_OK)
		rc = store_outbox_totals(st, &s->tot);
	if (rc == PKS_OK)
		rc = store_outbox_peers(st, &s->queue, &s->nqueue);
	if (rc == PKS_OK)
		rc = store_outbox_failed_list(
		    st, STATS_FAILED, &s->failed, &s->nfailed);
	if (rc == PKS_OK)
		rc =
		    mail_peers_read(cfg->peers_file, cfg->this_site, &s->peers);
	return rc;
}

/* Unix time t as UTC text, "never" for 0. */
static void
when_text(int64_t t, char *out, size_t n)
{
	utc_text(t, UTC_SECOND, "never", out, n);
}

/*
 * Each recon peer (recon_peers): the last attempt (time, our role,
 * result) and the last good session with its keys each way.  Keys out
 * as responder are a lower bound, shown as ">=N".
 */
static void
print_recon(const struct store_recon_peer *rp, size_t n)
{
	char when[32], ok[32], out[32];
	size_t i;

	printf("%-24s %-19s %-9s %-19s %7s %8s %8s  %s\n", "recon peer",
	    "last (UTC)", "as", "last ok (UTC)", "in", "out", "fetched",
	    "result");
	for (i = 0; i < n; i++) {
		when_text(rp[i].last, when, sizeof(when));
		when_text(rp[i].ok_last, ok, sizeof(ok));
		snprintf(out, sizeof(out), "%s%lld",
		    strcmp(rp[i].ok_role, "responder") == 0 ? ">=" : "",
		    (long long)rp[i].ok_keys_out);
		printf("%-24s %-19s %-9s %-19s %7lld %8s %8lld  %s\n",
		    rp[i].peer, when, rp[i].role[0] ? rp[i].role : "-", ok,
		    (long long)rp[i].ok_keys_in, out,
		    (long long)rp[i].ok_fetched, rp[i].result);
	}
}

static void
refused_line(void *arg, const struct store_refused *r)
{
	char when[32];

	(void)arg;
	when_text(r->last, when, sizeof(when));
	printf("refused %s key %s from %s, %lld times, last %s UTC: %s\n",
	    r->hash, r->fpr[0] ? r->fpr : "-", r->source, (long long)r->count,
	    when, r->reason);
}

/* Keys refused for good (by the SKS hash they came with), newest
 * first: recon does not fetch these again. */
static enum pks_rc
print_refused(struct store *st)
{
	int64_t n = 0;
	enum pks_rc rc;

	printf("refused keys (not fetched again):\n");
	rc = store_refused_list(st, STATS_REFUSED, refused_line, NULL, &n);
	if (rc == PKS_OK)
		printf("%lld refused in all\n", (long long)n);
	return rc;
}

int
cmd_stats(struct cmd_ctx *ctx)
{
	struct store_recon_peer *rp = NULL;
	size_t nrp = 0;
	struct store *st = NULL;
	struct stats s;
	int json = 0, status;
	enum pks_rc rc;

	if (ctx->argc == 2 && strcmp(ctx->argv[1], "--json") == 0)
		json = 1;
	else if (ctx->argc != 1) {
		fprintf(stderr, "usage: pksync stats [--json]\n");
		return EX_USAGE;
	}
	if ((status = cmd_open_store(ctx->cfg, 0, &st)) != EX_OK)
		return status;
	memset(&s, 0, sizeof(s));
	rc = load(ctx->cfg, st, &s);
	if (rc == PKS_OK)
		rc = store_recon_peer_list(st, &rp, &nrp);
	if (rc == PKS_OK && json) {
		rc = store_refused_list(st, 0, NULL, NULL, &s.nrefused);
		if (rc == PKS_OK)
			print_json(&s);
	} else if (rc == PKS_OK) {
		print_text(ctx->cfg, &s);
		print_recon(rp, nrp);
		rc = print_refused(st);
	}
	store_close(st);
	if (rc != PKS_OK) {
		log_warnx("cannot read statistics: %s", pks_rc_str(rc));
		status = EX_SOFTWARE;
	}
	free(rp);
	free(s.days);
	store_outbox_peers_free(s.queue, s.nqueue);
	store_outbox_failed_free(s.failed, s.nfailed);
	ingest_sync_free(s.peers);
	return status;
}
