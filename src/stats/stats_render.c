/*
 * stats_render.c: a snapshot as JSON (the one layout of op=stats&mr and
 * "pksync stats --json") and as the text of "pksync stats".
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "stats/stats_render.h"
#include "util/json.h"
#include "util/utc.h"

/* "name":"value", with a comma before unless first. */
static enum pks_rc
field_str(struct buf *out, const char *name, const char *v, int first)
{
	enum pks_rc rc;

	rc = buf_printf(out, "%s\"%s\":", first ? "" : ",", name);
	if (rc == PKS_OK)
		rc = json_string(out, v, strlen(v));
	return rc;
}

static enum pks_rc
field_int(struct buf *out, const char *name, int64_t v)
{
	return buf_printf(out, ",\"%s\":%lld", name, (long long)v);
}

static enum pks_rc
json_settings(struct buf *out, const struct stats_snapshot *s)
{
	enum pks_rc rc;

	rc = field_str(out, "software", s->software, 1);
	if (rc == PKS_OK)
		rc = field_str(out, "version", s->version, 0);
	if (rc == PKS_OK)
		rc = field_str(out, "hostname", s->hostname, 0);
	if (rc == PKS_OK)
		rc = field_str(out, "nodename", s->nodename, 0);
	if (rc == PKS_OK)
		rc = field_str(out, "contact", s->contact, 0);
	if (rc == PKS_OK)
		rc = field_int(out, "httpPort", s->http_port);
	if (rc == PKS_OK && s->recon_port >= 0)
		rc = field_int(out, "reconPort", s->recon_port);
	else if (rc == PKS_OK)
		rc = buf_adds(out, ",\"reconPort\":null");
	if (rc == PKS_OK)
		rc = field_int(out, "total", s->keys);
	if (rc == PKS_OK)
		rc = field_int(out, "keys", s->keys);
	if (rc == PKS_OK)
		rc = field_int(out, "refused", s->refused);
	return rc;
}

/* "peers" and "mailsyncPeers": the files' entries as plain strings. */
static enum pks_rc
json_lists(struct buf *out, const struct stats_snapshot *s)
{
	enum pks_rc rc;
	size_t i, k = 0;

	rc = buf_adds(out, ",\"peers\":[");
	for (i = 0; i < s->nrecon && rc == PKS_OK; i++) {
		if (!s->recon[i].listed)
			continue;
		rc = buf_adds(out, k++ ? "," : "");
		if (rc == PKS_OK)
			rc = json_string(
			    out, s->recon[i].name, strlen(s->recon[i].name));
	}
	if (rc == PKS_OK)
		rc = buf_adds(out, "],\"mailsyncPeers\":[");
	for (i = k = 0; i < s->nmail && rc == PKS_OK; i++) {
		if (!s->mail[i].listed)
			continue;
		rc = buf_adds(out, k++ ? "," : "");
		if (rc == PKS_OK)
			rc = json_string(out, s->mail[i].address,
			    strlen(s->mail[i].address));
	}
	if (rc == PKS_OK)
		rc = buf_addc(out, ']');
	return rc;
}

/* One mail peer as an object; full adds lastDelivered, and the
 * address is named "address" instead of "peer". */
static enum pks_rc
json_mail_peer(
    struct buf *out, const struct stats_mail_peer *p, int first, int full)
{
	enum pks_rc rc;

	rc = buf_adds(out, first ? "{" : ",{");
	if (rc == PKS_OK)
		rc = field_str(out, full ? "address" : "peer", p->address, 1);
	if (rc == PKS_OK)
		rc = field_int(out, "queued", p->queued);
	if (rc == PKS_OK)
		rc = field_int(out, "failed", p->failed);
	if (rc == PKS_OK && full)
		rc = field_int(out, "lastDelivered", p->last_delivered);
	if (rc == PKS_OK)
		rc = buf_addc(out, '}');
	return rc;
}

