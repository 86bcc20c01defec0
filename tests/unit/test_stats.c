/*
 * test_stats.c: one snapshot of a real (temporary) database and peer
 * files (stats_snapshot_take), and its views (stats_render): the mail
 * peers in file order with their queue counts and last delivery, a
 * former peer with mail still queued, the recon members joined with
 * their recorded sessions, the JSON fields and escaping, the text, the
 * health of a peer.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stats/stats_render.h"
#include "stats/stats_snapshot.h"
#include "store/store.h"
#include "store/store_outbox.h"
#include "store/store_ptree.h"
#include "fixture.h"
#include "tap.h"
#include "util/config.h"
#include "util/log.h"

static char member[128], mailsync[128];
static struct store *g_st;
static struct pks_config g_cfg;
static char s_host[] = "keys<1>.test", s_node[] = "node",
	    s_contact[] = "0x0123456789ABCDEF", s_recon[] = "127.0.0.1:11370";

static void
record(struct store *st, const char *peer, int64_t when, const char *result)
{
	struct store_recon_peer r;

	memset(&r, 0, sizeof(r));
	snprintf(r.peer, sizeof(r.peer), "%s", peer);
	snprintf(r.result, sizeof(r.result), "%s", result);
	snprintf(r.role, sizeof(r.role), "responder");
	r.last = when;
	r.keys_in = 3;
	r.keys_out = 7;
	r.fetched = 2;
	CHECK(store_recon_peer_set(st, &r) == PKS_OK);
}

/* One incremental to each of a, b and former; b's is delivered at 500. */
static void
fill(struct store *st)
{
	static const uint8_t pkt[] = { 0x99, 0x00, 0x00 };
	int64_t now = (int64_t)time(NULL);
	struct store_outbox_claim c = { "t", now, now + 10, 600, 0, 100,
		1u << 20 };
	struct store_outbox_backoff b = { 500, 1, 1 };
	struct store_outbox_done d;
	struct store_outbox_row *rows = NULL;
	size_t n = 0, nexp = 0, i;

	CHECK(store_begin(st) == PKS_OK);
	CHECK(store_outbox_add_incremental(st, "a@peer.test", "me", pkt, 3) ==
	      PKS_OK);
	CHECK(store_outbox_add_incremental(st, "B@peer.test", "me", pkt, 3) ==
	      PKS_OK);
	CHECK(store_outbox_add_incremental(
		  st, "former@peer.test", "me", pkt, 3) == PKS_OK);
	CHECK(store_commit(st) == PKS_OK);
	CHECK(store_outbox_claim(st, &c, &rows, &n, &nexp) == PKS_OK && n == 3);
	for (i = 0; i < n; i++) {
		if (strcmp(rows[i].recipient, "B@peer.test") != 0)
			continue;
		d.id = rows[i].id;
		d.end = STORE_OUTBOX_SENT;
		d.why = NULL;
		CHECK(store_outbox_finish(st, "t", &d, 1, &b) == PKS_OK);
	}
	store_outbox_rows_free(rows, n);
	record(st, "sks.example 11370", 900, "ok");
	record(st, "gone.example 11370", 800, "failed: \"refused\"\n");
}

static void
test_snapshot(void)
{
	struct store *st = g_st;
	struct pks_config *cfg = &g_cfg;
	struct stats_snapshot *s = NULL;

	CHECK(stats_snapshot_take(st, cfg, &s) == PKS_OK && s != NULL);
	if (s == NULL)
		return;
	CHECK(s->http_port == 11371 && s->recon_port == 11370);
	CHECK(s->nmail == 3);
	CHECK(s->nmail == 3 && strcmp(s->mail[0].address, "a@peer.test") == 0 &&
	      s->mail[0].listed && s->mail[0].queued == 1 &&
	      s->mail[0].last_delivered == 0);
	CHECK(s->nmail == 3 && strcmp(s->mail[1].address, "b@peer.test") == 0 &&
	      s->mail[1].queued == 0 && s->mail[1].last_delivered == 500);
	CHECK(s->nmail == 3 &&
	      strcmp(s->mail[2].address, "former@peer.test") == 0 &&
	      !s->mail[2].listed && s->mail[2].queued == 1);
	CHECK(s->queue.incr_queued == 2);
	CHECK(s->nrecon == 3);
	CHECK(s->nrecon == 3 && strcmp(s->recon[0].host, "sks.example") == 0 &&
	      s->recon[0].recon_port == 11370 &&
	      s->recon[0].hkp_port == 11371 && s->recon[0].last == 900 &&
	      s->recon[0].last_good == 900 && s->recon[0].keys_out_at_least &&
	      s->recon[0].keys_out == 7);
	CHECK(s->nrecon == 3 && s->recon[1].last == 0 && s->recon[1].listed);
	CHECK(s->nrecon == 3 && !s->recon[2].listed &&
	      s->recon[2].last_good == 0);
	CHECK(stats_mail_health(&s->mail[0]) == STATS_HEALTH_WAIT);
	CHECK(stats_mail_health(&s->mail[1]) == STATS_HEALTH_OK);
	CHECK(s->nrecon == 3 &&
	      stats_recon_health(&s->recon[0]) == STATS_HEALTH_OK &&
	      stats_recon_health(&s->recon[1]) == STATS_HEALTH_IDLE &&
	      stats_recon_health(&s->recon[2]) == STATS_HEALTH_FAILING);
	stats_snapshot_free(s);
}

