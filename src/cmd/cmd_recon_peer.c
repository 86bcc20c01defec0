/*
 * cmd_recon_peer.c: "pksync recon-peer list | add HOST PORT |
 * remove HOST PORT" shows and edits the recon membership file ([recon]
 * membership_file, SKS format "host port # comment") through
 * peers/peers_recon.h: every other line, comments included, is kept and
 * the file is replaced atomically under the edit lock, so a running
 * serve (which re-reads the file when it changes) never sees half a
 * file and two edits at once lose nothing.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cmd/cmd.h"
#include "peers/peers_recon.h"
#include "util/log.h"

static int
list(const char *path)
{
	struct peers_recon_list *l = NULL;
	size_t i;

	if (peers_recon_read(path, &l) != PKS_OK)
		return EX_IOERR;
	for (i = 0; i < l->n; i++)
		printf("%s %u\n", l->v[i].host, (unsigned)l->v[i].port);
	peers_recon_list_free(l);
	return EX_OK;
}

static int
add(const char *path, const char *host, const char *port)
{
	enum pks_rc rc;
	int already = 0;

	rc = peers_recon_add(path, host, port, &already);
	if (rc == PKS_ERR_PARSE) {
		fprintf(stderr, "pksync: bad host or port\n");
		return EX_USAGE;
	}
	if (rc != PKS_OK)
		return pks_rc_sysexit(rc);
	if (already)
		printf("%s %s is already a recon peer\n", host, port);
	return EX_OK;
}

static int
remove_peer(const char *path, const char *host, const char *port)
{
	enum pks_rc rc;

	rc = peers_recon_remove(path, host, port);
	if (rc == PKS_ERR_PARSE) {
		fprintf(stderr, "pksync: bad host or port\n");
		return EX_USAGE;
	}
	if (rc == PKS_ERR_NOTFOUND) {
		fprintf(
		    stderr, "pksync: %s %s is not a recon peer\n", host, port);
		return EX_DATAERR;
	}
	return rc == PKS_OK ? EX_OK : pks_rc_sysexit(rc);
}

int
cmd_recon_peer(struct cmd_ctx *ctx)
{
	const char *path = ctx->cfg->membership_file;

	if (ctx->argc == 2 && strcmp(ctx->argv[1], "list") == 0)
		return list(path);
	if (ctx->argc == 4 && strcmp(ctx->argv[1], "add") == 0)
		return add(path, ctx->argv[2], ctx->argv[3]);
	if (ctx->argc == 4 && strcmp(ctx->argv[1], "remove") == 0)
		return remove_peer(path, ctx->argv[2], ctx->argv[3]);
	fprintf(stderr, "usage: pksync recon-peer list | add HOST PORT | "
			"remove HOST PORT\n");
	return EX_USAGE;
}
