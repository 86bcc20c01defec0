/*
 * cmd_serve.c: "pksync serve" runs the HKP server, and the recon service
 * when [recon] listen is set, in the foreground until SIGTERM or SIGINT.
 * Logs go to stderr.  The signals are blocked before any thread starts,
 * so only this thread receives them.  Recon has its own thread and
 * database connection, so HKP stays responsive during a session.
 * Started as root, serve prepares the database as [server] user, binds
 * its ports, then becomes that user (cmd_priv.c).
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "hkp/hkp_server.h"
#include "mail/mail_peers.h"
#include "recon/recon_gossip.h"
#include "store/store.h"
#include "store/store_ptree.h"
#include "util/log.h"
#include "util/notify.h"

static int
recon_start(const struct pks_config *cfg, uint16_t http_port,
    const struct ingest_sync_src *sync, struct recon_gossip **out)
{
	struct recon_gossip_cfg rc;

	rc.listen = cfg->recon_listen;
	rc.membership_file = cfg->membership_file;
	rc.gossip_interval = cfg->gossip_interval;
	rc.dbfile = cfg->dbfile;
	rc.busy_ms = cfg->busy_timeout_ms;
	rc.fetch_delay_ms = cfg->recon_fetch_delay * 1000;
	rc.fetch_timeout_ms = cfg->recon_fetch_timeout * 1000;
	recon_session_cfg_default(&rc.session, http_port);
	rc.session.config_timeout_ms = cfg->recon_config_timeout * 1000;
	rc.session.read_timeout_ms = cfg->recon_read_timeout * 1000;
	rc.session.max_lack = cfg->recon_max_lack;
	rc.fetch_deadline_ms = cfg->recon_fetch_deadline * 1000;
	rc.sync = sync;
	if (recon_gossip_start(&rc, out) != PKS_OK) {
		log_warnx("cannot start recon on %s", cfg->recon_listen);
		return EX_UNAVAILABLE;
	}
	return EX_OK;
}

/* Create or migrate the database, and rebuild a stale prefix tree,
 * before the workers open it. */
static int
prepare_store(const struct pks_config *cfg)
{
	struct store *st = NULL;
	int status;

	if ((status = cmd_open_store(cfg, 1, &st)) != EX_OK)
		return status;
	if (store_ptree_stale(st) && store_ptree_rebuild(st, NULL) != PKS_OK) {
		log_warnx(
		    "cannot rebuild the prefix tree: %s", store_errmsg(st));
		status = EX_TEMPFAIL;
	}
	store_close(st);
	return status;
}

/*
 * prepare_store as [server] user when started as root: in a child that
 * becomes the user, so the files it creates are the user's while this
 * process keeps root until the ports are bound.
 */
static int
prepare_store_as(const struct pks_config *cfg, const struct cmd_priv *p)
{
	pid_t pid;
	int st;

	if (!p->active)
		return prepare_store(cfg);
	if ((pid = fork()) == -1) {
		log_warn("fork");
		return EX_OSERR;
	}
	if (pid == 0) {
		st = cmd_priv_drop(p);
		_exit(st != EX_OK ? st : prepare_store(cfg));
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			return EX_OSERR;
	return WIFEXITED(st) ? WEXITSTATUS(st) : EX_SOFTWARE;
}

int
cmd_serve(struct cmd_ctx *ctx)
{
	struct hkp_server *srv = NULL;
	struct recon_gossip *recon = NULL;
	struct mail_peers *peers;
	struct ingest_sync_src sync;
	struct cmd_priv priv;
	sigset_t set;
	int sig = 0, status;

	if (ctx->argc != 1) {
		fprintf(stderr, "usage: pksync serve\n");
		return EX_USAGE;
	}
	if ((status = cmd_priv_begin(ctx->cfg, "serve", &priv)) != EX_OK ||
	    (status = prepare_store_as(ctx->cfg, &priv)) != EX_OK)
		return status;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	peers = mail_peers_new(ctx->cfg->peers_file, ctx->cfg->this_site);
	sync.get = mail_peers_get;
	sync.arg = peers;
	if (hkp_server_start(ctx->cfg, &sync, &srv) != PKS_OK) {
		log_warnx(
		    "cannot start the HKP server on %s", ctx->cfg->http_listen);
		mail_peers_free(peers);
		return EX_UNAVAILABLE;
	}
	if (ctx->cfg->recon_listen != NULL &&
	    (status = recon_start(
		 ctx->cfg, hkp_server_port(srv), &sync, &recon)) != EX_OK) {
		hkp_server_stop(srv);
		mail_peers_free(peers);
		return status;
	}
	/* The ports are bound: nothing more needs root. */
	if ((status = cmd_priv_drop(&priv)) != EX_OK) {
		recon_gossip_stop(recon);
		hkp_server_stop(srv);
		mail_peers_free(peers);
		return status;
	}
	if (priv.active)
		log_info("running as user %s", priv.user);
	notify_send(NOTIFY_READY);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		log_info(
		    "SIGHUP: nothing to reload (files are re-read on change)");
	}
	log_info("signal %d: stopping", sig);
	notify_send(NOTIFY_STOPPING);
	recon_gossip_stop(recon);
	hkp_server_stop(srv);
	mail_peers_free(peers);
	return EX_OK;
}
