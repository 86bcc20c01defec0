/*
 * stats_snapshot.c: taking one snapshot of the server's state from the
 * configuration, the store and the peer files.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "peers/peers_mail.h"
#include "peers/peers_recon.h"
#include "stats/stats_snapshot.h"
#include "store/store_ptree.h"
#include "store/store_refused.h"
#include "util/log.h"
#include "util/xalloc.h"

static char *
dup_or_empty(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

static void
settings(const struct pks_config *cfg, struct stats_snapshot *s)
{
	char *host = NULL;
	uint16_t port;

	s->taken = (int64_t)time(NULL);
	s->hostname = dup_or_empty(cfg->hostname);
	s->nodename = dup_or_empty(cfg->nodename);
	s->contact = dup_or_empty(cfg->contact);
	s->dbfile = dup_or_empty(cfg->dbfile);
	s->software = "pksync";
	s->version = PACKAGE_VERSION;
	s->http_port = cfg->http_port;
	s->recon_port = -1;
	if (cfg->recon_listen != NULL &&
	    config_parse_hostport(cfg->recon_listen, &host, &port) == PKS_OK)
		s->recon_port = port;
	free(host);
}

/* store_refused_list callback: keep a copy of each row. */
static void
keep_refused(void *arg, const struct store_refused *r)
{
	struct stats_snapshot *s = arg;
	struct stats_refused *d;

	s->refused_rows = xreallocarray(
	    s->refused_rows, s->nrefused_rows + 1, sizeof(*s->refused_rows));
	d = &s->refused_rows[s->nrefused_rows++];
	d->hash = dup_or_empty(r->hash);
	d->fpr = dup_or_empty(r->fpr);
	d->reason = dup_or_empty(r->reason);
	d->source = dup_or_empty(r->source);
	d->first = r->first;
	d->last = r->last;
	d->count = r->count;
}

static enum pks_rc
counts(struct store *st, struct stats_snapshot *s)
{
	enum pks_rc rc;

	rc = store_count_keys(st, &s->keys);
	if (rc == PKS_OK)
		rc = store_stats_days(st, STATS_DAYS, &s->days, &s->ndays);
	if (rc == PKS_OK)
		rc = store_refused_list(
		    st, STATS_REFUSED, keep_refused, s, &s->refused);
	if (rc == PKS_OK)
		rc = store_outbox_totals(st, &s->queue);
	if (rc == PKS_OK)
		rc = store_outbox_failed_list(
		    st, STATS_FAILED, &s->failed, &s->nfailed);
	return rc;
}

/* The entry of addr in s->mail, appended (unlisted) if missing. */
static struct stats_mail_peer *
mail_peer(struct stats_snapshot *s, const char *addr, int listed)
{
	struct stats_mail_peer *p;
	size_t i;

	for (i = 0; i < s->nmail; i++)
		if (strcasecmp(s->mail[i].address, addr) == 0)
			return &s->mail[i];
	s->mail = xreallocarray(s->mail, s->nmail + 1, sizeof(*s->mail));
	p = &s->mail[s->nmail++];
	memset(p, 0, sizeof(*p));
	p->address = xstrdup(addr);
	p->listed = listed;
	return p;
}

/* The sync list, queue counts per recipient, last deliveries. */
static enum pks_rc
mail_peers(
    struct store *st, const struct pks_config *cfg, struct stats_snapshot *s)
{
	struct peers_mail_list *l = NULL;
	struct store_outbox_peer *q = NULL;
	struct store_outbox_delivered *d = NULL;
	struct stats_mail_peer *p;
	size_t i, k, nq = 0, nd = 0;
	enum pks_rc rc;

	if (cfg->peers_file != NULL &&
	    peers_mail_read(cfg->peers_file, &l) != PKS_OK)
		log_warnx("stats: the mail sync list counts as empty");
	for (i = 0; l != NULL && i < l->n; i++)
		(void)mail_peer(s, l->addrs[i], 1);
	rc = store_outbox_peers(st, &q, &nq);
	if (rc == PKS_OK)
		rc = store_outbox_delivered_list(st, &d, &nd);
	for (i = 0; rc == PKS_OK && i < nq; i++) {
		p = mail_peer(s, q[i].recipient, 0);
		p->queued += q[i].queued;
		p->failed += q[i].failed;
	}
	for (k = 0; rc == PKS_OK && k < nd; k++)
		for (i = 0; i < s->nmail; i++)
			if (strcasecmp(d[k].recipient, s->mail[i].address) == 0)
				s->mail[i].last_delivered = d[k].last_sent;
	peers_mail_list_free(l);
	store_outbox_peers_free(q, nq);
	store_outbox_delivered_free(d, nd);
	return rc;
}

