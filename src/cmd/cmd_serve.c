/*
 * cmd_serve.c: "pksync serve" runs the HKP server in the foreground
 * until SIGTERM or SIGINT.  Logs go to stderr.  The signals are blocked
 * before any thread starts, so only this thread receives them.
 */
#include <config.h>

#include <signal.h>
#include <stdio.h>
#include <sysexits.h>

#include "cmd/cmd.h"
#include "hkp/hkp_server.h"
#include "store/store.h"
#include "util/log.h"

int
cmd_serve(struct cmd_ctx *ctx)
{
	struct hkp_server *srv = NULL;
	struct store *st = NULL;
	sigset_t set;
	int sig = 0, status;

	if (ctx->argc != 1) {
		fprintf(stderr, "usage: pksync serve\n");
		return EX_USAGE;
	}
	/* Create or migrate the database before the workers open it. */
	if ((status = cmd_open_store(ctx->cfg, 1, &st)) != EX_OK)
		return status;
	store_close(st);

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (hkp_server_start(ctx->cfg, &srv) != PKS_OK) {
		log_warnx("cannot start the HKP server on %s",
		    ctx->cfg->http_listen);
		return EX_UNAVAILABLE;
	}
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		log_info("SIGHUP: nothing to reload (files are re-read on change)");
	}
	log_info("signal %d: stopping", sig);
	hkp_server_stop(srv);
	return EX_OK;
}