/* "mailQueue" (every peer with its counts) and "mailPeers" (the list). */
static enum pks_rc
json_mail(struct buf *out, const struct stats_snapshot *s)
{
	enum pks_rc rc;
	size_t i, k = 0;

	rc = buf_adds(out, ",\"mailQueue\":[");
	for (i = 0; i < s->nmail && rc == PKS_OK; i++)
		if (s->mail[i].listed || s->mail[i].queued || s->mail[i].failed)
			rc = json_mail_peer(out, &s->mail[i], k++ == 0, 0);
	if (rc == PKS_OK)
		rc = buf_adds(out, "],\"mailPeers\":[");
	for (i = k = 0; i < s->nmail && rc == PKS_OK; i++)
		if (s->mail[i].listed)
			rc = json_mail_peer(out, &s->mail[i], k++ == 0, 1);
	if (rc == PKS_OK)
		rc = buf_addc(out, ']');
	return rc;
}

static enum pks_rc
json_failed_row(struct buf *out, const struct store_outbox_failed *f, int first)
{
	enum pks_rc rc;

	rc = buf_printf(
	    out, "%s{\"id\":%lld", first ? "" : ",", (long long)f->id);
	if (rc == PKS_OK)
		rc = field_str(out, "kind", "incremental", 0);
	if (rc == PKS_OK)
		rc = field_str(out, "recipient", f->recipient, 0);
	if (rc == PKS_OK)
		rc = field_int(out, "created", f->created);
	if (rc == PKS_OK)
		rc = field_int(out, "tries", f->tries);
	if (rc == PKS_OK)
		rc = field_str(out, "why", f->why, 0);
	if (rc == PKS_OK)
		rc = buf_addc(out, '}');
	return rc;
}

/* "mailQueueTotals": the whole queue and the failed incrementals. */
static enum pks_rc
json_queue(struct buf *out, const struct stats_snapshot *s)
{
	const struct store_outbox_totals *t = &s->queue;
	enum pks_rc rc;
	size_t i, k = 0;

	rc = buf_printf(out,
	    ",\"mailQueueTotals\":{\"incrementalsQueued\":%lld,"
	    "\"incrementalsFailed\":%lld,\"repliesQueued\":%lld,"
	    "\"repliesFailed\":%lld,\"oldestQueued\":%lld,\"failed\":[",
	    (long long)t->incr_queued, (long long)t->incr_failed,
	    (long long)t->reply_queued, (long long)t->reply_failed,
	    (long long)t->oldest_queued);
	for (i = 0; i < s->nfailed && rc == PKS_OK; i++)
		if (!s->failed[i].reply)
			rc = json_failed_row(out, &s->failed[i], k++ == 0);
	if (rc == PKS_OK)
		rc = buf_adds(out, "]}");
	return rc;
}

static enum pks_rc
json_recon_peer(struct buf *out, const struct stats_recon_peer *p, int first)
{
	char url[300];
	enum pks_rc rc;

	if (p->hkp_port != 0)
		snprintf(
		    url, sizeof(url), "http://%s:%u", p->host, p->hkp_port);
	else
		url[0] = '\0';
	rc = buf_adds(out, first ? "{" : ",{");
	if (rc == PKS_OK)
		rc = field_str(out, "host", p->host, 1);
	if (rc == PKS_OK)
		rc = field_int(out, "reconPort", p->recon_port);
	if (rc == PKS_OK)
		rc = field_str(out, "hkpUrl", url, 0);
	if (rc == PKS_OK)
		rc = field_int(out, "lastRecon", p->last);
	if (rc == PKS_OK)
		rc = field_str(out, "role", p->role, 0);
	if (rc == PKS_OK)
		rc = field_str(out, "result", p->result, 0);
	if (rc == PKS_OK)
		rc = field_int(out, "lastGood", p->last_good);
	if (rc == PKS_OK)
		rc = field_int(out, "keysIn", p->keys_in);
	if (rc == PKS_OK)
		rc = field_int(out, "keysOut", p->keys_out);
	if (rc == PKS_OK)
		rc = field_int(out, "fetched", p->fetched);
	if (rc == PKS_OK)
		rc = buf_addc(out, '}');
	return rc;
}

