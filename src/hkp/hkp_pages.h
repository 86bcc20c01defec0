/*
 * hkp_pages.h: the pages people open in a browser: the front page (a
 * search form that submits to /pks/lookup, a form that posts a key to
 * /pks/add), the sync page and the stylesheet every page shares.
 *
 * Both are handlers of the route table (hkp_server.c) with no op
 * argument (q is NULL).  They set the reply's Content-Type and
 * Cache-Control; the front page is built from the configuration on each
 * request (every configured string is escaped), the stylesheet is a
 * constant.
 */
#ifndef PKS_HKP_PAGES_H
#define PKS_HKP_PAGES_H

#include "hkp/hkp_html.h"
#include "hkp/hkp_int.h"
#include "stats/stats_snapshot.h"

/* GET /: the front page, text/html, cacheable for a few minutes. */
enum pks_rc hkp_page_front(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r);

/* GET HKP_SYNC_PATH: how keys reach this server and leave it, and an
 * SVG picture of its peers drawn from a snapshot (hkp_sync.c),
 * text/html, not cached (it shows the state of the moment). */
enum pks_rc hkp_page_sync(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r);

/*
 * The peer rows of the stats page's "Outgoing Mail Queue" and "Recon
 * Peer Status" tables and of the sync page's peer tables, one writer
 * each (hkp_stats.c).  Mail: peer, queued, failed, last delivered.
 * Recon: peer, last session, role, result, last good, keys in, keys
 * out (">=N" where a lower bound), fetched.  with_state (the sync page)
 * adds the health word after the peer, drops role and fetched and
 * shows a missing result as "-".  Every cell is escaped.
 */
enum pks_rc hkp_mail_peer_row(
    struct buf *out, const struct stats_mail_peer *p, int with_state);
enum pks_rc hkp_recon_peer_row(
    struct buf *out, const struct stats_recon_peer *p, int with_state);

/* GET HKP_STYLE_PATH: the stylesheet, text/css, cacheable for a year
 * (its URL carries the version). */
enum pks_rc hkp_page_style(
    struct hkp_ctx *ctx, const struct hkp_query *q, struct hkp_reply *r);

#endif
