/*
 * mail_cmd.c: one incoming mail: the command of its Subject, the rules
 * that keep pksync from answering bounces, robots and itself, and the
 * user commands with their replies.  Incrementals go to mail_incr.c.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mail/mail_cmd.h"
#include "mail/mail_compose.h"
#include "mail/mail_incr.h"
#include "pgp/pgp_armor.h"
#include "pgp/pgp_fpr.h"
#include "pgp/pgp_verify.h"
#include "store/store_outbox.h"
#include "store/store_query.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/xalloc.h"

/* Largest help text read from help_dir. */
#define HELP_MAX (64u * 1024)
/* Cap of the intro text ([mail] max_reply_size caps the second part). */
#define INTRO_MAX (64u * 1024)
/* Refused keys named in an ADD reply. */
#define ADD_REASONS 10u

static const struct {
	const char *word;
	enum mail_cmd_kind kind;
} words[] = {
	{ "help", MAIL_CMD_HELP },
	{ "add", MAIL_CMD_ADD },
	{ "incremental", MAIL_CMD_INCREMENTAL },
	{ "index", MAIL_CMD_INDEX },
	{ "get", MAIL_CMD_GET },
	{ "last", MAIL_CMD_LAST },
	{ "mget", MAIL_CMD_MGET },
};

#define NWORDS (sizeof(words) / sizeof(words[0]))

static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The next blank-separated word at *p; *len 0 at the end. */
static const char *
next_word(const char **p, size_t *len)
{
	const char *w;

	while (is_blank((unsigned char)**p))
		(*p)++;
	w = *p;
	while (**p != '\0' && !is_blank((unsigned char)**p))
		(*p)++;
	*len = (size_t)(*p - w);
	return w;
}

static int
word_is(const char *w, size_t len, const char *lower)
{
	return strlen(lower) == len && strncasecmp(w, lower, len) == 0;
}

void
mail_cmd_parse(const char *subject, struct mail_cmd *out)
{
	const char *p = subject, *w;
	size_t len, i;

	memset(out, 0, sizeof(*out));
	out->kind = MAIL_CMD_INVALID;
	w = next_word(&p, &len);
	if (word_is(w, len, "verbose")) {
		w = next_word(&p, &len);
		if (!word_is(w, len, "index"))
			return;
		out->kind = MAIL_CMD_VINDEX;
	} else {
		for (i = 0; i < NWORDS; i++)
			if (word_is(w, len, words[i].word))
				out->kind = words[i].kind;
		if (out->kind == MAIL_CMD_INVALID)
			return;
	}
	while (is_blank((unsigned char)*p))
		p++;
	len = strlen(p);
	while (len > 0 && is_blank((unsigned char)p[len - 1]))
		len--;
	out->arg = p;
	out->arglen = len;
}

const char *
mail_cmd_name(enum mail_cmd_kind kind)
{
	static const char *const names[] = {
		[MAIL_CMD_INVALID] = "invalid",
		[MAIL_CMD_HELP] = "HELP",
		[MAIL_CMD_ADD] = "ADD",
		[MAIL_CMD_INCREMENTAL] = "INCREMENTAL",
		[MAIL_CMD_INDEX] = "INDEX",
		[MAIL_CMD_VINDEX] = "VERBOSE INDEX",
		[MAIL_CMD_GET] = "GET",
		[MAIL_CMD_LAST] = "LAST",
		[MAIL_CMD_MGET] = "MGET",
	};

	return (size_t)kind < sizeof(names) / sizeof(names[0]) ? names[kind]
							       : "?";
}

/* Local parts of robots that must never get a reply. */
static int
robot_local(const char *local)
{
	static const char *const robots[] = {
		"mailer-daemon",
		"mailer",
		"mail-daemon",
		"postmaster",
		"listserv",
		"majordomo",
		"bounce",
		"bounces",
	};
	size_t i;

	for (i = 0; i < sizeof(robots) / sizeof(robots[0]); i++)
		if (strcasecmp(local, robots[i]) == 0)
			return 1;
	return 0;
}

/* "<>" with any blanks: the null reverse-path. */
static int
null_path(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++) {
		if (*s == '<' || *s == '>')
			n++;
		else if (!is_blank((unsigned char)*s))
			return 0;
	}
	return n == 2;
}

