/*
 * mail_cmd.h: one incoming mail, from the MTA's bytes to its effect:
 * the command in the Subject, the loop and backscatter rules, the
 * user commands and their replies.
 *
 * Commands are the first word(s) of the Subject, matched as whole
 * words in any case: HELP [lang], ADD, INCREMENTAL, INDEX q,
 * VERBOSE INDEX q, GET q, LAST n, MGET (not supported).  q is a search
 * term as in HKP (store_query.h).  Anything else "was invalid" and is
 * answered with the help text.
 *
 * No reply is ever sent to: a bounce (null envelope sender in $SENDER,
 * the mbox From line or Return-Path; a From of MAILER-DAEMON,
 * postmaster, mailer or listserv-like robots; Content-Type
 * multipart/report), which is ignored whole; our own mail (From is
 * [mail] maintainer or this_site), ignored whole; an auto-reply
 * (Auto-Submitted other than "no"), Precedence bulk, list or junk, or a
 * sender over [mail] max_replies_per_hour: then ADD still merges its
 * keys and every other command is skipped.  Every such case is logged.
 */
#ifndef PKS_MAIL_CMD_H
#define PKS_MAIL_CMD_H

#include <stddef.h>
#include <stdio.h>

#include "ingest/ingest.h"
#include "mail/mail_parse.h"
#include "store/store.h"
#include "util/config.h"
#include "util/rc.h"

enum mail_cmd_kind {
	MAIL_CMD_INVALID, /* not a command (or an empty Subject) */
	MAIL_CMD_HELP,
	MAIL_CMD_ADD,
	MAIL_CMD_INCREMENTAL,
	MAIL_CMD_INDEX,
	MAIL_CMD_VINDEX, /* VERBOSE INDEX */
	MAIL_CMD_GET,
	MAIL_CMD_LAST,
	MAIL_CMD_MGET
};

/* A command; arg points into the subject given to mail_cmd_parse. */
struct mail_cmd {
	enum mail_cmd_kind kind;
	const char *arg; /* the rest of the Subject, trimmed */
	size_t arglen;   /* 0: no argument */
};

/* Read the command of a Subject.  Pure; never fails. */
void mail_cmd_parse(const char *subject, struct mail_cmd *out);

/* Name of a command ("VERBOSE INDEX", ...).  Static. */
const char *mail_cmd_name(enum mail_cmd_kind kind);

/* What the filter needs around one message. */
struct mail_ctx {
	const struct pks_config *cfg;
	struct store *st;
	const char *env_sender; /* $SENDER from the MTA; NULL if unset */
	int dry_run;            /* replies to 'out', nothing queued */
	FILE *out;
	const struct ingest_sync *sync; /* mail sync list; NULL: none */
	int ignored; /* out: set when the message was deliberately ignored
		      * (bounce, robot, own mail, incremental not accepted,
		      * a command not answered) rather than acted on */
};

/*
 * Handle one message data[0..len) (the MTA's bytes, an mbox From line
 * first allowed).  PKS_OK when handled, also when deliberately ignored
 * (logged).  PKS_ERR_PARSE or PKS_ERR_TOOBIG for a message that can
 * never be used (the MTA should refuse it: exit 65); transient errors
 * (PKS_ERR_BUSY, _FULL, _IO, _NOMEM) when a retry may succeed: then no
 * reply was queued, and keys merged so far merge again unchanged.
 */
enum pks_rc mail_handle(struct mail_ctx *ctx, const char *data, size_t len);

#endif
