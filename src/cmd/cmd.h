/*
 * cmd.h: the subcommands of the pksync program.
 *
 * main.c parses the global options, loads the configuration and calls
 * one of these with the remaining arguments (argv[0] is the command
 * name).  Each returns a process exit status (sysexits codes).
 */
#ifndef PKS_CMD_H
#define PKS_CMD_H

#include "util/config.h"

struct cmd_ctx {
	struct pks_config *cfg;
	int argc;
	char **argv;
};

int cmd_init(struct cmd_ctx *ctx);
int cmd_import(struct cmd_ctx *ctx);
int cmd_dump(struct cmd_ctx *ctx);
int cmd_serve(struct cmd_ctx *ctx);
int cmd_check(struct cmd_ctx *ctx);
int cmd_stats(struct cmd_ctx *ctx);
int cmd_mail_filter(struct cmd_ctx *ctx);
int cmd_queue_run(struct cmd_ctx *ctx);
int cmd_peer(struct cmd_ctx *ctx);
int cmd_recon_peer(struct cmd_ctx *ctx);

/* Shared by the commands: open the database (creating the data folder
 * and schema when create is set); logs the reason on failure. */
struct store;
int cmd_open_store(
    const struct pks_config *cfg, int create, struct store **out);

#endif
