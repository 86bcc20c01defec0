/*
 * network_stats.h: what a crawler reads from another keyserver's stats
 * page (op=stats&options=mr): its software, version, key count and
 * peers.  Three layouts (docs stats-pages.md):
 *  - pksync's JSON: "software", "version", "total"; recon peers as
 *    "reconPeers":[{"hkpUrl"...}] when present, else "peers":["host
 *    port"] (HKP on the recon port + 1); mail peers "mailPeers":
 *    [{"address"}] or "mailsyncPeers":[address];
 *  - Hockeypuck's JSON: "software", "version", "Total" or "numkeys",
 *    "peers":[{"httpAddr","reconAddr"}] (masked ones skipped),
 *    "pksTargets":[{"Addr"}];
 *  - SKS's HTML: the Settings rows (Version), "Total number of keys:",
 *    the table after the "Gossip Peers" and "Outgoing Mailsync Peers"
 *    headings ("host port" and addresses).
 * Peers come out as URLs: "http://host:port" or "mailto:address".  At
 * most NETWORK_MAX_PAGE_PEERS peers are kept from one page.  Pure.
 */
#ifndef PKS_NETWORK_STATS_H
#define PKS_NETWORK_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "network/network.h"
#include "util/rc.h"

#define NETWORK_MAX_PAGE_PEERS 1000u

struct network_peer {
	char *url; /* owned */
	enum network_kind kind;
};

struct network_stats {
	char software[32]; /* "" when the page does not say */
	char version[64];
	int64_t keys; /* -1 when not given */
	struct network_peer *peers;
	size_t npeers;
};

/*
 * Parse a stats page p[0..len).  server is the Server: header ("" if
 * none; SKS names itself only there and in the title).  out is
 * initialised here; free it with network_stats_free() whatever the
 * result.  PKS_ERR_PARSE when it is neither JSON nor a stats page.
 */
enum pks_rc network_stats_parse(const uint8_t *p, size_t len,
    const char *server, struct network_stats *out);

void network_stats_free(struct network_stats *s);

/*
 * Split an HKP base URL "http://host[:port][/...]" (host a name, IPv4 or
 * [IPv6]; port 11371 by default; hkp:// is taken as http://) into host
 * (brackets kept off) and port.  PKS_ERR_PARSE otherwise, PKS_ERR_UNSUPPORTED
 * for https.
 */
enum pks_rc network_url_parse(
    const char *url, char *host, size_t size, uint16_t *port);

/* "http://host:port" (IPv6 in brackets), host lower-cased.  Caller frees. */
char *network_url_make(const char *host, uint16_t port);

#endif
