/*
 * network.h: the map of the keyserver network and the trace of one key
 * over it (pksync network, /pks/trace).
 *
 * network_crawl() starts at the given HKP base URLs (the operator's:
 * trusted), reads each server's stats page (pksync's JSON, Hockeypuck's
 * JSON, SKS's HTML; network_stats.h), and follows the recon peers and,
 * where a page lists them, the mail sync peers.  Every limit is in
 * struct network_opts: servers on the map, depth, one deadline for the
 * whole crawl, bytes of a page, requests at once; one request per
 * server.  A peer's name is resolved and each address checked
 * (http_client.h): a peer in a private, loopback or link-local range
 * is put on the map as refused, never connected to, unless
 * allow_private.  A mail peer is a node "mailto:ADDRESS" unless
 * opts->mail_map gives its HKP URL.
 *
 * network_trace() asks every server of a map about one key: op=hget by
 * this server's SKS hash (current), else op=get by fingerprint (older
 * when it has another version, missing on 404); a server that does not
 * answer is unreachable, never guessed.
 *
 * The renderers (network_render.c) write a map as JSON, Graphviz DOT or
 * an SVG picture; every outside string is escaped.
 */
#ifndef PKS_NETWORK_H
#define PKS_NETWORK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "util/buf.h"
#include "util/rc.h"

enum network_kind { NETWORK_RECON, NETWORK_MAIL };

enum network_state {
	NETWORK_NONE, /* not traced */
	NETWORK_CURRENT,
	NETWORK_OLDER,
	NETWORK_MISSING,
	NETWORK_UNREACHABLE
};

struct network_node {
	char *url;     /* "http://host:port" or "mailto:address" */
	char *host;    /* NULL for mailto */
	uint16_t port; /* HKP port */
	char software[32];
	char version[64];
	int64_t keys;  /* -1: not known */
	int reachable; /* its stats page answered */
	int visited;   /* a request was made */
	int depth;
	char note[96];                /* why not reachable, "" when it is */
	struct sockaddr_storage addr; /* the checked address (visited) */
	socklen_t addrlen;
	enum network_state state;
	int64_t first_seen; /* Unix time first seen current; 0 unknown */
};

struct network_link {
	size_t from, to; /* node indexes; from lists to as its peer */
	enum network_kind kind;
};

struct network_map {
	struct network_node *nodes;
	size_t n;
	struct network_link *links;
	size_t nlinks;
	size_t dropped; /* peers left off: max_servers reached */
	int64_t taken;  /* Unix time of the crawl */
	char fpr[65];   /* traced fingerprint (hex), "" when not traced */
};

struct network_mail_map {
	const char *address; /* compared ignoring case */
	const char *url;     /* its HKP base URL */
};

struct network_opts {
	size_t max_servers; /* nodes on the map */
	int max_depth;      /* hops from a start URL that are visited */
	int deadline_ms;    /* the whole crawl (and the whole trace) */
	int timeout_ms;     /* connect and each read */
	size_t max_page;    /* bytes of one answer */
	int concurrency;    /* requests at once */
	int allow_private;  /* follow peers into private ranges */
	const char *user_agent;
	struct network_mail_map *mail_map;
	size_t nmail_map;
	char *mail_buf; /* owned text mail_map points into, or NULL */
};

/* Defaults of the [network] section. */
void network_opts_default(struct network_opts *o);

/*
 * The options of cfg's [network] section into *o (network_opts.c).
 * [network] mail_hkp is "ADDRESS=URL" pairs separated by blanks or
 * commas: o->mail_map is then a new array, and o->mail_buf the text it
 * points into, both freed by network_opts_free().  PKS_ERR_CONFIG for a
 * pair that is not ADDRESS=http://host[:port] (reason in *why).
 */
struct pks_config;
enum pks_rc network_opts_config(
    const struct pks_config *cfg, struct network_opts *o, const char **why);
void network_opts_free(struct network_opts *o);

/* This server's own HKP base URL from [server] http_listen, with port
 * (the bound one); a wildcard address becomes loopback.  Caller frees. */
char *network_self_url(const struct pks_config *cfg, uint16_t port);

/*
 * A fingerprint as typed ("0x" optional, 32, 40 or 64 hex digits) into
 * upper-case hex (hex, 65 bytes) and binary (bin, 32 bytes; *len).
 * PKS_ERR_PARSE otherwise.
 */
enum pks_rc network_fpr_parse(
    const char *s, char *hex, uint8_t *bin, size_t *len);

/*
 * Crawl from seeds[0..n) (HKP base URLs "http://host[:port][/]").
 * *out is owned by the caller (network_map_free).  PKS_ERR_PARSE for
 * a seed that is not such a URL; the crawl itself does not fail: what
 * did not answer is marked on the map.
 */
enum pks_rc network_crawl(const struct network_opts *o,
    const char *const *seeds, size_t n, struct network_map **out);

/*
 * Trace the key with fingerprint fpr (hex, 32, 40 or 64 digits) on
 * every node of m: sets each node's state.  hash is this server's SKS
 * hash of the key (16 bytes).  Same limits as the crawl.
 */
enum pks_rc network_trace(const struct network_opts *o, struct network_map *m,
    const char *fpr, const uint8_t hash[16]);

void network_map_free(struct network_map *m);

/* "current", "older", "missing", "unreachable" ("" for NETWORK_NONE). */
const char *network_state_name(enum network_state s);
const char *network_kind_name(enum network_kind k);

/* The map as one JSON object (servers, links; state when traced). */
enum pks_rc network_render_json(const struct network_map *m, struct buf *out);

/* The map as a Graphviz digraph. */
enum pks_rc network_render_dot(const struct network_map *m, struct buf *out);

/* The map as an SVG element (no XML declaration: fit for HTML5), servers
 * on a circle coloured by state, links by kind, text labels. */
enum pks_rc network_render_svg(const struct network_map *m, struct buf *out);

#endif