static void
test_json(void)
{
	struct store *st = g_st;
	struct pks_config *cfg = &g_cfg;
	struct stats_snapshot *s = NULL;
	struct buf b;
	const char *j;

	buf_init(&b, 1u << 20);
	CHECK(stats_snapshot_take(st, cfg, &s) == PKS_OK);
	CHECK(s != NULL && stats_render_json(s, &b) == PKS_OK &&
	      buf_addc(&b, '\0') == PKS_OK);
	j = (const char *)b.data;
	CHECK(j != NULL && strncmp(j, "{\"software\":\"pksync\",", 21) == 0);
	CHECK(j != NULL && strstr(j, "\"hostname\":\"keys<1>.test\"") != NULL);
	CHECK(j != NULL && strstr(j, "\"httpPort\":11371,\"reconPort\":11370,"
				     "\"total\":0,\"keys\":0,") != NULL);
	CHECK(j != NULL && strstr(j, "\"peers\":[\"sks.example 11370\","
				     "\"other.example 11380\"]") != NULL);
	CHECK(j != NULL && strstr(j, "\"mailsyncPeers\":[\"a@peer.test\","
				     "\"b@peer.test\"]") != NULL);
	CHECK(j != NULL && strstr(j, "{\"peer\":\"former@peer.test\","
				     "\"queued\":1,\"failed\":0}") != NULL);
	CHECK(j != NULL && strstr(j, "\"mailPeers\":[{\"address\":\"a@peer."
				     "test\",\"queued\":1,\"failed\":0,"
				     "\"lastDelivered\":0},") != NULL);
	CHECK(j != NULL && strstr(j, "\"lastDelivered\":500}]") != NULL);
	CHECK(
	    j != NULL && strstr(j, "{\"host\":\"sks.example\",\"reconPort\":"
				   "11370,\"hkpUrl\":\"http://sks.example:"
				   "11371\",\"lastRecon\":900,\"role\":"
				   "\"responder\",\"result\":\"ok\",") != NULL);
	/* A former recon peer is not in reconPeers (the stats page lists
	 * its sessions). */
	CHECK(j != NULL && strstr(j, "gone.example") == NULL);
	CHECK(j != NULL && b.len >= 2 && j[b.len - 2] == '\n');
	stats_snapshot_free(s);
	buf_free(&b);
}

static void
test_text(void)
{
	struct store *st = g_st;
	struct pks_config *cfg = &g_cfg;
	struct stats_snapshot *s = NULL;
	struct buf b;
	const char *t;

	buf_init(&b, 1u << 20);
	CHECK(stats_snapshot_take(st, cfg, &s) == PKS_OK);
	CHECK(s != NULL && stats_render_text(s, &b) == PKS_OK &&
	      buf_addc(&b, '\0') == PKS_OK);
	t = (const char *)b.data;
	CHECK(t != NULL && strstr(t, "keys: 0\n") != NULL);
	CHECK(t != NULL && strstr(t, "former@peer.test") != NULL &&
	      strstr(t, "(not on the sync list)") != NULL);
	CHECK(t != NULL && strstr(t, "sks.example 11370") != NULL &&
	      strstr(t, ">=7") != NULL);
	stats_snapshot_free(s);
	buf_free(&b);
}

int
main(void)
{
	struct pks_config cfg;
	struct store *st = NULL;

	if (fixture_init("stats") != 0) {
		tap_skip("stats", "no temp dir");
		return tap_done();
	}
	log_init("test_stats", LOG_LVL_INFO);
	fixture_path(member, sizeof(member), "membership");
	fixture_path(mailsync, sizeof(mailsync), "mailsync");
	CHECK(
	    fixture_write(member, "sks.example 11370 # x\nother.example 11380\n"));
	CHECK(fixture_write(mailsync, "a@peer.test\nb@peer.test\n"));
	CHECK((st = fixture_store(5000)) != NULL);
	memset(&cfg, 0, sizeof(cfg));
	cfg.dbfile = fixture_db;
	cfg.http_port = 11371;
	cfg.hostname = s_host;
	cfg.nodename = s_node;
	cfg.contact = s_contact;
	cfg.recon_listen = s_recon;
	cfg.membership_file = member;
	cfg.peers_file = mailsync;
	g_st = st;
	g_cfg = cfg;
	if (st != NULL) {
		fill(st);
		RUN(test_snapshot);
		RUN(test_json);
		RUN(test_text);
		store_close(st);
	}
	fixture_done();
	return tap_done();
}
