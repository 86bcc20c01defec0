/*
 * cmd_init.c: "pksync init" creates the data folder and the database,
 * or brings an existing database up to the current schema.  Running it
 * again changes nothing.  Also holds cmd_open_store(), shared by the
 * commands that use the database.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>

#include "cmd/cmd.h"
#include "store/store.h"
#include "util/log.h"

int
cmd_make_dirs(const char *path)
{
	char tmp[4096];
	size_t i, n = strlen(path);

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0750) == -1 && errno != EEXIST)
			return -1;
		tmp[i] = i == n ? '\0' : '/';
	}
	return 0;
}

int
cmd_open_store(const struct pks_config *cfg, int create, struct store **out)
{
	enum pks_rc rc;

	if (create && cmd_make_dirs(cfg->datadir) == -1) {
		log_warn("cannot create data folder %s", cfg->datadir);
		return EX_CANTCREAT;
	}
	rc = store_open(cfg->dbfile,
	    (create ? STORE_CREATE : 0) |
		(create == CMD_OPEN_IMPORT ? STORE_BULK : 0),
	    cfg->busy_timeout_ms, out);
	if (rc != PKS_OK) {
		log_warnx(
		    "cannot open database %s: %s", cfg->dbfile, pks_rc_str(rc));
		return pks_rc_sysexit(rc);
	}
	return EX_OK;
}

int
cmd_init(struct cmd_ctx *ctx)
{
	struct store *st = NULL;
	int64_t n = 0;
	int status;

	if (ctx->argc != 1) {
		fprintf(stderr, "usage: pksync init\n");
		return EX_USAGE;
	}
	if ((status = cmd_priv_become_user(ctx->cfg, "init")) != EX_OK)
		return status;
	status = cmd_open_store(ctx->cfg, 1, &st);
	if (status != EX_OK)
		return status;
	if (store_count_keys(st, &n) != PKS_OK)
		status = EX_SOFTWARE;
	store_close(st);
	if (status == EX_OK)
		printf("database %s ready (%lld keys)\n", ctx->cfg->dbfile,
		    (long long)n);
	return status;
}
