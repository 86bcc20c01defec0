/*
 * hkp_guard.h: what one client may cost the HKP server.
 *
 * The guard knows every open connection (struct hkp_conn, made when
 * MHD accepts it and freed when MHD closes it) and keeps, in memory
 * bounded by the configuration:
 *  - open connections per client address (IPv4 address, IPv6 /64);
 *    trusted proxies are not counted;
 *  - a deadline per connection: the request header must be complete
 *    header_ms after the connection opened or the previous request
 *    ended, the body body_ms after the header; a thread shuts the
 *    socket of an overdue connection down, so MHD closes it;
 *  - one budget of request-body bytes for the whole server;
 *  - one budget of reply bytes held for clients that have not read
 *    them yet (buffered answers, the key a streamed answer is
 *    writing), for the whole server and per client address;
 *  - per-address token buckets for uploads and searches.
 * Every function is thread-safe.  Pure of MHD: the server (hkp_server.c)
 * calls it from its MHD callbacks.
 */
#ifndef PKS_HKP_GUARD_H
#define PKS_HKP_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/rc.h"

/* A client address as the limits see it: IPv4 mapped to IPv6, IPv6
 * cut to its /64 (one site gets one share). */
struct hkp_addr {
	uint8_t b[16];
};

/* The address of sa, or 0 when it is neither IPv4 nor IPv6. */
int hkp_addr_from(const struct sockaddr *sa, struct hkp_addr *out);

/* Parse an IPv4 or IPv6 literal (surrounding blanks allowed); the full
 * address (not cut) in *out and its text in text (INET6_ADDRSTRLEN).
 * PKS_ERR_PARSE if it is none. */
enum pks_rc hkp_addr_parse(
    const char *s, size_t len, struct hkp_addr *out, char *text, size_t size);

struct hkp_guard_cfg {
	unsigned per_addr_conns; /* 0: no limit */
	int header_ms;           /* 0: no deadline */
	int body_ms;             /* 0: no deadline */
	size_t body_budget;      /* bytes of all buffered bodies */
	size_t reply_budget;     /* bytes of all answers held */
	size_t reply_per_addr;   /* of them, for one client address */
	unsigned add_per_min;    /* 0: no limit */
	unsigned search_per_min; /* 0: no limit */
	const char *trusted;     /* proxies, comma or blank separated */
};

enum hkp_phase { HKP_PH_HEADER, HKP_PH_BODY, HKP_PH_REPLY };
enum hkp_rate { HKP_RATE_ADD, HKP_RATE_SEARCH };

struct hkp_guard;
struct hkp_conn;

/*
 * Start a guard (and its deadline thread).  *out is owned by the caller
 * (hkp_guard_free).  PKS_ERR_CONFIG when trusted holds a word that is
 * not an IP address.
 */
enum pks_rc hkp_guard_new(
    const struct hkp_guard_cfg *cfg, struct hkp_guard **out);
void hkp_guard_free(struct hkp_guard *g);

/* Nonzero when a connection from sa may be accepted now. */
int hkp_guard_admit(struct hkp_guard *g, const struct sockaddr *sa);

/* Nonzero when sa is a trusted proxy. */
int hkp_guard_trusted(struct hkp_guard *g, const struct sockaddr *sa);

/* Track an accepted connection on socket fd; it starts in the header
 * phase.  Owned by the guard until hkp_guard_close(). */
struct hkp_conn *hkp_guard_open(
    struct hkp_guard *g, const struct sockaddr *sa, int fd);

/* Forget c; call before its socket is closed. */
void hkp_guard_close(struct hkp_guard *g, struct hkp_conn *c);

/* c entered a phase now (the header and body deadlines start here). */
void hkp_guard_phase(struct hkp_guard *g, struct hkp_conn *c, enum hkp_phase p);

/* Reserve n more bytes of the body budget; PKS_ERR_FULL when they do
 * not fit (nothing reserved). */
enum pks_rc hkp_guard_reserve(struct hkp_guard *g, size_t n);
void hkp_guard_release(struct hkp_guard *g, size_t n);

/*
 * Take n bytes of the reply budget for client address a (the address
 * the rate limits use; NULL: the server-wide budget only).  PKS_OK;
 * PKS_ERR_FULL, nothing taken, when the server's budget or a's share
 * cannot hold them now; PKS_ERR_TOOBIG when they never could.  Give
 * them back with the same a.
 */
enum pks_rc hkp_guard_reply_take(
    struct hkp_guard *g, const struct hkp_addr *a, size_t n);
void hkp_guard_reply_give(
    struct hkp_guard *g, const struct hkp_addr *a, size_t n);

/*
 * Take one token of kind k for client address a.  PKS_OK, or
 * PKS_ERR_REFUSED with *retry_s the seconds until the next token.
 */
enum pks_rc hkp_guard_rate(struct hkp_guard *g, const struct hkp_addr *a,
    enum hkp_rate k, int *retry_s);

/* Counters since start, for logs and tests. */
struct hkp_guard_stats {
	size_t refused_conns; /* over the per-address limit */
	size_t timed_out;     /* header or body deadline */
	size_t over_budget;   /* bodies refused for the budget */
	size_t over_reply;    /* answers refused or cut for the budget */
	size_t rate_limited;  /* 429 answers */
	size_t body_bytes;    /* budget in use now */
	size_t reply_bytes;   /* reply budget in use now */
};
void hkp_guard_stats(struct hkp_guard *g, struct hkp_guard_stats *out);

/* Count one body refused for the budget (the server decides). */
void hkp_guard_count_budget(struct hkp_guard *g);

#endif