/* Why this is a bounce (ignored whole), or NULL. */
static const char *
bounce_reason(const struct mail_ctx *ctx, const struct mail_msg *m)
{
	if (ctx->env_sender != NULL &&
	    (ctx->env_sender[0] == '\0' || null_path(ctx->env_sender)))
		return "null envelope sender ($SENDER)";
	if (m->env_from != NULL &&
	    (strcasecmp(m->env_from, "MAILER-DAEMON") == 0 ||
		null_path(m->env_from)))
		return "null envelope sender (From line)";
	if (m->return_path != NULL && null_path(m->return_path))
		return "null sender (Return-Path: <>)";
	if (strcmp(m->content_type, "multipart/report") == 0)
		return "delivery report (multipart/report)";
	if (m->from_local != NULL && robot_local(m->from_local))
		return "From: is a mailer daemon";
	return NULL;
}

static int
own_mail(const struct pks_config *cfg, const struct mail_msg *m)
{
	return m->from != NULL &&
	       (strcasecmp(m->from, cfg->maintainer_addr) == 0 ||
		   strcasecmp(m->from, cfg->this_site) == 0);
}

static int
bulk_precedence(const char *p)
{
	size_t len;

	while (is_blank((unsigned char)*p))
		p++;
	len = strcspn(p, " \t;");
	return word_is(p, len, "bulk") || word_is(p, len, "list") ||
	       word_is(p, len, "junk");
}

/*
 * Why no reply may go to rcpt (*why NULL: a reply may go).  Reply-To can
 * be forged, so a reply may go to someone who never asked: what bounds
 * the harm is the reply size ([mail] max_reply_size), replies per
 * normalised address and hour (max_replies_per_hour: case and +tags
 * do not make new addresses) and replies of the whole server per hour
 * (max_replies_total_per_hour).
 */
static enum pks_rc
noreply_reason(const struct mail_ctx *ctx, const struct mail_msg *m,
    const char *rcpt, const char **why)
{
	char key[MAIL_RATE_KEY_MAX];
	int64_t n = 0, since;
	enum pks_rc rc;

	*why = NULL;
	if (m->auto_submitted != NULL &&
	    !word_is(
		m->auto_submitted, strcspn(m->auto_submitted, " \t;("), "no"))
		*why = "Auto-Submitted";
	else if (m->precedence != NULL && bulk_precedence(m->precedence))
		*why = "Precedence bulk, list or junk";
	else if (ctx->cfg->max_replies_per_hour == 0)
		*why = "replies are off (max_replies_per_hour = 0)";
	if (*why != NULL)
		return PKS_OK;
	since = (int64_t)time(NULL) - 3600;
	rc = store_reply_count(ctx->st, NULL, since, &n);
	if (rc == PKS_OK && n >= ctx->cfg->max_replies_total_per_hour) {
		*why = "server rate limit (max_replies_total_per_hour)";
		return PKS_OK;
	}
	mail_rate_key(rcpt, key, sizeof(key));
	if (rc == PKS_OK)
		rc = store_reply_count(ctx->st, key, since, &n);
	if (rc == PKS_OK && n >= ctx->cfg->max_replies_per_hour)
		*why = "rate limit (max_replies_per_hour)";
	return rc;
}

/* A reply under construction. */
struct answer {
	const char *status; /* appended to the subject, or NULL */
	struct buf intro;   /* what the first part says */
	struct buf body;    /* the second part */
	int has_body;
	int body_keys;
};

/* Read help_dir/pks_help.<lang> into out; PKS_ERR_NOTFOUND if none. */
static enum pks_rc
read_help(const struct pks_config *cfg, const char *lang, struct buf *out)
{
	char path[4096], chunk[4096];
	size_t n;
	FILE *f;
	enum pks_rc rc = PKS_OK;

	if ((size_t)snprintf(path, sizeof(path), "%s/pks_help.%s",
		cfg->help_dir, lang) >= sizeof(path))
		return PKS_ERR_NOTFOUND;
	if ((f = fopen(path, "r")) == NULL)
		return PKS_ERR_NOTFOUND;
	while (rc == PKS_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_add(out, chunk, n);
	if (ferror(f))
		rc = PKS_ERR_IO;
	fclose(f);
	if (rc != PKS_OK) {
		log_warnx("mail: help text %s: %s", path, pks_rc_str(rc));
		buf_reset(out);
	}
	return rc;
}

/* A language tag fit for a file name: 2 to 8 letters, '-' or '_'. */
static int
lang_ok(const char *s, size_t len)
{
	size_t i;

	if (len < 2 || len > 8)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
			(s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-' ||
			s[i] == '_'))
			return 0;
	return 1;
}

