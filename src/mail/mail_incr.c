/*
 * mail_incr.c: keys out of mail parts into ingest, and incoming
 * incrementals from sync peers.
 */
#include <config.h>

#include <string.h>
#include <strings.h>

#include "mail/mail_incr.h"
#include "ingest/ingest.h"
#include "pgp/pgp_armor.h"
#include "util/log.h"

/* A part worth handing to ingest. */
static int
has_keys(const struct mail_part *p)
{
	if (p->len == 0)
		return 0;
	if (pgp_armor_present((const char *)p->data, p->len))
		return 1;
	/* Binary keys: an OpenPGP packet header has its top bit set. */
	if ((p->data[0] & 0x80) == 0)
		return 0;
	return strcmp(p->type, "application/pgp-keys") == 0 ||
	       strcmp(p->type, "application/pgp") == 0 ||
	       strcmp(p->type, "application/octet-stream") == 0;
}

enum pks_rc
mail_ingest_keys(struct store *st, const struct ingest_origin *origin,
    const struct mail_msg *m, ingest_cb cb, void *arg,
    struct ingest_stats *stats, size_t *nparts)
{
	size_t i;
	enum pks_rc rc;

	*nparts = 0;
	for (i = 0; i < m->nparts; i++) {
		if (!has_keys(&m->parts[i]))
			continue;
		rc = ingest_text(st, origin, (const char *)m->parts[i].data,
		    m->parts[i].len, cb, arg, stats);
		if (rc == PKS_ERR_NOTFOUND)
			continue;
		if (rc != PKS_OK)
			return rc;
		(*nparts)++;
	}
	return PKS_OK;
}

/* Whether site is on the sync list: sync, else the file read now. */
static enum pks_rc
is_peer(const struct pks_config *cfg, const struct ingest_sync *sync,
    const char *site, int *yes)
{
	struct ingest_sync *read = NULL;
	enum pks_rc rc;

	*yes = 0;
	if (sync != NULL) {
		*yes = ingest_sync_has(sync, site);
		return PKS_OK;
	}
	rc = ingest_sync_read(cfg->peers_file, cfg->this_site, &read);
	if (rc != PKS_OK)
		return PKS_ERR_IO;
	*yes = ingest_sync_has(read, site);
	ingest_sync_free(read);
	return PKS_OK;
}

/* Whether the policy lets this incremental in; logs when not. */
static enum pks_rc
accepted(const struct pks_config *cfg, const struct ingest_sync *sync,
    const char *site, int *ok)
{
	enum pks_rc rc;

	*ok = 0;
	if (site != NULL && strcasecmp(site, cfg->this_site) == 0) {
		log_info("mail: incremental ignored: our own (X-KeyServer-Sent "
			 "%s is this_site)",
		    site);
		return PKS_OK;
	}
	if (strcmp(cfg->accept_incrementals, "anyone") == 0) {
		*ok = 1;
		return PKS_OK;
	}
	if (site == NULL) {
		log_info(
		    "mail: incremental ignored: no X-KeyServer-Sent header "
		    "(accept_incrementals = peers)");
		return PKS_OK;
	}
	if ((rc = is_peer(cfg, sync, site, ok)) != PKS_OK)
		return rc;
	if (!*ok)
		log_info("mail: incremental ignored: sending site %s is not in "
			 "the sync list %s",
		    site, cfg->peers_file);
	return PKS_OK;
}

enum pks_rc
mail_incr_handle(const struct pks_config *cfg, struct store *st,
    const struct ingest_sync *sync, const struct mail_msg *m, int *ignored)
{
	struct ingest_stats stats;
	struct ingest_origin origin;
	const char *site;
	size_t nparts;
	int ok;
	enum pks_rc rc;

	memset(&origin, 0, sizeof(origin));
	site = m->nsent > 0 ? m->sent[m->nsent - 1] : NULL;
	if ((rc = accepted(cfg, sync, site, &ok)) != PKS_OK)
		return rc;
	if (!ok) {
		*ignored = 1;
		return PKS_OK;
	}
	memset(&stats, 0, sizeof(stats));
	origin.src = INGEST_MAIL_INCREMENTAL;
	origin.sent = (const char *const *)m->sent;
	origin.nsent = m->nsent;
	origin.sync = sync;
	rc = mail_ingest_keys(st, &origin, m, NULL, NULL, &stats, &nparts);
	if (rc != PKS_OK)
		return rc;
	if (nparts == 0) {
		log_info("mail: incremental from %s held no keys",
		    site != NULL ? site : "(unknown site)");
		return PKS_OK;
	}
	log_info("mail: incremental from %s: new=%zu updated=%zu "
		 "unchanged=%zu refused=%zu queued=%zu",
	    site != NULL ? site : "(unknown site)", stats.nnew, stats.nupdated,
	    stats.nunchanged, stats.nrefused, stats.nqueued);
	return PKS_OK;
}
