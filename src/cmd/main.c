/*
 * main.c: the pksync command line.
 *
 *   pksync [-c FILE] [-v] COMMAND [ARGS]
 *
 * Global options come before the command.  The configuration is read
 * from -c FILE, $PKSYNC_CONF or the default path; every command sees
 * the same parsed struct pks_config.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "util/log.h"

struct command {
	const char *name;
	int (*run)(struct cmd_ctx *);
	const char *usage;
};

static const struct command commands[] = {
	{ "init", cmd_init, "init" },
	{ "import", cmd_import, "import [-q] FILE..." },
	{ "dump", cmd_dump, "dump DIR" },
	{ "serve", cmd_serve, "serve" },
	{ "check", cmd_check, "check [--rebuild-ptree]" },
	{ "stats", cmd_stats, "stats [--json]" },
	{ "mail-filter", cmd_mail_filter, "mail-filter [--dry-run]" },
	{ "queue-run", cmd_queue_run, "queue-run" },
	{ "peer", cmd_peer, "peer list | add ADDR | remove ADDR" },
	{ "delete", cmd_delete,
	    "delete FINGERPRINT --reason TEXT | delete --list" },
	{ "undelete", cmd_undelete, "undelete FINGERPRINT" },
	{ "recon-peer", cmd_recon_peer,
	    "recon-peer list | add HOST PORT | remove HOST PORT" },
	{ "network", cmd_network,
	    "network [--json | --dot] [--trace FINGERPRINT] [URL...]" },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: pksync [-c FILE] [-v] COMMAND [ARGS]\ncommands:\n");
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %s\n", commands[i].usage);
}

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	const struct command *cmd;
	struct cmd_ctx ctx;
	const char *conf = NULL;
	char *msg = NULL;
	int ch, verbose = 0, status;

	while ((ch = getopt(argc, argv, "+c:vhV")) != -1) {
		switch (ch) {
		case 'c':
			conf = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'V':
			printf("pksync %s\n", PACKAGE_VERSION);
			return EX_OK;
		case 'h':
			usage(stdout);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if ((cmd = find_command(argv[optind])) == NULL) {
		fprintf(stderr, "pksync: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return EX_USAGE;
	}
	/* Nothing pksync writes is for other users (the database holds
	 * the addresses of people who wrote to it). */
	umask(027);
	log_init(cmd->name, LOG_LVL_INFO);
	memset(&ctx, 0, sizeof(ctx));
	if (config_load(conf, &ctx.cfg, &msg) != PKS_OK) {
		fprintf(
		    stderr, "pksync: %s\n", msg ? msg : "configuration error");
		free(msg);
		return EX_CONFIG;
	}
	log_set_level(
	    verbose ? LOG_LVL_DEBUG : (enum log_level)ctx.cfg->log_level);
	ctx.conf_path = conf;
	ctx.verbose = verbose;
	ctx.argc = argc - optind;
	ctx.argv = argv + optind;
	status = cmd->run(&ctx);
	config_free(ctx.cfg);
	return status;
}