static const char fallback_help[] =
    "The help text of this server is not installed.  In short: put the\n"
    "command in the Subject line of a mail to this address:\n"
    "  HELP [language]    this text\n"
    "  ADD                add the ASCII-armored keys in the body\n"
    "  GET <search>       keys for a key ID (0x...), fingerprint,\n"
    "                     e-mail address or words\n"
    "  INDEX <search>     a listing of the matching keys\n"
    "  VERBOSE INDEX <search>  a longer listing\n"
    "  LAST <days>        keys changed in the last days\n";

/* The help text in the language asked for, else the default one. */
static void
help_text(const struct pks_config *cfg, const char *arg, size_t arglen,
    struct buf *out)
{
	char lang[9];
	size_t i;

	if (lang_ok(arg, arglen)) {
		for (i = 0; i < arglen; i++)
			lang[i] = (char)(arg[i] >= 'A' && arg[i] <= 'Z'
					     ? arg[i] - 'A' + 'a'
					     : arg[i]);
		lang[arglen] = '\0';
		if (read_help(cfg, lang, out) == PKS_OK)
			return;
	}
	if (read_help(cfg, cfg->default_language, out) == PKS_OK)
		return;
	log_warnx("mail: no help text in %s; sending the built-in one",
	    cfg->help_dir);
	(void)buf_adds(out, fallback_help);
}

static enum pks_rc
do_help(struct mail_ctx *ctx, const struct mail_msg *m,
    const struct mail_cmd *c, struct answer *a)
{
	(void)m;
	help_text(ctx->cfg, c->arg, c->arglen, &a->body);
	a->has_body = 1;
	return buf_adds(&a->intro, "The help text of this server follows.\n");
}

static enum pks_rc
do_invalid(struct mail_ctx *ctx, const struct mail_msg *m,
    const struct mail_cmd *c, struct answer *a)
{
	(void)m;
	(void)c;
	a->status = ", was invalid";
	help_text(ctx->cfg, "", 0, &a->body);
	a->has_body = 1;
	return buf_adds(&a->intro,
	    "Your Subject line does not start with a "
	    "command of this server.\nThe help text follows.\n");
}

static enum pks_rc
not_supported(struct answer *a, const char *what)
{
	a->status = ", is not supported";
	return buf_printf(&a->intro,
	    "%s is not supported by this server.\n"
	    "Ask for keys by key ID (0x followed by 8, 16 or 40 hex digits),\n"
	    "by e-mail address or by words of the user ID, for example\n"
	    "\"GET 0x0123456789ABCDEF\" or \"INDEX alice@example.org\".\n",
	    what);
}

static enum pks_rc
do_mget(struct mail_ctx *ctx, const struct mail_msg *m,
    const struct mail_cmd *c, struct answer *a)
{
	(void)ctx;
	(void)m;
	(void)c;
	return not_supported(a, "MGET (regular expression search)");
}

/* Refused keys, for the ADD reply. */
struct refusals {
	struct buf *out;
	size_t n;
};

static void
on_added(void *arg, const struct ingest_result *r)
{
	struct refusals *rf = arg;
	char hex[2 * PGP_FPR_MAX + 1] = "(unreadable)";

	if (r->outcome != INGEST_REFUSED || rf->n++ >= ADD_REASONS)
		return;
	if (r->have_fpr)
		pgp_hex(r->fpr.fpr, r->fpr.len, hex);
	(void)buf_printf(rf->out, "  refused %s: %s\n", hex,
	    r->why != NULL ? r->why : "unusable");
}

static enum pks_rc
do_add(struct mail_ctx *ctx, const struct mail_msg *m, const struct mail_cmd *c,
    struct answer *a)
{
	struct ingest_stats s;
	struct ingest_origin origin;
	struct buf why;
	struct refusals rf = { &why, 0 };
	size_t nparts;
	enum pks_rc rc;

