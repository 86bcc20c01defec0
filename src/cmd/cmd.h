/*
 * cmd.h: the subcommands of the pksync program.
 *
 * main.c parses the global options, loads the configuration and calls
 * one of these with the remaining arguments (argv[0] is the command
 * name).  Each returns a process exit status (sysexits codes).
 */
#ifndef PKS_CMD_H
#define PKS_CMD_H

#include <sys/types.h>

#include "util/config.h"

struct cmd_ctx {
	struct pks_config *cfg; /* owned by main; serve may replace it */
	const char *conf_path;  /* -c FILE, or NULL: $PKSYNC_CONF, default */
	int verbose; /* -v given: debug logging whatever the file says */
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
int cmd_delete(struct cmd_ctx *ctx);
int cmd_undelete(struct cmd_ctx *ctx);
int cmd_network(struct cmd_ctx *ctx);

/* Shared by the commands: open the database (creating the data folder
 * and schema when create is set; CMD_OPEN_IMPORT also opens a database
 * whose bulk import did not finish, store_bulk.h); logs the reason on
 * failure. */
#define CMD_OPEN_IMPORT 2
struct store;
int cmd_open_store(
    const struct pks_config *cfg, int create, struct store **out);

/* mkdir -p with mode 0750; -1 and errno on failure. */
int cmd_make_dirs(const char *path);

/*
 * Root (cmd_priv.c).  Started as root, the commands that write the
 * database (init, import, serve, mail-filter, queue-run) become
 * [server] user, or refuse with a message naming the key when it is
 * not set.  cmd_priv_begin looks the user up and creates a missing data
 * folder owned by it (nothing happens unless euid is 0); cmd_priv_drop
 * then becomes the user for good.  serve binds its ports in between.
 * Both return EX_OK or a sysexits code (the reason is logged).
 */
struct cmd_priv {
	int active; /* 0: not root, nothing to do */
	uid_t uid;
	gid_t gid;
	const char *user; /* borrowed from the config */
};
int cmd_priv_begin(
    const struct pks_config *cfg, const char *what, struct cmd_priv *p);
int cmd_priv_drop(const struct cmd_priv *p);
/* Both at once, for the commands that bind nothing. */
int cmd_priv_become_user(const struct pks_config *cfg, const char *what);
/* For the commands that read the database (stats, check): become
 * [server] user when started as root and it is set, so that nothing in
 * the data folder (SQLite's -wal and -shm files) is made root's; stay
 * as started when it is not set. */
int cmd_priv_reader(const struct pks_config *cfg, const char *what);

#endif
