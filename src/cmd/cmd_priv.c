/*
 * cmd_priv.c: what the commands do when started as root (see cmd.h).
 *
 * pksync never needs root: its ports are unprivileged and its files
 * belong to the user that owns the data folder.  Started as root, a
 * command that writes the database either refuses (no [server] user)
 * or becomes that user: supplementary groups, then the group, then the
 * user, each for real, effective and saved IDs, and checks that root
 * cannot be regained.  serve binds its ports first.
 */
#include <config.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "util/log.h"

/* Create the data folder for the user when it does not exist yet. */
static int
own_datadir(const struct pks_config *cfg, const struct cmd_priv *p)
{
	struct stat sb;

	if (stat(cfg->datadir, &sb) == 0)
		return EX_OK;
	if (errno != ENOENT || cmd_make_dirs(cfg->datadir) == -1) {
		log_warn("cannot create data folder %s", cfg->datadir);
		return EX_CANTCREAT;
	}
	if (chown(cfg->datadir, p->uid, p->gid) == -1) {
		log_warn("cannot give %s to %s", cfg->datadir, p->user);
		return EX_NOPERM;
	}
	return EX_OK;
}

int
cmd_priv_begin(
    const struct pks_config *cfg, const char *what, struct cmd_priv *p)
{
	struct passwd *pw;

	memset(p, 0, sizeof(*p));
	if (geteuid() != 0)
		return EX_OK;
	if (cfg->user == NULL || cfg->user[0] == '\0') {
		log_warnx(
		    "refusing to run %s as root: set [server] user = NAME "
		    "in %s (pksync then becomes that user), or start it "
		    "as the user that owns %s",
		    what, cfg->path != NULL ? cfg->path : "the configuration",
		    cfg->datadir);
		return EX_NOPERM;
	}
	errno = 0;
	if ((pw = getpwnam(cfg->user)) == NULL) {
		log_warnx("[server] user %s: no such user", cfg->user);
		return EX_NOUSER;
	}
	if (pw->pw_uid == 0) {
		log_warnx("[server] user %s is root: name an unprivileged user",
		    cfg->user);
		return EX_CONFIG;
	}
	p->active = 1;
	p->uid = pw->pw_uid;
	p->gid = pw->pw_gid;
	p->user = cfg->user;
	return own_datadir(cfg, p);
}

int
cmd_priv_drop(const struct cmd_priv *p)
{
	if (!p->active)
		return EX_OK;
	if (setgroups(1, &p->gid) == -1 ||
	    setresgid(p->gid, p->gid, p->gid) == -1 ||
	    setresuid(p->uid, p->uid, p->uid) == -1) {
		log_warn("cannot become user %s", p->user);
		return EX_OSERR;
	}
	if (setuid(0) != -1 || geteuid() == 0) {
		log_warnx("still root after becoming %s: stopping", p->user);
		return EX_OSERR;
	}
	log_debug(
	    "running as user %s (uid %lu)", p->user, (unsigned long)p->uid);
	return EX_OK;
}

int
cmd_priv_become_user(const struct pks_config *cfg, const char *what)
{
	struct cmd_priv p;
	int status;

	if ((status = cmd_priv_begin(cfg, what, &p)) != EX_OK)
		return status;
	return cmd_priv_drop(&p);
}

int
cmd_priv_reader(const struct pks_config *cfg, const char *what)
{
	if (geteuid() != 0 || cfg->user == NULL || cfg->user[0] == '\0')
		return EX_OK;
	return cmd_priv_become_user(cfg, what);
}