	(void)c;
	memset(&s, 0, sizeof(s));
	buf_init(&why, INTRO_MAX / 2);
	memset(&origin, 0, sizeof(origin));
	origin.src = INGEST_MAIL_ADD;
	origin.sync = ctx->sync;
	rc = mail_ingest_keys(ctx->st, &origin, m, on_added, &rf, &s, &nparts);
	if (rc == PKS_OK && nparts == 0) {
		a->status = ", failed";
		rc = buf_adds(&a->intro,
		    "No OpenPGP public key block was found "
		    "in your mail.\nPut the ASCII-armored key (gpg --armor "
		    "--export) in the body or\nattach it.\n");
	} else if (rc == PKS_OK) {
		rc = buf_adds(&a->intro,
		    s.nnew + s.nupdated > 0
			? "Key block added to the key server database.\n"
			: "Key block in add request contained no new keys, "
			  "user IDs "
			  "or signatures.\n");
		if (rc == PKS_OK)
			rc = buf_printf(&a->intro,
			    "  New keys: %zu\n  Updated "
			    "keys: %zu\n  Unchanged keys: %zu\n  Refused keys: "
			    "%zu\n",
			    s.nnew, s.nupdated, s.nunchanged, s.nrefused);
		if (rc == PKS_OK)
			rc = buf_add(&a->intro, why.data, why.len);
	}
	if (rc == PKS_OK)
		log_info("mail: ADD from %s: new=%zu updated=%zu unchanged=%zu "
			 "refused=%zu",
		    m->from != NULL ? m->from : "?", s.nnew, s.nupdated,
		    s.nunchanged, s.nrefused);
	buf_free(&why);
	return rc;
}

/* The second part: one armored block (GET, LAST). */
static enum pks_rc
keys_body(const struct store_keys *f, struct answer *a)
{
	struct buf raw;
	size_t i;
	enum pks_rc rc = PKS_OK;

	a->has_body = 1;
	a->body_keys = 1;
	buf_init(&raw, a->body.max); /* armor only grows it */
	/* GET and LAST send keys as op=get serves them (pgp_verify.h). */
	for (i = 0; i < f->n && rc == PKS_OK; i++)
		rc = pgp_served_bytes(f->v[i].data, f->v[i].len, f->v[i].checks,
		    f->v[i].checks_len, pks_key_limits()->served_certs, &raw);
	if (rc == PKS_OK)
		rc = pgp_armor_encode(raw.data, raw.len, NULL, &a->body);
	buf_free(&raw);
	return rc;
}

/* The second part for ids: the keys, or their listing; *n: how many. */
static enum pks_rc
ids_body(struct mail_ctx *ctx, const struct store_ids *ids, size_t limit,
    enum mail_cmd_kind kind, struct answer *a, size_t *n)
{
	struct store_keys f = { NULL, 0 };
	enum pks_rc rc;

	*n = 0;
	if (kind == MAIL_CMD_INDEX || kind == MAIL_CMD_VINDEX) {
		a->has_body = 1;
		return mail_compose_index(ctx->st, ids, limit,
		    kind == MAIL_CMD_VINDEX, time(NULL), &a->body, n);
	}
	rc = store_keys_load(ctx->st, ids, limit, &f);
	if (rc == PKS_OK)
		rc = keys_body(&f, a);
	*n = f.n;
	store_keys_free(&f);
	return rc;
}

/* Fill the reply with the keys of ids (at most 'limit'). */
static enum pks_rc
answer_keys(struct mail_ctx *ctx, const struct store_ids *ids, size_t limit,
    enum mail_cmd_kind kind, struct answer *a)
{
	size_t n = 0;
	enum pks_rc rc;

	rc = ids_body(ctx, ids, limit, kind, a, &n);
	if (rc == PKS_ERR_TOOBIG) {
		buf_reset(&a->body);
		a->has_body = 0;
		a->body_keys = 0;
		a->status = ", too large";
		rc = buf_printf(&a->intro,
		    "The answer is too large for one mail reply (this server "
		    "sends at most %zu bytes);\nplease use HKP instead, for "
		    "example\n  gpg --keyserver hkp://%s --recv-keys "
		    "0x<key ID>\nor be more specific.\n",
		    ctx->cfg->max_reply_size, ctx->cfg->hostname);
	} else if (rc == PKS_OK) {
		rc = buf_printf(&a->intro, "%zu key%s found; %s.\n", n,
		    n == 1 ? "" : "s",
		    a->body_keys ? "the keys are "
				   "attached"
				 : "the listing follows");
	}
	return rc;
}