static enum pks_rc
json_recon(struct buf *out, const struct stats_snapshot *s)
{
	enum pks_rc rc;
	size_t i, k = 0;

	rc = buf_adds(out, ",\"reconPeers\":[");
	for (i = 0; i < s->nrecon && rc == PKS_OK; i++)
		if (s->recon[i].listed)
			rc = json_recon_peer(out, &s->recon[i], k++ == 0);
	if (rc == PKS_OK)
		rc = buf_addc(out, ']');
	return rc;
}

static enum pks_rc
json_days(struct buf *out, const struct stats_snapshot *s)
{
	enum pks_rc rc;
	size_t i;

	rc = buf_adds(out, ",\"daily\":[");
	for (i = 0; i < s->ndays && rc == PKS_OK; i++) {
		rc = buf_adds(out, i > 0 ? ",{" : "{");
		if (rc == PKS_OK)
			rc = field_str(out, "day", s->days[i].day, 1);
		if (rc == PKS_OK)
			rc = field_int(out, "new", s->days[i].nnew);
		if (rc == PKS_OK)
			rc = field_int(out, "updated", s->days[i].nupdated);
		if (rc == PKS_OK)
			rc = buf_addc(out, '}');
	}
	if (rc == PKS_OK)
		rc = buf_addc(out, ']');
	return rc;
}

enum pks_rc
stats_render_json(const struct stats_snapshot *s, struct buf *out)
{
	enum pks_rc rc;

	rc = buf_addc(out, '{');
	if (rc == PKS_OK)
		rc = json_settings(out, s);
	if (rc == PKS_OK)
		rc = json_lists(out, s);
	if (rc == PKS_OK)
		rc = json_mail(out, s);
	if (rc == PKS_OK)
		rc = json_queue(out, s);
	if (rc == PKS_OK)
		rc = json_recon(out, s);
	if (rc == PKS_OK)
		rc = json_days(out, s);
	if (rc == PKS_OK)
		rc = buf_adds(out, "}\n");
	return rc;
}

/* Unix time t as UTC text, none for 0. */
static const char *
when(int64_t t, const char *none, char buf[32])
{
	return utc_text(t, UTC_SECOND, none, buf, 32);
}

static enum pks_rc
text_keys(const struct stats_snapshot *s, struct buf *out)
{
	enum pks_rc rc;
	size_t i;

	rc = buf_printf(out, "hostname: %s\ndatabase: %s\nkeys: %lld\n",
	    s->hostname, s->dbfile, (long long)s->keys);
	if (rc == PKS_OK)
		rc =
		    buf_printf(out, "%-10s %8s %8s\n", "day", "new", "updated");
	for (i = 0; i < s->ndays && rc == PKS_OK; i++)
		rc = buf_printf(out, "%-10s %8lld %8lld\n", s->days[i].day,
		    (long long)s->days[i].nnew, (long long)s->days[i].nupdated);
	return rc;
}

static enum pks_rc
text_failed(const struct stats_snapshot *s, struct buf *out)
{
	const struct store_outbox_failed *f;
	char w[32];
	enum pks_rc rc = PKS_OK;
	size_t i;

	for (i = 0; i < s->nfailed && rc == PKS_OK; i++) {
		f = &s->failed[i];
		rc = buf_printf(out,
		    "failed #%lld: %s to %s, queued %s UTC, %lld tries: %s\n",
		    (long long)f->id, f->reply ? "reply" : "incremental",
		    f->recipient, when(f->created, "-", w), (long long)f->tries,
		    f->why);
	}
	return rc;
}

static enum pks_rc
text_queue(const struct stats_snapshot *s, struct buf *out)
{
	const struct stats_mail_peer *p;
	char w[32];
	enum pks_rc rc;
	size_t i;

	rc = buf_printf(out,
	    "mail queue: %lld incrementals queued, %lld failed; %lld "
	    "replies queued, %lld failed; oldest queued: %s UTC\n",
	    (long long)s->queue.incr_queued, (long long)s->queue.incr_failed,
	    (long long)s->queue.reply_queued, (long long)s->queue.reply_failed,
	    when(s->queue.oldest_queued, "-", w));
	if (rc == PKS_OK)
		rc = buf_printf(out, "%-40s %8s %8s  %s\n", "mail sync peer",
		    "queued", "failed", "last delivered (UTC)");
	for (i = 0; i < s->nmail && rc == PKS_OK; i++) {
		p = &s->mail[i];
		rc = buf_printf(out, "%-40s %8lld %8lld  %s%s\n", p->address,
		    (long long)p->queued, (long long)p->failed,
		    when(p->last_delivered, "never", w),
		    p->listed ? "" : " (not on the sync list)");
	}
	if (rc == PKS_OK)
		rc = text_failed(s, out);
	return rc;
}

