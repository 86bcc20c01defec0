/*
 * cmd_queue_run.c: "pksync queue-run" sends the outgoing mail queue
 * through [mail] relay and exits when nothing is due (mail_queue.h), so
 * cron or a systemd timer can start it every minute.  Two runs at once
 * are safe: each row is claimed by one run only.
 *
 * Exit status: 0 when every message due was sent or given up (failed
 * ones are listed by "pksync stats"); 75 (EX_TEMPFAIL) when messages
 * were deferred (the relay said 4xx or could not be reached: they are
 * retried by a later run) or the database was busy; others as usual.
 * One summary line is printed when anything was due.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "cmd/cmd.h"
#include "mail/mail_queue.h"
#include "store/store.h"
#include "util/log.h"

int
cmd_queue_run(struct cmd_ctx *ctx)
{
	struct mail_queue_stats qs;
	struct store *st = NULL;
	enum pks_rc rc;
	int status;

	if (ctx->argc != 1) {
		fprintf(stderr, "usage: pksync queue-run\n");
		return EX_USAGE;
	}
	if ((status = cmd_priv_become_user(ctx->cfg, "queue-run")) != EX_OK)
		return status;
	if ((status = cmd_open_store(ctx->cfg, 0, &st)) != EX_OK)
		return status;
	rc = mail_queue_run(ctx->cfg, st, &qs);
	store_close(st);
	if (qs.rows > 0 || qs.expired > 0)
		printf("queue-run: %zu messages: %zu sent, %zu deferred, "
		       "%zu failed; %zu given up for age, %zu rows not "
		       "composed\n",
		    qs.messages, qs.sent, qs.deferred, qs.failed, qs.expired,
		    qs.unsendable);
	if (rc != PKS_OK) {
		log_warnx("queue-run stopped: %s", pks_rc_str(rc));
		return pks_rc_sysexit(rc);
	}
	return qs.deferred > 0 ? EX_TEMPFAIL : EX_OK;
}