static enum pks_rc
do_query(struct mail_ctx *ctx, const struct mail_msg *m,
    const struct mail_cmd *c, struct answer *a)
{
	struct store_query q;
	struct store_ids ids = { NULL, 0 };
	struct pks_err err = { 0, NULL };
	size_t max = ctx->cfg->max_reply_keys;
	enum pks_rc rc;

	(void)m;
	if (c->arglen == 0)
		return not_supported(a,
		    c->kind == MAIL_CMD_GET
			? "GET without a search (the whole key ring)"
			: "An index without a search (of the whole key ring)");
	if (store_query_parse(c->arg, c->arglen, 0, &q, &err) != PKS_OK) {
		a->status = ", failed";
		return buf_printf(&a->intro,
		    "Your search could not be read: "
		    "%s.\n",
		    err.why != NULL ? err.why : "malformed");
	}
	if ((rc = store_query_run(ctx->st, &q, max, &ids)) != PKS_OK)
		return rc;
	if (ids.n == 0) {
		rc = buf_adds(&a->intro, "No keys match your search.\n");
	} else if (ids.n > max) {
		a->status = ", failed";
		rc = buf_printf(&a->intro,
		    "More than %zu keys match your "
		    "search (the most this server sends);\nplease be more "
		    "specific.\n",
		    max);
	} else {
		rc = answer_keys(ctx, &ids, max, c->kind, a);
	}
	store_ids_free(&ids);
	return rc;
}

/* n of LAST n: 1 to 99999 days, digits only; 0 if malformed. */
static long
last_days(const char *s, size_t len)
{
	long n = 0;
	size_t i;

	if (len == 0 || len > 5)
		return 0;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		n = n * 10 + (s[i] - '0');
	}
	return n;
}

static enum pks_rc
do_last(struct mail_ctx *ctx, const struct mail_msg *m,
    const struct mail_cmd *c, struct answer *a)
{
	struct store_ids ids = { NULL, 0 };
	size_t max = ctx->cfg->max_reply_keys;
	long days = last_days(c->arg, c->arglen);
	enum pks_rc rc;

	(void)m;
	a->status = ", failed";
	if (ctx->cfg->max_last_days == 0)
		return buf_adds(&a->intro, "LAST is not permitted by this "
					   "server.\n");
	if (days <= 0)
		return buf_adds(&a->intro, "LAST needs a number of days, for "
					   "example \"LAST 1\".\n");
	if (days > ctx->cfg->max_last_days) {
		days = ctx->cfg->max_last_days;
		rc = buf_printf(&a->intro,
		    "LAST is limited to %ld days on "
		    "this server.\n",
		    days);
		if (rc != PKS_OK)
			return rc;
	}
	a->status = NULL;
	rc = store_search_updated(
	    ctx->st, (int64_t)time(NULL) - days * 86400, max, &ids);
	if (rc == PKS_OK && ids.n == 0)
		rc = buf_printf(&a->intro,
		    "No keys were added or changed in "
		    "the last %ld day%s.\n",
		    days, days == 1 ? "" : "s");
	else if (rc == PKS_OK && ids.n > max)
		rc = buf_printf(&a->intro,
		    "More than %zu keys changed; the "
		    "%zu changed most recently are sent.\n",
		    max, max);
	if (rc == PKS_OK && ids.n > 0)
		rc = answer_keys(ctx, &ids, max, c->kind, a);
	store_ids_free(&ids);
	return rc;
}

typedef enum pks_rc (*cmd_fn)(struct mail_ctx *, const struct mail_msg *,
    const struct mail_cmd *, struct answer *);

static const cmd_fn handlers[] = {
	[MAIL_CMD_INVALID] = do_invalid,
	[MAIL_CMD_HELP] = do_help,
	[MAIL_CMD_ADD] = do_add,
	[MAIL_CMD_INCREMENTAL] = NULL, /* mail_incr_handle() */
	[MAIL_CMD_INDEX] = do_query,
	[MAIL_CMD_VINDEX] = do_query,
	[MAIL_CMD_GET] = do_query,
	[MAIL_CMD_LAST] = do_last,
	[MAIL_CMD_MGET] = do_mget,
};

/* Compose the answer as a reply to rcpt and hand it on. */
static enum pks_rc
send_answer(struct mail_ctx *ctx, const struct mail_msg *m, const char *rcpt,
    struct answer *a)
{
	struct mail_reply r;
	struct buf intro, msg;
	enum pks_rc rc;

