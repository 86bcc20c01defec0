/*
 * store_outbox.h: the outgoing mail queue (table outbox) and the log of
 * replies sent to people (table mail_replies, for the rate limit).
 *
 * A queued message is a complete RFC 5322 message (headers and body,
 * LF line ends); "pksync queue-run" sends it and removes the row once
 * the relay accepted it.
 */
#ifndef PKS_STORE_OUTBOX_H
#define PKS_STORE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/rc.h"

/*
 * Queue a reply to a person: one outbox row (kind 'reply', due now) and
 * one mail_replies row for rcpt (lower-cased), in a transaction of its
 * own (so it must not be called inside one); reply log rows older than
 * a day are pruned on the way.  msg[0..len) is copied.  Errors:
 * PKS_ERR_BUSY, PKS_ERR_FULL, PKS_ERR_IO, PKS_ERR_DB (nothing written).
 */
enum pks_rc store_outbox_add_reply(struct store *st, const char *rcpt,
    const char *msg, size_t len);

/*
 * Number of replies queued to rcpt (compared lower-cased) at or after
 * 'since' (unix time) into *n.  Database errors as above.
 */
enum pks_rc store_reply_count(struct store *st, const char *rcpt,
    int64_t since, int64_t *n);

#endif