/* A new recon entry for "host port" (split at the last space). */
static struct stats_recon_peer *
recon_peer(struct stats_snapshot *s, const char *name, int listed)
{
	struct stats_recon_peer *p;
	const char *sp = strrchr(name, ' ');
	unsigned long port = sp != NULL ? strtoul(sp + 1, NULL, 10) : 0;

	s->recon = xreallocarray(s->recon, s->nrecon + 1, sizeof(*s->recon));
	p = &s->recon[s->nrecon++];
	memset(p, 0, sizeof(*p));
	p->name = xstrdup(name);
	p->host =
	    sp != NULL ? xstrndup(name, (size_t)(sp - name)) : xstrdup(name);
	p->recon_port = port <= 65535 ? (unsigned)port : 0;
	p->hkp_port =
	    p->recon_port > 0 && p->recon_port < 65535 ? p->recon_port + 1 : 0;
	p->listed = listed;
	p->role = xstrdup("");
	p->result = xstrdup("");
	return p;
}

/* Fill p from its recorded sessions. */
static void
recon_fill(struct stats_recon_peer *p, const struct store_recon_peer *r)
{
	p->last = r->last;
	free(p->role);
	free(p->result);
	p->role = xstrdup(r->role);
	p->result = xstrdup(r->result);
	p->last_good = r->ok_last;
	p->keys_in = r->ok_keys_in;
	p->keys_out = r->ok_keys_out;
	p->keys_out_at_least = strcmp(r->ok_role, "responder") == 0;
	p->fetched = r->ok_fetched;
}

/* The membership in file order, then peers with sessions on record
 * that are members no more. */
static enum pks_rc
recon_peers(
    struct store *st, const struct pks_config *cfg, struct stats_snapshot *s)
{
	struct peers_recon_list *l = NULL;
	struct store_recon_peer *rows = NULL;
	char name[300];
	size_t i, k, nrows = 0, nlisted;
	enum pks_rc rc;

	if (cfg->membership_file != NULL &&
	    peers_recon_read(cfg->membership_file, &l) != PKS_OK)
		log_warnx("stats: the recon membership counts as empty");
	for (i = 0; l != NULL && i < l->n; i++) {
		snprintf(name, sizeof(name), "%s %u", l->v[i].host,
		    (unsigned)l->v[i].port);
		(void)recon_peer(s, name, 1);
	}
	peers_recon_list_free(l);
	nlisted = s->nrecon;
	rc = store_recon_peer_list(st, &rows, &nrows);
	for (k = 0; rc == PKS_OK && k < nrows; k++) {
		for (i = 0; i < nlisted; i++)
			if (strcasecmp(s->recon[i].name, rows[k].peer) == 0)
				break;
		recon_fill(
		    i < nlisted ? &s->recon[i] : recon_peer(s, rows[k].peer, 0),
		    &rows[k]);
	}
	free(rows);
	return rc;
}

enum pks_rc
stats_snapshot_take(
    struct store *st, const struct pks_config *cfg, struct stats_snapshot **out)
{
	struct stats_snapshot *s = xcalloc(1, sizeof(*s));
	enum pks_rc rc;

	*out = NULL;
	settings(cfg, s);
	rc = counts(st, s);
	if (rc == PKS_OK)
		rc = mail_peers(st, cfg, s);
	if (rc == PKS_OK)
		rc = recon_peers(st, cfg, s);
	if (rc != PKS_OK) {
		stats_snapshot_free(s);
		return rc;
	}
	*out = s;
	return PKS_OK;
}

void
stats_snapshot_free(struct stats_snapshot *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nmail; i++)
		free(s->mail[i].address);
	for (i = 0; i < s->nrecon; i++) {
		free(s->recon[i].name);
		free(s->recon[i].host);
		free(s->recon[i].role);
		free(s->recon[i].result);
	}
	for (i = 0; i < s->nrefused_rows; i++) {
		free(s->refused_rows[i].hash);
		free(s->refused_rows[i].fpr);
		free(s->refused_rows[i].reason);
		free(s->refused_rows[i].source);
	}
	free(s->mail);
	free(s->recon);
	free(s->refused_rows);
	free(s->days);
	store_outbox_failed_free(s->failed, s->nfailed);
	free(s->hostname);
	free(s->nodename);
	free(s->contact);
	free(s->dbfile);
	free(s);
}