	buf_init(&intro, 2 * INTRO_MAX);
	buf_init(&msg, MAIL_MAX_REPLY);
	rc = buf_printf(&intro, "This is the OpenPGP key server at %s.\n\n",
	    ctx->cfg->hostname);
	if (rc == PKS_OK)
		rc = buf_add(&intro, a->intro.data, a->intro.len);
	if (rc == PKS_OK)
		rc = buf_printf(&intro,
		    "\nSend \"HELP\" in the Subject for the "
		    "commands of this server.\nQuestions about this server: "
		    "%s\n",
		    ctx->cfg->maintainer);
	memset(&r, 0, sizeof(r));
	r.to = rcpt;
	r.subject = m->subject;
	r.status = a->status;
	r.in_reply_to = m->message_id;
	r.intro = (const char *)intro.data;
	r.body = a->has_body ? a->body.data : NULL;
	r.bodylen = a->body.len;
	r.body_keys = a->body_keys;
	if (rc == PKS_OK)
		rc = mail_compose_reply(ctx->cfg, &r, time(NULL), &msg);
	if (rc == PKS_OK)
		rc = mail_reply_submit(
		    ctx->st, ctx->dry_run, ctx->out, rcpt, &msg);
	buf_free(&intro);
	buf_free(&msg);
	return rc;
}

/* Run a user command; reply unless 'noreply' says why not. */
static enum pks_rc
run_command(struct mail_ctx *ctx, const struct mail_msg *m,
    const struct mail_cmd *c, const char *rcpt, const char *noreply)
{
	struct answer a;
	enum pks_rc rc;

	if (noreply != NULL && c->kind != MAIL_CMD_ADD) {
		log_info("mail: %s from %s ignored: no reply (%s)",
		    mail_cmd_name(c->kind), rcpt, noreply);
		ctx->ignored = 1;
		return PKS_OK;
	}
	memset(&a, 0, sizeof(a));
	buf_init(&a.intro, INTRO_MAX);
	buf_init(&a.body, ctx->cfg->max_reply_size);
	rc = handlers[c->kind](ctx, m, c, &a);
	if (rc == PKS_OK && noreply != NULL)
		log_info("mail: no reply to %s (%s)", rcpt, noreply);
	else if (rc == PKS_OK)
		rc = send_answer(ctx, m, rcpt, &a);
	if (rc != PKS_OK)
		log_warnx("mail: %s from %s: %s", mail_cmd_name(c->kind), rcpt,
		    pks_rc_str(rc));
	buf_free(&a.intro);
	buf_free(&a.body);
	return rc;
}

static enum pks_rc
user_command(
    struct mail_ctx *ctx, const struct mail_msg *m, const struct mail_cmd *c)
{
	const char *why, *rcpt;
	enum pks_rc rc;

	if ((why = bounce_reason(ctx, m)) != NULL) {
		log_info("mail: ignored: %s (From: %s)", why,
		    m->from != NULL ? m->from : "none");
		ctx->ignored = 1;
		return PKS_OK;
	}
	if (own_mail(ctx->cfg, m)) {
		log_info("mail: ignored: our own mail (From: %s)", m->from);
		ctx->ignored = 1;
		return PKS_OK;
	}
	rcpt = m->reply_to != NULL ? m->reply_to : m->from;
	if (rcpt == NULL) {
		log_info("mail: ignored: no usable From or Reply-To address");
		ctx->ignored = 1;
		return PKS_OK;
	}
	if ((rc = noreply_reason(ctx, m, rcpt, &why)) != PKS_OK)
		return rc;
	log_info("mail: %s from %s", mail_cmd_name(c->kind), rcpt);
	return run_command(ctx, m, c, rcpt, why);
}

enum pks_rc
mail_handle(struct mail_ctx *ctx, const char *data, size_t len)
{
	struct mail_msg *m = NULL;
	struct pks_err err = { 0, NULL };
	struct mail_cmd c;
	enum pks_rc rc;

	rc = mail_parse(data, len, &m, &err);
	if (rc != PKS_OK) {
		log_warnx("mail: message refused: %s",
		    err.why != NULL ? err.why : pks_rc_str(rc));
		return rc;
	}
	mail_cmd_parse(m->subject, &c);
	if (c.kind == MAIL_CMD_INCREMENTAL)
		rc = mail_incr_handle(
		    ctx->cfg, ctx->st, ctx->sync, m, &ctx->ignored);
	else
		rc = user_command(ctx, m, &c);
	mail_msg_free(m);
	return rc;
}
