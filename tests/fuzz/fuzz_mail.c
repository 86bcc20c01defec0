/*
 * fuzz_mail.c: fuzz target of the mail parsing path.  An arbitrary
 * message is taken apart (GMime), its command read, every armored key
 * block of its parts decoded, and a reply composed from what the
 * message claims (subject, Message-Id, addresses).  Invariants: parsed
 * strings are bounded and the composed reply stays within its headers'
 * rules (no bare CR, the subject on one logical header).
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail/mail_cmd.h"
#include "mail/mail_compose.h"
#include "mail/mail_parse.h"
#include "pgp/pgp_armor.h"
#include "util/config.h"
#include "util/limits.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
decode_keys(const struct mail_part *p)
{
	struct buf out;
	struct pks_err err = { 0, NULL };
	size_t off = 0, last;
	enum pks_rc rc;

	buf_init(&out, PKS_MAX_ARMOR);
	for (;;) {
		last = off;
		rc = pgp_armor_next((const char *)p->data, p->len, &off, &out,
		    &err);
		if (rc == PKS_ERR_NOTFOUND)
			break;
		if (off <= last || off > p->len)
			__builtin_trap();
	}
	buf_free(&out);
}

static void
compose(const struct mail_msg *m)
{
	static struct pks_config cfg;
	struct mail_reply r;
	struct buf out;
	char *cut;

	cfg.maintainer = (char *)(uintptr_t)"admin@keys.test";
	cfg.hostname = (char *)(uintptr_t)"keys.test";
	memset(&r, 0, sizeof(r));
	r.to = m->reply_to != NULL ? m->reply_to : "x@y.z";
	r.subject = m->subject;
	r.in_reply_to = m->message_id;
	r.intro = m->subject;
	buf_init(&out, MAIL_MAX_REPLY);
	if (mail_compose_reply(&cfg, &r, 0, &out) != PKS_OK)
		__builtin_trap();
	if (memchr(out.data, '\r', out.len) != NULL)
		__builtin_trap();
	/* The headers end at the first blank line, after the subject. */
	cut = strstr((char *)out.data, "\n\n");
	if (cut == NULL || strstr((char *)out.data, "\nSubject: ") == NULL ||
	    strstr((char *)out.data, "\nSubject: ") > cut)
		__builtin_trap();
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mail_msg *m = NULL;
	struct pks_err err = { 0, NULL };
	struct mail_cmd c;
	size_t i;

	log_init("fuzz_mail", LOG_LVL_WARN);
	if (mail_parse((const char *)data, size, &m, &err) != PKS_OK) {
		if (m != NULL || err.why == NULL)
			__builtin_trap();
		return 0;
	}
	mail_cmd_parse(m->subject, &c);
	if (c.arg != NULL && (c.arg < m->subject ||
	    c.arg + c.arglen > m->subject + strlen(m->subject)))
		__builtin_trap();
	if ((m->from != NULL && strlen(m->from) > MAIL_MAX_ADDR) ||
	    m->nsent > MAIL_MAX_SENT || m->nparts > MAIL_MAX_PARTS)
		__builtin_trap();
	for (i = 0; i < m->nparts; i++)
		decode_keys(&m->parts[i]);
	compose(m);
	mail_msg_free(m);
	return 0;
}
