/*
 * mail_queue.h: "pksync queue-run": send what the outbox holds.
 *
 * A run claims due rows in rounds (store_outbox_claim: a lease in one
 * short transaction, so two runs at once never send the same row),
 * composes one message per reply and one incremental per peer (the
 * rows for one peer with the same X-KeyServer-Sent path share a
 * message up to [mail] max_incremental_size bytes of keys), sends them
 * through [mail] relay in SMTP sessions of up to [mail]
 * messages_per_session messages each, up to [mail] smtp_sessions of
 * them at once (one thread each; only the SMTP dialogue runs in the
 * threads, the database is used by the calling thread alone), and
 * after each session ends the
 * rows of its messages in one transaction: deleted once the relay
 * accepted the message (its sender, its recipient and its data all
 * answered 2xx); on a 4xx answer or no connection retried after
 * [mail] queue_retry seconds, doubled per try up to queue_retry_max;
 * on a 5xx answer kept as failed.  Rows
 * queued longer than [mail] queue_max_age are failed when next due.
 * A row is deleted only after the relay accepted its message: rows
 * whose incremental cannot be composed (no key PKS can read, a bad
 * path or address) are kept as failed with the reason.
 *
 * A row is claimed at most once per run (rows due after the run began
 * wait for the next run), so a run always ends; cron or a systemd
 * timer starts the next one.  Incrementals are sent from [mail]
 * maintainer, replies with the null envelope sender (RFC 3834).
 */
#ifndef PKS_MAIL_QUEUE_H
#define PKS_MAIL_QUEUE_H

#include <stddef.h>

#include "store/store.h"
#include "util/config.h"
#include "util/rc.h"

/* Rows claimed per round, and the most body bytes per round. */
#define MAIL_QUEUE_ROUND_ROWS 4000u
#define MAIL_QUEUE_ROUND_BYTES (32u * 1024 * 1024)
/* The most SMTP sessions at once ([mail] smtp_sessions). */
#define MAIL_QUEUE_MAX_SESSIONS 16
/* Seconds a claim holds: longer than any SMTP session can take. */
#define MAIL_QUEUE_LEASE 900

/* What a run did. */
struct mail_queue_stats {
	size_t rows;       /* rows claimed */
	size_t messages;   /* messages handed to the relay */
	size_t sent;       /* messages the relay accepted */
	size_t deferred;   /* messages to retry */
	size_t failed;     /* messages refused for good */
	size_t expired;    /* rows given up for age */
	size_t unsendable; /* rows kept as failed: cannot be composed */
};

/*
 * Send every due row; *stats is filled.  Returns PKS_OK when the queue
 * was worked through (individual messages may have been deferred or
 * failed: see *stats); the store's errors otherwise (claimed rows are
 * then due again when their lease ends).
 */
enum pks_rc mail_queue_run(const struct pks_config *cfg, struct store *st,
    struct mail_queue_stats *stats);

#endif
