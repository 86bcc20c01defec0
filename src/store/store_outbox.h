/*
 * store_outbox.h: the outgoing mail queue (table outbox) and the log of
 * replies sent to people (table mail_replies, for the rate limit).
 *
 * A row is one message to one recipient:
 *  - a reply: a complete RFC 5322 message (LF line ends), queued by the
 *    mail filter in a transaction of its own;
 *  - an incremental: the packets to send to one sync peer (SKS framing)
 *    and the X-KeyServer-Sent path, queued by ingest inside the merge's
 *    transaction; "pksync queue-run" composes the mail when it sends.
 *
 * queue-run claims due rows with a lease (owner and expiry, written in
 * one transaction), so two runs never hold the same row; it then ends
 * each claimed row: deleted once the relay accepted it, retried later
 * with back-off, or kept as 'failed' for the admin.  A row whose lease
 * ran out (the run was killed) is due again.
 */
#ifndef PKS_STORE_OUTBOX_H
#define PKS_STORE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "util/rc.h"

/*
 * Queue a reply to a person: one outbox row to rcpt (kind 'reply', due
 * now) and one mail_replies row under 'key' (the rate-limit key of
 * rcpt, lower-cased), in a transaction of its own (so it must not be
 * called inside one); reply log rows older than a day are pruned on the
 * way.  msg[0..len) is copied.  Errors: PKS_ERR_BUSY, PKS_ERR_FULL,
 * PKS_ERR_IO, PKS_ERR_DB (nothing written).
 */
enum pks_rc store_outbox_add_reply(struct store *st, const char *rcpt,
    const char *key, const char *msg, size_t len);

/*
 * Number of replies logged under key rcpt (compared lower-cased), or
 * to anyone when rcpt is NULL, at or after 'since' (unix time) into
 * *n.  Database errors as above.
 */
enum pks_rc store_reply_count(
    struct store *st, const char *rcpt, int64_t since, int64_t *n);

/*
 * Queue an incremental to one peer (due now): data[0..len) are the
 * packets to send (SKS framing, copied), sent the X-KeyServer-Sent
 * values joined by '\n', ours last.  Must be called inside the
 * caller's transaction (ingest's), so the row commits or rolls back
 * with the merge.  Errors: the store's.
 */
enum pks_rc store_outbox_add_incremental(struct store *st, const char *rcpt,
    const char *sent, const uint8_t *data, size_t len);

/* A claimed row; every pointer is owned by the row array. */
struct store_outbox_row {
	int64_t id;
	int reply; /* 1: a reply (body is the message) */
	char *recipient;
	char *sent; /* incremental: X-KeyServer-Sent path; else NULL */
	uint8_t *body;
	size_t len;
	int64_t created;
	int64_t tries; /* attempts before this one */
};

/* How queue-run claims. */
struct store_outbox_claim {
	const char *owner; /* unique per run, e.g. "host:pid:start" */
	int64_t now;       /* unix time */
	int64_t due_by;    /* claim rows with next_try <= due_by */
	int64_t lease;     /* seconds the claim holds */
	int64_t max_age;   /* rows queued longer are failed; 0: never */
	size_t max_rows;   /* claim at most this many rows ... */
	size_t max_bytes;  /* ... and stop once their bodies pass this */
};

/*
 * In one transaction: turn due rows older than c->max_age into
 * 'failed' (count in *nexpired), then claim due rows (state 'queued',
 * next_try <= due_by, no lease alive at now) for c->owner until now +
 * lease.  The
 * rows come ordered by recipient, kind, path and id, so rows that can
 * share one message are adjacent.  *rows is owned by the caller
 * (store_outbox_rows_free); n == 0 means nothing is due.  Errors: the
 * store's (nothing claimed).
 */
enum pks_rc store_outbox_claim(struct store *st,
    const struct store_outbox_claim *c, struct store_outbox_row **rows,
    size_t *n, size_t *nexpired);

void store_outbox_rows_free(struct store_outbox_row *rows, size_t n);

/* The end of one claimed row. */
enum store_outbox_end {
	STORE_OUTBOX_SENT,  /* the relay accepted it: delete the row */
	STORE_OUTBOX_RETRY, /* try again after the back-off */
	STORE_OUTBOX_FAILED /* give up: keep as 'failed' */
};

struct store_outbox_done {
	int64_t id;
	enum store_outbox_end end;
	const char *why; /* the relay's answer (RETRY, FAILED); borrowed */
};

/* Back-off: next_try = now + min(base * 2^tries, max) (seconds). */
struct store_outbox_backoff {
	int64_t now;
	int64_t base;
	int64_t max;
};

/*
 * End claimed rows, all in one transaction.  A row whose lease is no
 * longer owner's is left alone.  Errors: the store's (nothing changed;
 * the leases then run out and the rows are due again).
 */
enum pks_rc store_outbox_finish(struct store *st, const char *owner,
    const struct store_outbox_done *d, size_t n,
    const struct store_outbox_backoff *b);

/*
 * Call cb(arg, id, body, len) for every incremental row, in id order
 * (for pksync check); body is valid during the call only.  A non-zero
 * return stops the walk.  Errors: the store's.
 */
enum pks_rc store_outbox_incr_foreach(struct store *st,
    int (*cb)(void *, int64_t, const uint8_t *, size_t), void *arg);

/* Queue state of one recipient of incrementals. */
struct store_outbox_peer {
	char *recipient;
	int64_t queued;
	int64_t failed;
};

/*
 * Incrementals per recipient (queued and failed counts), ordered by
 * recipient; *out is owned by the caller (store_outbox_peers_free).
 * Recipients are as queued (peers are compared case-insensitively by
 * the callers).
 */
enum pks_rc store_outbox_peers(
    struct store *st, struct store_outbox_peer **out, size_t *n);
void store_outbox_peers_free(struct store_outbox_peer *p, size_t n);

/* When the relay last accepted an incremental to one recipient. */
struct store_outbox_delivered {
	char *recipient; /* lower-cased */
	int64_t last_sent;
};

/*
 * Every recipient an incremental was ever delivered to (kept when the
 * sent row is deleted, by store_outbox_finish with b->now), ordered by
 * recipient; *out is the caller's (store_outbox_delivered_free).
 */
enum pks_rc store_outbox_delivered_list(
    struct store *st, struct store_outbox_delivered **out, size_t *n);
void store_outbox_delivered_free(struct store_outbox_delivered *d, size_t n);

/* Totals of the whole queue. */
struct store_outbox_totals {
	int64_t incr_queued;
	int64_t incr_failed;
	int64_t reply_queued;
	int64_t reply_failed;
	int64_t oldest_queued; /* unix time of the oldest queued row, or 0 */
};
enum pks_rc store_outbox_totals(
    struct store *st, struct store_outbox_totals *t);

/* A failed row, for the admin. */
struct store_outbox_failed {
	int64_t id;
	int reply;
	char *recipient;
	int64_t created;
	int64_t tries;
	char *why; /* last answer, "" if none */
};

/*
 * At most max failed rows, oldest first; *out is owned by the caller
 * (store_outbox_failed_free).
 */
enum pks_rc store_outbox_failed_list(
    struct store *st, size_t max, struct store_outbox_failed **out, size_t *n);
void store_outbox_failed_free(struct store_outbox_failed *f, size_t n);

#endif