/* Each recon peer: the last attempt (time, role, result) and the last
 * good session with its keys each way (">=N": a lower bound). */
static enum pks_rc
text_recon(const struct stats_snapshot *s, struct buf *out)
{
	const struct stats_recon_peer *p;
	char w[32], ok[32], ko[32];
	enum pks_rc rc;
	size_t i;

	rc = buf_printf(out, "%-24s %-19s %-9s %-19s %7s %8s %8s  %s\n",
	    "recon peer", "last (UTC)", "as", "last ok (UTC)", "in", "out",
	    "fetched", "result");
	for (i = 0; i < s->nrecon && rc == PKS_OK; i++) {
		p = &s->recon[i];
		snprintf(ko, sizeof(ko), "%s%lld",
		    p->keys_out_at_least ? ">=" : "", (long long)p->keys_out);
		rc = buf_printf(out,
		    "%-24s %-19s %-9s %-19s %7lld %8s %8lld  %s\n", p->name,
		    when(p->last, "never", w), p->role[0] ? p->role : "-",
		    when(p->last_good, "never", ok), (long long)p->keys_in, ko,
		    (long long)p->fetched, p->result);
	}
	return rc;
}

/* Keys refused for good (by the SKS hash they came with), newest
 * first: recon does not fetch these again. */
static enum pks_rc
text_refused(const struct stats_snapshot *s, struct buf *out)
{
	const struct stats_refused *r;
	char w[32];
	enum pks_rc rc;
	size_t i;

	rc = buf_adds(out, "refused keys (not fetched again):\n");
	for (i = 0; i < s->nrefused_rows && rc == PKS_OK; i++) {
		r = &s->refused_rows[i];
		rc = buf_printf(out,
		    "refused %s key %s from %s, %lld times, last %s UTC: %s\n",
		    r->hash, r->fpr[0] ? r->fpr : "-", r->source,
		    (long long)r->count, when(r->last, "never", w), r->reason);
	}
	if (rc == PKS_OK)
		rc = buf_printf(
		    out, "%lld refused in all\n", (long long)s->refused);
	return rc;
}

enum pks_rc
stats_render_text(const struct stats_snapshot *s, struct buf *out)
{
	enum pks_rc rc;

	rc = text_keys(s, out);
	if (rc == PKS_OK)
		rc = text_queue(s, out);
	if (rc == PKS_OK)
		rc = text_recon(s, out);
	if (rc == PKS_OK)
		rc = text_refused(s, out);
	return rc;
}

enum stats_health
stats_mail_health(const struct stats_mail_peer *p)
{
	if (p->failed > 0)
		return STATS_HEALTH_FAILING;
	if (p->queued > 0)
		return STATS_HEALTH_WAIT;
	return p->last_delivered > 0 ? STATS_HEALTH_OK : STATS_HEALTH_IDLE;
}

enum stats_health
stats_recon_health(const struct stats_recon_peer *p)
{
	if (p->last == 0)
		return STATS_HEALTH_IDLE;
	return strcmp(p->result, "ok") == 0 ? STATS_HEALTH_OK
					    : STATS_HEALTH_FAILING;
}

const char *
stats_health_word(enum stats_health h)
{
	static const char *const words[] = { [STATS_HEALTH_OK] = "ok",
		[STATS_HEALTH_WAIT] = "waiting",
		[STATS_HEALTH_FAILING] = "failing",
		[STATS_HEALTH_IDLE] = "idle" };

	return (unsigned)h < sizeof(words) / sizeof(words[0]) ? words[h]
							      : "idle";
}
