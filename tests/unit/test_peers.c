/*
 * test_peers.c: the two peer files (src/peers): the mail sync list
 * (parse, validate, edit in place, the cache, concurrent edits) and the
 * recon membership (the same, SKS format).
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"
#include "tap.h"
#include "peers/peers_mail.h"
#include "peers/peers_recon.h"
#include "util/log.h"

static char peers[128], member[128];

static void
test_addresses(void)
{
	static const char *good[] = { "pgp-public-keys@keys.example.org",
	    "a@localhost", "x.y+z@a-b.c0", "!#$%&'*+-/=?^_`{|}~@x" };
	static const char *bad[] = { "", "a", "@x", "a@", "a@@x", "a@b@c",
	    ".a@x", "a.@x", "a..b@x", "a b@x", "a@-x", "a@x-", "a@x..y",
	    "a@x_y", "\"a\"@x", "a@[127.0.0.1]", "<a@x>", "a@x\n" };
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		CHECK(peers_mail_addr_ok(good[i]));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(!peers_mail_addr_ok(bad[i]));
}

static int
write_peers(const char *text)
{
	return fixture_write(peers, text);
}

static char *
read_peers(void)
{
	size_t n = 0;

	return (char *)tap_read_file(peers, &n);
}

static void
test_peers_file(void)
{
	struct peers_mail_list *sy = NULL;
	char *text;
	int already = 0;

	CHECK(write_peers("# sync list\n\n  pgp-public-keys@b.test  # b\n"
	    "not an address\nPGP-Public-Keys@B.test\nc@c.test\n"));
	CHECK(peers_mail_read(peers, &sy) == PKS_OK);
	CHECK(sy != NULL && sy->n == 2 &&
	    strcmp(sy->addrs[0], "pgp-public-keys@b.test") == 0 &&
	    strcmp(sy->addrs[1], "c@c.test") == 0);
	peers_mail_list_free(sy);
	/* Add keeps every line; a second add changes nothing. */
	CHECK(peers_mail_add(peers, "d@d.test", &already) == PKS_OK &&
	    !already);
	CHECK(peers_mail_add(peers, "D@D.TEST", &already) == PKS_OK &&
	    already);
	CHECK(peers_mail_add(peers, "bad address", &already) ==
	    PKS_ERR_PARSE);
	text = read_peers();
	CHECK(text != NULL && strcmp(text, "# sync list\n\n  "
	    "pgp-public-keys@b.test  # b\nnot an address\n"
	    "PGP-Public-Keys@B.test\nc@c.test\nd@d.test\n") == 0);
	free(text);
	/* Remove drops every line naming it, in any case. */
	CHECK(peers_mail_remove(peers, "pgp-public-keys@B.TEST") == PKS_OK);
	CHECK(peers_mail_remove(peers, "x@x.test") == PKS_ERR_NOTFOUND);
	text = read_peers();
	CHECK(text != NULL && strcmp(text, "# sync list\n\nnot an address\n"
	    "c@c.test\nd@d.test\n") == 0);
	free(text);
	/* A missing file is an empty list, and add creates it. */
	unlink(peers);
	CHECK(peers_mail_read(peers, &sy) == PKS_OK &&
	    sy->n == 0);
	peers_mail_list_free(sy);
	CHECK(peers_mail_add(peers, "e@e.test", &already) == PKS_OK);
	text = read_peers();
	CHECK(text != NULL && strcmp(text, "e@e.test\n") == 0);
	free(text);
}

static void
test_peers_cache(void)
{
	struct peers_mail *mp;
	struct peers_mail_list *sy = NULL;

	CHECK(write_peers("a@a.test\n"));
	mp = peers_mail_new(peers);
	CHECK(peers_mail_get(mp, &sy) == PKS_OK && sy->n == 1);
	peers_mail_list_free(sy);
	/* The file changes (size and inode): the next get sees it. */
	CHECK(write_peers("a@a.test\nb@b.test\n"));
	CHECK(peers_mail_get(mp, &sy) == PKS_OK && sy->n == 2 &&
	    strcmp(sy->addrs[1], "b@b.test") == 0);
	peers_mail_list_free(sy);
	CHECK(peers_mail_remove(peers, "a@a.test") == PKS_OK);
	CHECK(peers_mail_get(mp, &sy) == PKS_OK && sy->n == 1);
	peers_mail_list_free(sy);
	/* Removed: an empty list, no error. */
	unlink(peers);
	CHECK(peers_mail_get(mp, &sy) == PKS_OK && sy->n == 0);
	peers_mail_list_free(sy);
	peers_mail_free(mp);
}

/* Two processes adding 40 addresses each at the same moment, then
 * removing half of them: no edit is lost (peers_file's edit lock). */
