/*
 * fuzz_mail_plain.c: fuzz target of mail_plain.c, checked against
 * GMime.  Every message the plain parser takes must read exactly as
 * GMime reads it (mail_parse_mime): every header the filter uses, the
 * X-KeyServer-Sent values and the parts, byte for byte.  The plain
 * parser may hand any message back; it may never read one differently.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail_parse.h"
#include "mail/mail_plain.h"
#include "util/limits.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
same_str(const char *a, const char *b)
{
	if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
		__builtin_trap();
}

static void
same(const struct mail_msg *p, const struct mail_msg *g)
{
	size_t i;

	same_str(p->return_path, g->return_path);
	same_str(p->from, g->from);
	same_str(p->from_local, g->from_local);
	same_str(p->reply_to, g->reply_to);
	same_str(p->subject, g->subject);
	same_str(p->message_id, g->message_id);
	same_str(p->auto_submitted, g->auto_submitted);
	same_str(p->precedence, g->precedence);
	same_str(p->content_type, g->content_type);
	if (p->nsent != g->nsent || p->nparts != g->nparts)
		__builtin_trap();
	for (i = 0; i < p->nsent; i++)
		same_str(p->sent[i], g->sent[i]);
	for (i = 0; i < p->nparts; i++) {
		same_str(p->parts[i].type, g->parts[i].type);
		if (p->parts[i].len != g->parts[i].len ||
		    memcmp(p->parts[i].data, g->parts[i].data,
			p->parts[i].len) != 0)
			__builtin_trap();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_msg *p = calloc(1, sizeof(*p)), *g = NULL;
	struct pks_err err = { 0, NULL };

	log_init("fuzz_mail_plain", LOG_LVL_WARN);
	if (p == NULL)
		return 0;
	if (size <= PKS_MAX_MAIL &&
	    mail_plain_parse((const char *)data, size, p) == PKS_OK) {
		/* mail_parse() turns away what is over the caps before
		 * either reader sees it. */
		if (mail_parse_mime((const char *)data, size, &g, &err) !=
		    PKS_OK) {
			if (err.why == NULL ||
			    strcmp(err.why, "too many multipart boundaries") !=
				0)
				__builtin_trap();
		} else
			same(p, g);
		mail_msg_free(g);
	}
	mail_msg_free(p);
	return 0;
}
