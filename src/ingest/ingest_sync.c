/*
 * ingest_sync.c: the mail sync list as ingest uses it (struct
 * ingest_sync), made from the peers file that peers/peers_mail.c reads.
 */
#include <config.h>

#include <stdlib.h>
#include <strings.h>

#include "ingest/ingest.h"
#include "peers/peers_mail.h"
#include "util/xalloc.h"

/* A sync list taking the addresses of l (l is freed). */
static struct ingest_sync *
sync_take(const char *this_site, struct peers_mail_list *l)
{
	struct ingest_sync *sy = xcalloc(1, sizeof(*sy));

	sy->this_site = xstrdup(this_site != NULL ? this_site : "");
	sy->peers = l->addrs;
	sy->npeers = l->n;
	free(l);
	return sy;
}

enum pks_rc
ingest_sync_read(
    const char *path, const char *this_site, struct ingest_sync **out)
{
	struct peers_mail_list *l = NULL;
	enum pks_rc rc;

	*out = NULL;
	rc = peers_mail_read(path, &l);
	if (rc == PKS_OK)
		*out = sync_take(this_site, l);
	return rc;
}

int
ingest_sync_has(const struct ingest_sync *sy, const char *addr)
{
	size_t i;

	if (sy == NULL || addr == NULL)
		return 0;
	for (i = 0; i < sy->npeers; i++)
		if (strcasecmp(sy->peers[i], addr) == 0)
			return 1;
	return 0;
}

struct ingest_sync_file {
	struct peers_mail *pm;
	char *this_site;
};

struct ingest_sync_file *
ingest_sync_file_new(const char *path, const char *this_site)
{
	struct ingest_sync_file *f = xcalloc(1, sizeof(*f));

	f->pm = peers_mail_new(path);
	f->this_site = xstrdup(this_site != NULL ? this_site : "");
	return f;
}

void
ingest_sync_file_free(struct ingest_sync_file *f)
{
	if (f == NULL)
		return;
	peers_mail_free(f->pm);
	free(f->this_site);
	free(f);
}

enum pks_rc
ingest_sync_file_get(void *arg, struct ingest_sync **out)
{
	struct ingest_sync_file *f = arg;
	struct peers_mail_list *l = NULL;
	enum pks_rc rc;

	*out = NULL;
	rc = peers_mail_get(f->pm, &l);
	if (rc == PKS_OK)
		*out = sync_take(f->this_site, l);
	return rc;
}