#define RACE_N 40
static void
test_peers_concurrent(void)
{
	struct peers_mail_list *sy = NULL;
	char a[64];
	pid_t pid[2];
	int i, k, st, already, bad = 0;

	CHECK(write_peers("# raced\n"));
	for (k = 0; k < 2; k++) {
		pid[k] = fork();
		if (pid[k] == 0) {
			for (i = 0; i < RACE_N; i++) {
				snprintf(a, sizeof(a), "p%d-%d@race.test", k, i);
				if (peers_mail_add(peers, a, &already) != PKS_OK)
					_exit(1);
			}
			for (i = 0; i < RACE_N; i += 2) {
				snprintf(a, sizeof(a), "p%d-%d@race.test", k, i);
				if (peers_mail_remove(peers, a) != PKS_OK)
					_exit(1);
			}
			_exit(0);
		}
		CHECK(pid[k] > 0);
	}
	for (k = 0; k < 2; k++)
		if (pid[k] > 0)
			CHECK(waitpid(pid[k], &st, 0) == pid[k] &&
			    WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(peers_mail_read(peers, &sy) == PKS_OK);
	CHECK(sy != NULL && sy->n == RACE_N);
	for (k = 0; sy != NULL && k < 2; k++) {
		for (i = 0; i < RACE_N; i++) {
			snprintf(a, sizeof(a), "p%d-%d@race.test", k, i);
			bad += peers_mail_list_has(sy, a) != (i % 2 == 1);
		}
	}
	CHECK(bad == 0);
	if (sy != NULL && (sy->n != RACE_N || bad != 0))
		printf("# %zu peers left, %d wrong\n", sy->n, bad);
	peers_mail_list_free(sy);
}

static int
write_member(const char *text)
{
	return fixture_write(member, text);
}

static void
test_recon_parse(void)
{
	static const char text[] = "# SKS membership\n"
				   "keys.example.org 11370 # a comment\n"
				   "10.0.0.2\t11380 extra words\n"
				   "noport\n"
				   "badport 70000\n"
				   "zero 0\n"
				   "x\x01y 11370\n"
				   "   \n"
				   "last 1";
	struct peers_recon_list *l = peers_recon_parse(text, sizeof(text) - 1);

	CHECK(l->n == 3);
	CHECK(l->n == 3 && strcmp(l->v[0].host, "keys.example.org") == 0 &&
	    l->v[0].port == 11370 && peers_recon_hkp_port(&l->v[0]) == 11371);
	CHECK(l->n == 3 && strcmp(l->v[1].host, "10.0.0.2") == 0 &&
	    l->v[1].port == 11380);
	CHECK(l->n == 3 && strcmp(l->v[2].host, "last") == 0 &&
	    l->v[2].port == 1);
	peers_recon_list_free(l);
	l = peers_recon_parse("", 0);
	CHECK(l != NULL && l->n == 0);
	peers_recon_list_free(l);
}

static void
test_recon_edit(void)
{
	struct peers_recon_list *l = NULL;
	char *text;
	size_t n = 0;
	int already = 0;

	CHECK(write_member("# gossip\na.test 11370 # kept\n"));
	CHECK(peers_recon_add(member, "b.test", "11380", &already) == PKS_OK &&
	    !already);
	CHECK(peers_recon_add(member, "A.TEST", "11370", &already) == PKS_OK &&
	    already);
	CHECK(peers_recon_add(member, "bad host", "1", &already) ==
	    PKS_ERR_PARSE);
	CHECK(peers_recon_add(member, "c.test", "65536", &already) ==
	    PKS_ERR_PARSE);
	CHECK(peers_recon_add(member, "c#d", "1", &already) == PKS_ERR_PARSE);
	text = (char *)tap_read_file(member, &n);
	CHECK(text != NULL && strcmp(text, "# gossip\na.test 11370 # kept\n"
	    "b.test 11380\n") == 0);
	free(text);
	CHECK(peers_recon_remove(member, "a.test", "11371") ==
	    PKS_ERR_NOTFOUND);
	CHECK(peers_recon_remove(member, "a.test", "11370") == PKS_OK);
	CHECK(peers_recon_read(member, &l) == PKS_OK && l->n == 1 &&
	    strcmp(l->v[0].host, "b.test") == 0);
	peers_recon_list_free(l);
	unlink(member);
	CHECK(peers_recon_read(member, &l) == PKS_OK && l->n == 0);
	peers_recon_list_free(l);
}

static void
test_recon_cache(void)
{
	struct peers_recon *pr = peers_recon_new(member);
	struct peers_recon_list *l = NULL;
	int fresh = 0;

	CHECK(write_member("a.test 11370\n"));
	CHECK(peers_recon_get(pr, &l, &fresh) == PKS_OK && l->n == 1 &&
	    fresh);
	peers_recon_list_free(l);
	CHECK(peers_recon_get(pr, &l, &fresh) == PKS_OK && l->n == 1 &&
	    !fresh);
	peers_recon_list_free(l);
	CHECK(write_member("a.test 11370\nb.test 11380\n"));
	CHECK(peers_recon_get(pr, &l, &fresh) == PKS_OK && l->n == 2 &&
	    fresh);
	peers_recon_list_free(l);
	unlink(member);
	CHECK(peers_recon_get(pr, &l, &fresh) == PKS_OK && l->n == 0 &&
	    fresh);
	peers_recon_list_free(l);
	peers_recon_free(pr);
}

int
main(void)
{
	if (fixture_init("peers") != 0) {
		tap_skip("peers", "no temp dir");
		return tap_done();
	}
	fixture_path(peers, sizeof(peers), "mailsync");
	fixture_path(member, sizeof(member), "membership");
	log_init("test_peers", LOG_LVL_INFO);
	RUN(test_addresses);
	RUN(test_peers_file);
	RUN(test_peers_cache);
	RUN(test_peers_concurrent);
	RUN(test_recon_parse);
	RUN(test_recon_edit);
	RUN(test_recon_cache);
	fixture_done();
	return tap_done();
}
