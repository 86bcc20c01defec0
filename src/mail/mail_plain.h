/*
 * mail_plain.h: taking apart, without GMime, the messages that need no
 * MIME: one part of a type that may carry keys or none, no transfer
 * encoding, and plain values in every header the filter reads
 * (mail_parse.h says which).  mail_parse() tries this first and hands
 * anything else to GMime, which is then loaded.
 */
#ifndef PKS_MAIL_PLAIN_H
#define PKS_MAIL_PLAIN_H

#include <stddef.h>

#include "mail/mail_parse.h"
#include "util/rc.h"

/*
 * Fill m (zeroed by the caller; env_from is left alone) from a message
 * of len bytes, exactly as GMime would through mail_parse_mime().
 * PKS_ERR_UNSUPPORTED when the message is not plain enough to be sure
 * of that: m may then hold part of the fields and is to be freed
 * (mail_msg_free), not used.
 */
enum pks_rc mail_plain_parse(const char *data, size_t len, struct mail_msg *m);

/* 1 if a part of this (lower-case) MIME type may carry keys. */
int mail_key_type(const char *type);

#endif
