/*
 * cmd_serve.c: "pksync serve" runs the HKP server, and the recon service
 * when [recon] listen is set, in the foreground until SIGTERM or SIGINT.
 * Logs go to stderr.  SIGHUP reads the configuration again and restarts
 * the services with it.  The signals are blocked before any thread starts,
 * so only this thread receives them.  Recon has its own thread and
 * database connection, so HKP stays responsive during a session.  One
 * more connection is held from the start to the exit, so that an import
 * never loads the database in bulk under a running serve.
 * Started as root, serve prepares the database as [server] user, binds
 * its ports, then becomes that user (cmd_priv.c).
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "hkp/hkp_server.h"
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

/*
 * What serve runs: the HKP server, recon when configured, and the mail
 * sync list they share.  Each part borrows the configuration it was
 * started with, which must outlive it.  hold: a connection opened
 * first and closed last, never used.  HKP's threads and recon open the
 * database at their first request or session, so without it a serve
 * that has answered nothing would not count as an opener: an import
 * into the empty database would load it in bulk, and the serve answer
 * 503 until it ends, or for good after it died.  Held, the import sees
 * the database open elsewhere and writes key by key (store_bulk.h).
 */
struct services {
	struct store *hold;
	struct hkp_server *srv;
	struct recon_gossip *recon;
	struct ingest_sync_file *peers;
	struct ingest_sync_src sync;
};

static void
services_stop(struct services *s)
{
	recon_gossip_stop(s->recon);
	hkp_server_stop(s->srv);
	ingest_sync_file_free(s->peers);
	store_close(s->hold);
	memset(s, 0, sizeof(*s));
}

static int
services_start(const struct pks_config *cfg, struct services *s)
{
	int status;

	memset(s, 0, sizeof(*s));
	if ((status = cmd_open_store(cfg, 0, &s->hold)) != EX_OK)
		return status;
	s->peers = ingest_sync_file_new(cfg->peers_file, cfg->this_site);
	s->sync.get = ingest_sync_file_get;
	s->sync.arg = s->peers;
	if (hkp_server_start(cfg, &s->sync, &s->srv) != PKS_OK) {
		log_warnx(
		    "cannot start the HKP server on %s", cfg->http_listen);
		services_stop(s);
		return EX_UNAVAILABLE;
	}
	if (cfg->recon_listen != NULL &&
	    (status = recon_start(
		 cfg, hkp_server_port(s->srv), &s->sync, &s->recon)) != EX_OK) {
		services_stop(s);
		return status;
	}
	return EX_OK;
}

/*
 * SIGHUP (systemctl reload): read the configuration file again and
 * restart the services with it.  A file that does not parse, or whose
 * database cannot be opened, changes nothing; if the new settings cannot
 * be served (a port taken), the running ones are started again.  Returns
 * EX_OK, or a status to exit with when not even those can be restarted.
 */
static int
serve_reload(struct cmd_ctx *ctx, struct services *s)
{
	struct pks_config *cfg = NULL;
	struct store *bridge = NULL;
	char *msg = NULL;
	int status = EX_OK;

	notify_send(NOTIFY_RELOADING);
	if (config_load(ctx->conf_path, &cfg, &msg) != PKS_OK) {
		log_warnx("reload: %s; the running configuration stays",
		    msg ? msg : "configuration error");
		goto out;
	}
	if (prepare_store(cfg) != EX_OK) {
		log_warnx("reload: cannot open the database %s; the running "
			  "configuration stays",
		    cfg->dbfile);
		goto out;
	}
	/* The running database stays held until the restart is over. */
	bridge = s->hold;
	s->hold = NULL;
	services_stop(s);
	if (services_start(cfg, s) == EX_OK) {
		config_free(ctx->cfg);
		ctx->cfg = cfg;
		cfg = NULL;
		if (!ctx->verbose)
			log_set_level((enum log_level)ctx->cfg->log_level);
		log_info("reload: configuration read again");
		goto out;
	}
	log_warnx("reload: cannot serve the new configuration; going back "
		  "to the running one");
	status = services_start(ctx->cfg, s);
out:
	store_close(bridge);
	config_free(cfg);
	free(msg);
	notify_send(NOTIFY_READY);
	return status;
}

int
cmd_serve(struct cmd_ctx *ctx)
{
	struct services svc;
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

	if ((status = services_start(ctx->cfg, &svc)) != EX_OK)
		return status;
	/* The ports are bound: nothing more needs root. */
	if ((status = cmd_priv_drop(&priv)) != EX_OK) {
		services_stop(&svc);
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
		if ((status = serve_reload(ctx, &svc)) != EX_OK)
			return status;
	}
	log_info("signal %d: stopping", sig);
	notify_send(NOTIFY_STOPPING);
	services_stop(&svc);
	return EX_OK;
}
