/*
 * cmd_peer.c: "pksync peer list | add ADDR | remove ADDR" shows and
 * edits the mail sync list, [mail] peers_file (peers/peers_mail.h).  Edits
 * keep every other line and comment and replace the file atomically;
 * a running server and the mail filter see them on their next use.
 * A malformed address is refused (exit 65) and changes nothing.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "cmd/cmd.h"
#include "peers/peers_mail.h"
#include "util/log.h"

static int
usage(void)
{
	fprintf(stderr, "usage: pksync peer list | add ADDR | remove ADDR\n");
	return EX_USAGE;
}

static int
peer_list(const struct pks_config *cfg)
{
	struct peers_mail_list *l = NULL;
	size_t i;

	if (peers_mail_read(cfg->peers_file, &l) != PKS_OK)
		return EX_IOERR;
	for (i = 0; i < l->n; i++)
		printf("%s\n", l->addrs[i]);
	peers_mail_list_free(l);
	return EX_OK;
}

static int
peer_add(const struct pks_config *cfg, const char *addr)
{
	enum pks_rc rc;
	int already = 0;

	rc = peers_mail_add(cfg->peers_file, addr, &already);
	if (rc == PKS_ERR_PARSE) {
		fprintf(stderr,
		    "pksync: '%s' is not a mail address "
		    "(local@host.name)\n",
		    addr);
		return EX_DATAERR;
	}
	if (rc != PKS_OK)
		return pks_rc_sysexit(rc);
	if (already)
		printf("%s is already in %s\n", addr, cfg->peers_file);
	else
		printf("%s added to %s\n", addr, cfg->peers_file);
	if (strcasecmp(addr, cfg->this_site) == 0)
		log_warnx("%s is this_site: nothing is ever sent to it", addr);
	return EX_OK;
}

static int
peer_remove(const struct pks_config *cfg, const char *addr)
{
	enum pks_rc rc;

	rc = peers_mail_remove(cfg->peers_file, addr);
	if (rc == PKS_ERR_NOTFOUND) {
		fprintf(
		    stderr, "pksync: %s is not in %s\n", addr, cfg->peers_file);
		return EX_DATAERR;
	}
	if (rc != PKS_OK)
		return pks_rc_sysexit(rc);
	printf("%s removed from %s\n", addr, cfg->peers_file);
	return EX_OK;
}

int
cmd_peer(struct cmd_ctx *ctx)
{
	if (ctx->argc == 2 && strcmp(ctx->argv[1], "list") == 0)
		return peer_list(ctx->cfg);
	if (ctx->argc == 3 && strcmp(ctx->argv[1], "add") == 0)
		return peer_add(ctx->cfg, ctx->argv[2]);
	if (ctx->argc == 3 && strcmp(ctx->argv[1], "remove") == 0)
		return peer_remove(ctx->cfg, ctx->argv[2]);
	return usage();
}
