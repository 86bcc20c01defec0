/*
 * test_mail.c: unit tests of src/mail: sample messages from
 * tests/data/mail fed through the parser and the command layer against
 * a temporary SQLite database (keys from the debian-keyring package),
 * checking the reply (headers, parts) or its absence and the result.
 * Replies are captured with the dry-run path (open_memstream); the
 * rate limit is checked through the real outbox.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fixture.h"
#include "tap.h"
#include "ingest/ingest.h"
#include "mail/mail_cmd.h"
#include "mail/mail_compose.h"
#include "mail/mail_incr.h"
#include "mail/mail_parse.h"
#include "ingest/ingest.h"
#include "store/store.h"
#include "store/store_outbox.h"
#include "util/config.h"
#include "util/limits.h"
#include "util/log.h"

#define KEYRING "/usr/share/keyrings/debian-keyring.gpg"

static char peers[128];
static struct pks_config *cfg;
static struct store *st;
/* The sync list feed() hands to mail_handle (NULL: none). */
static const struct ingest_sync *feed_sync;

static void
remove_db(void)
{
	store_close(st);
	st = NULL;
	fixture_db_remove();
}

static int
fresh_store(void)
{
	store_close(st);
	return (st = fixture_store(200)) != NULL;
}

static long long
nkeys(void)
{
	return fixture_sql_int("SELECT count(*) FROM keys");
}

/*
 * Feed tests/data/mail/<name> to mail_handle with $SENDER 'sender'
 * (NULL: unset).  Returns the reply written ("" for none; caller
 * frees) and the result in *rc.
 */
static char *
feed(const char *name, const char *sender, int dry_run, enum pks_rc *rc)
{
	char rel[128];
	struct mail_ctx mc;
	uint8_t *data;
	size_t len = 0, outlen = 0;
	char *out = NULL;
	FILE *f;

	snprintf(rel, sizeof(rel), "tests/data/mail/%s", name);
	data = tap_read_file(tap_srcpath(rel), &len);
	f = open_memstream(&out, &outlen);
	*rc = PKS_ERR_INTERNAL;
	if (data != NULL && f != NULL) {
		memset(&mc, 0, sizeof(mc));
		mc.cfg = cfg;
		mc.st = st;
		mc.env_sender = sender;
		mc.dry_run = dry_run;
		mc.out = f;
		mc.sync = feed_sync;
		*rc = mail_handle(&mc, (const char *)data, len);
	}
	if (f != NULL)
		fclose(f);
	free(data);
	if (out == NULL)
		out = strdup("");
	return out;
}

/* The reply to a message that must be answered (rc PKS_OK). */
static char *
reply_to(const char *name)
{
	enum pks_rc rc;
	char *r = feed(name, "alice@example.org", 1, &rc);

	CHECK(rc == PKS_OK);
	return r;
}

static int
has(const char *s, const char *needle)
{
	return strstr(s, needle) != NULL;
}

static int
hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The reply's text with quoted-printable undone (soft breaks, =XX);
 * good enough for the bodies, not for encoded-word headers. */
static char *
unqp(const char *s)
{
	char *d = malloc(strlen(s) + 1), *o = d;

	if (d == NULL)
		return NULL;
	while (*s != '\0') {
		if (s[0] == '=' && s[1] == '\n') {
			s += 2;
		} else if (s[0] == '=' && hexv(s[1]) >= 0 && hexv(s[2]) >= 0) {
			*o++ = (char)(hexv(s[1]) * 16 + hexv(s[2]));
			s += 3;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return d;
}

/* has() on the decoded text. */
static int
has_text(const char *s, const char *needle)
{
	char *d = unqp(s);
	int ok = d != NULL && strstr(d, needle) != NULL;

	free(d);
	return ok;
}

static void
test_cmd_parse(void)
{
	struct mail_cmd c;

	mail_cmd_parse("GET 0x12345678", &c);
	CHECK(c.kind == MAIL_CMD_GET && c.arglen == 10 &&
	    strncmp(c.arg, "0x12345678", 10) == 0);
	mail_cmd_parse("  get   alice example  \t", &c);
	CHECK(c.kind == MAIL_CMD_GET && c.arglen == 13);
	mail_cmd_parse("ADDRESS change", &c);
	CHECK(c.kind == MAIL_CMD_INVALID);
	mail_cmd_parse("Add", &c);
	CHECK(c.kind == MAIL_CMD_ADD && c.arglen == 0);
	mail_cmd_parse("VeRbOsE   InDeX bob", &c);
	CHECK(c.kind == MAIL_CMD_VINDEX && c.arglen == 3);
	mail_cmd_parse("verbose", &c);
	CHECK(c.kind == MAIL_CMD_INVALID);
	mail_cmd_parse("verbose indexing x", &c);
	CHECK(c.kind == MAIL_CMD_INVALID);
	mail_cmd_parse("INDEXES x", &c);
	CHECK(c.kind == MAIL_CMD_INVALID);
	mail_cmd_parse("incremental", &c);
	CHECK(c.kind == MAIL_CMD_INCREMENTAL);
	mail_cmd_parse("LAST 3", &c);
	CHECK(c.kind == MAIL_CMD_LAST && c.arglen == 1);
	mail_cmd_parse("mget x", &c);
	CHECK(c.kind == MAIL_CMD_MGET);
	mail_cmd_parse("help de", &c);
	CHECK(c.kind == MAIL_CMD_HELP && c.arglen == 2);
	mail_cmd_parse("", &c);
	CHECK(c.kind == MAIL_CMD_INVALID);
	mail_cmd_parse("Re: Your command, GET x", &c);
	CHECK(c.kind == MAIL_CMD_INVALID);
}

static struct mail_msg *
parse_file(const char *name)
{
	char rel[128];
	struct mail_msg *m = NULL;
	struct pks_err err = { 0, NULL };
	uint8_t *data;
	size_t len = 0;

	snprintf(rel, sizeof(rel), "tests/data/mail/%s", name);
	data = tap_read_file(tap_srcpath(rel), &len);
	if (data != NULL && mail_parse((const char *)data, len, &m, &err) !=
	    PKS_OK)
		m = NULL;
	free(data);
	return m;
}

/* Parts holding an armored key block. */
static size_t
armored_parts(const struct mail_msg *m)
{
	size_t i, n = 0;

	for (i = 0; i < m->nparts; i++)
		if (strstr((const char *)m->parts[i].data,
		    "-----BEGIN PGP PUBLIC KEY BLOCK-----") != NULL)
			n++;
	return n;
}

static void
test_parse_shapes(void)
{
	static const char *const adds[] = {
		"add-plain.eml", "add-multipart.eml", "add-base64.eml",
		"add-qp.eml", "add-clearsigned.eml", "add-two-blocks.eml",
	};
	struct mail_msg *m;
	size_t i;

	for (i = 0; i < sizeof(adds) / sizeof(adds[0]); i++) {
		m = parse_file(adds[i]);
		CHECK(m != NULL);
		if (m == NULL)
			continue;
		CHECK(armored_parts(m) == 1);
		CHECK(m->from != NULL && strcmp(m->from,
		    "alice@example.org") == 0);
		mail_msg_free(m);
	}
	m = parse_file("incr-peer.eml");
	CHECK(m != NULL && m->nsent == 2 &&
	    strcmp(m->sent[0], "pgp-public-keys@far.test") == 0 &&
	    strcmp(m->sent[1], "PGP-Public-Keys@Peer.Test") == 0 &&
	    m->precedence != NULL && strcmp(m->subject, "incremental") == 0);
	mail_msg_free(m);
	m = parse_file("bounce-report.eml");
	CHECK(m != NULL && strcmp(m->content_type, "multipart/report") == 0 &&
	    m->env_from != NULL && strcmp(m->env_from, "MAILER-DAEMON") == 0 &&
	    m->return_path != NULL && strcmp(m->return_path, "<>") == 0);
	mail_msg_free(m);
	m = parse_file("mbox-from.eml");
	CHECK(m != NULL && m->env_from != NULL &&
	    strcmp(m->env_from, "alice@example.org") == 0 &&
	    strcmp(m->subject, "GET 0x00018C22381A7594") == 0);
	mail_msg_free(m);
	m = parse_file("encoded-subject.eml");
	CHECK(m != NULL && strcmp(m->subject, "INDEX S\xc3\xa9" "bastien") == 0);
	mail_msg_free(m);
	m = parse_file("reply-to.eml");
	CHECK(m != NULL && m->reply_to != NULL &&
	    strcmp(m->reply_to, "bob@example.net") == 0);
	mail_msg_free(m);
}

static void
test_parse_refused(void)
{
	struct mail_msg *m = NULL;
	struct pks_err err = { 0, NULL };
	char *big;
	int fds[2];
	struct buf b;

	CHECK(mail_parse("", 0, &m, &err) == PKS_ERR_PARSE && m == NULL);
	CHECK(mail_parse("\n\nbody only\n", 11, &m, &err) == PKS_ERR_PARSE);
	big = calloc(1, PKS_MAX_MAIL + 2);
	CHECK(big != NULL);
	if (big != NULL)
		CHECK(mail_parse(big, PKS_MAX_MAIL + 1, &m, &err) ==
		    PKS_ERR_TOOBIG);
	free(big);
	/* Nested multiparts beyond the cap. */
	big = calloc(1, 64 * 1024);
	if (big != NULL) {
		size_t i, o = 0;

		o += (size_t)snprintf(big, 100, "From: a@b.c\nSubject: ADD\n");
		for (i = 0; i < MAIL_MAX_BOUNDARIES + 1; i++)
			o += (size_t)snprintf(big + o, 200, "Content-Type: "
			    "multipart/mixed; boundary=\"b%zu\"\n\n--b%zu\n",
			    i, i);
		CHECK(mail_parse(big, o, &m, &err) == PKS_ERR_PARSE);
	}
	free(big);
	/* mail_read: a pipe with more than max bytes. */
	CHECK(pipe(fds) == 0);
	CHECK(write(fds[1], "From: a@b.c\nSubject: HELP\n\n0123456789", 36) ==
	    36);
	close(fds[1]);
	buf_init(&b, 1024);
	CHECK(mail_read(fds[0], 20, &b) == PKS_ERR_TOOBIG);
	close(fds[0]);
	buf_free(&b);
	CHECK(pipe(fds) == 0);
	CHECK(write(fds[1], "From: a@b.c\n", 12) == 12);
	close(fds[1]);
	buf_init(&b, 1024);
	CHECK(mail_read(fds[0], 20, &b) == PKS_OK && b.len == 12);
	close(fds[0]);
	buf_free(&b);
}

/* ADD in every MIME shape, on an empty database. */
static void
test_add(void)
{
	static const struct {
		const char *file;
		long long keys;     /* keys after the mail */
	} cases[] = {
		{ "add-plain.eml", 1 },       /* rsa-small */
		{ "add-multipart.eml", 2 },   /* rsa-2uid */
		{ "add-base64.eml", 3 },      /* eddsa */
		{ "add-qp.eml", 3 },          /* rsa-small again */
		{ "add-clearsigned.eml", 3 }, /* rsa-2uid again */
		{ "add-two-blocks.eml", 3 },
	};
	size_t i;
	char *r;

	CHECK(fresh_store());
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = reply_to(cases[i].file);
		CHECK(nkeys() == cases[i].keys);
		CHECK(has_text(r, "To: alice@example.org\n"));
		CHECK(has(r, i < 3 ? "New keys: 1\n" : "contained no new keys"));
		CHECK(!has_text(r, ", failed"));
		if (i == 5)
			CHECK(has_text(r, "Unchanged keys: 2\n"));
		free(r);
	}
	r = reply_to("add-nokey.eml");
	CHECK(has_text(r, "Subject: Your command, ADD, failed\n") &&
	    has_text(r, "No OpenPGP public key block was found"));
	free(r);
}

static int
load_keyring(void)
{
	static const struct ingest_origin import = { INGEST_IMPORT, NULL, 0,
	    NULL };
	uint8_t *ring;
	size_t len = 0;
	enum pks_rc rc;

	if (!fresh_store())
		return 0;
	ring = tap_read_file(KEYRING, &len);
	if (ring == NULL)
		return 0;
	rc = ingest_keyring(st, &import, ring, len, NULL, NULL, NULL);
	free(ring);
	return rc == PKS_OK && nkeys() > 500;
}

/* Headers every reply carries. */
static void
check_headers(const char *r, const char *subject, const char *msgid)
{
	char line[256];

	CHECK(strncmp(r, "To: alice@example.org\nFrom: admin@keys.test\n",
	    44) == 0);
	snprintf(line, sizeof(line), "\nSubject: Your command, %s\n", subject);
	CHECK(has(r, line));
	if (msgid != NULL) {
		snprintf(line, sizeof(line), "\nIn-Reply-To: <%s>\n", msgid);
		CHECK(has(r, line));
	}
	CHECK(has_text(r, "\nAuto-Submitted: auto-replied\n"));
	CHECK(has_text(r, "\nMIME-Version: 1.0\n"));
	CHECK(has_text(r, "\nContent-Type: multipart/mixed; boundary=\"=_pksync_"));
	CHECK(has_text(r, "\nDate: ") && has_text(r, "\nMessage-ID: <pksync."));
	CHECK(!has_text(r, "\r"));
}

static void
test_get(void)
{
	char *r;

	r = reply_to("get.eml");
	check_headers(r, "GET 0x381A7594", "get-0x381a7594@example.org");
	CHECK(has_text(r, "1 key found; the keys are attached."));
	CHECK(has_text(r, "\nContent-Type: application/pgp-keys\n"
	    "Content-Transfer-Encoding: 7bit\n\n"
	    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"));
	CHECK(has_text(r, "-----END PGP PUBLIC KEY BLOCK-----\n\n--=_pksync_"));
	free(r);
	r = reply_to("get-fpr.eml");
	CHECK(has_text(r, "1 key found") && has_text(r, "application/pgp-keys"));
	free(r);
	r = reply_to("mbox-from.eml");
	CHECK(has_text(r, "1 key found") && has_text(r, "application/pgp-keys"));
	free(r);
	r = reply_to("get-none.eml");
	check_headers(r, "GET 0x0123456789ABCDEF", NULL);
	CHECK(has_text(r, "No keys match your search.") &&
	    !has_text(r, "application/pgp-keys"));
	free(r);
	r = reply_to("get-toomany.eml");
	check_headers(r, "GET debian, failed", NULL);
	CHECK(has_text(r, "More than 100 keys match"));
	free(r);
	/* An answer over max_reply_size: "too large, use HKP" instead. */
	cfg->max_reply_keys = 5000;
	cfg->max_reply_size = 16384;
	r = reply_to("get-toomany.eml");
	check_headers(r, "GET debian, too large", NULL);
	CHECK(has_text(r, "too large for one mail reply (this server sends "
			  "at most 16384 bytes)"));
	CHECK(has_text(r, "please use HKP instead"));
	CHECK(!has_text(r, "BEGIN PGP PUBLIC KEY BLOCK"));
	CHECK(strlen(r) < 16384);
	free(r);
	cfg->max_reply_keys = 100;
	cfg->max_reply_size = 2 * 1024 * 1024;
	r = reply_to("get-noarg.eml");
	check_headers(r, "GET, is not supported", NULL);
	free(r);
	r = reply_to("mget.eml");
	check_headers(r, "MGET villemot.*, is not supported", NULL);
	CHECK(has_text(r, "MGET (regular expression search) is not supported"));
	free(r);
}

static void
test_index(void)
{
	char *r;

	r = reply_to("index.eml");
	check_headers(r, "INDEX Villemot", "index-villemot@example.org");
	CHECK(has_text(r, "1 key found; the listing follows."));
	CHECK(has_text(r, "Type bits/keyID            Date       User ID\n"
	    "pub  4096R/00018C22381A7594 2011-07-05 [expired: 2023-05-09] "
	    "S\xc3\xa9" "bastien Villemot <sebastien@"));
	CHECK(has_text(r, "\n                                       "
	    "S\xc3\xa9" "bastien Villemot <"));
	free(r);
	r = reply_to("vindex.eml");
	check_headers(r, "VERBOSE INDEX sebastien@debian.org", NULL);
	CHECK(has_text(r, "     Key fingerprint = 2069 1DFC C2C9 8C47 9529 "
	    "84EE 0001 8C22 381A 7594\n"));
	CHECK(has_text(r, "\nuid  S\xc3\xa9" "bastien Villemot "
	    "<sebastien@debian.org>\n"));
	CHECK(has_text(r, "\nsub  4096R/"));
	/* Signature lines (pgp -kvv): the self-signature, a signer whose
	 * key is in the database (named) and one whose key is not. */
	CHECK(has_text(r, "\nsig3      00018C22381A7594  2022-02-13  "
	    "[selfsig]\n"));
	CHECK(has_text(r, "\nsig       745C4766D4CACDFF  "
	    "2012-11-26  Ralf Treinen <treinen@debian.org>\n"));
	CHECK(has_text(r, "\nsig       7A749064D38F11A3  2012-11-27\n"));
	CHECK(!has_text(r, "[unreadable signature]"));
	free(r);
	r = reply_to("encoded-subject.eml");
	CHECK(has(r, "\nSubject: =?UTF-8?B?WW91ciBjb21tYW5kLCBJTkRFWCBTw6liYXN0"
	    "aWVu?=\n"));
	CHECK(has_text(r, "4 keys found; the listing follows."));
	free(r);
}

static void
test_last_help_invalid(void)
{
	char *r;

	cfg->max_reply_size = 16 * 1024 * 1024;
	r = reply_to("last.eml");
	check_headers(r, "LAST 7", NULL);
	CHECK(has_text(r, "More than 100 keys changed") &&
	    has_text(r, "100 keys found; the keys are attached."));
	free(r);
	cfg->max_reply_size = 2 * 1024 * 1024;
	cfg->max_last_days = 0;
	r = reply_to("last.eml");
	check_headers(r, "LAST 7, failed", NULL);
	CHECK(has_text(r, "LAST is not permitted"));
	free(r);
	cfg->max_last_days = 7;
	r = reply_to("help.eml");
	check_headers(r, "HELP", "help@example.org");
	CHECK(has_text(r, "pksync OpenPGP key server: help for the mail "
	    "interface"));
	free(r);
	r = reply_to("help-lang.eml");
	CHECK(has_text(r, "help for the mail interface"));
	free(r);
	r = reply_to("invalid.eml");
	check_headers(r, "ADDRESS, was invalid", NULL);
	CHECK(has_text(r, "does not start with a command") &&
	    has_text(r, "help for the mail interface"));
	free(r);
	r = reply_to("reply-to.eml");
	CHECK(strncmp(r, "To: bob@example.net\n", 20) == 0);
	free(r);
}

/* Bounces, robots, our own mail: no reply, nothing done, rc PKS_OK. */
static void
test_no_reply(void)
{
	static const char *const quiet[] = {
		"bounce-report.eml", "bounce-nullsender.eml",
		"bounce-daemon.eml", "auto-submitted.eml",
		"precedence-bulk.eml", "own-mail.eml", "no-from.eml",
	};
	enum pks_rc rc;
	size_t i;
	char *r;

	for (i = 0; i < sizeof(quiet) / sizeof(quiet[0]); i++) {
		r = feed(quiet[i], "alice@example.org", 1, &rc);
		CHECK(rc == PKS_OK);
		CHECK(r[0] == '\0');
		free(r);
	}
	/* Postfix sets $SENDER empty for a null envelope sender. */
	r = feed("get.eml", "", 1, &rc);
	CHECK(rc == PKS_OK && r[0] == '\0');
	free(r);
	r = feed("get.eml", NULL, 1, &rc);
	CHECK(rc == PKS_OK && has(r, "application/pgp-keys"));
	free(r);
	CHECK(fixture_sql_int("SELECT count(*) FROM outbox") == 0);
}

/* ADD with Precedence: bulk: keys merged, no reply. */
static void
test_add_bulk(void)
{
	enum pks_rc rc;
	char *r;

	CHECK(fresh_store());
	r = feed("add-bulk.eml", "alice@example.org", 1, &rc);
	CHECK(rc == PKS_OK && r[0] == '\0');
	CHECK(nkeys() == 1);
	free(r);
}

static int
write_peers(const char *text)
{
	FILE *f = fopen(peers, "w");

	if (f == NULL)
		return 0;
	fputs(text, f);
	return fclose(f) == 0;
}

static void
test_incremental(void)
{
	struct ingest_sync *sy = NULL;
	enum pks_rc rc;
	char *r;

	CHECK(fresh_store());
	CHECK(write_peers("# sync list\n  pgp-public-keys@peer.test  # B\n"
	    "\npgp-public-keys@other.test\n"));
	CHECK(ingest_sync_read(peers, "me@here.test", &sy) == PKS_OK);
	CHECK(ingest_sync_has(sy, "PGP-PUBLIC-KEYS@PEER.TEST"));
	CHECK(!ingest_sync_has(sy, "peer.test") && !ingest_sync_has(NULL,
	    "pgp-public-keys@peer.test"));
	ingest_sync_free(sy);
	r = feed("incr-stranger.eml", "pgp-public-keys@stranger.test", 1, &rc);
	CHECK(rc == PKS_OK && r[0] == '\0' && nkeys() == 0);
	free(r);
	r = feed("incr-peer.eml", "pgp-public-keys@peer.test", 1, &rc);
	CHECK(rc == PKS_OK && r[0] == '\0' && nkeys() == 1);
	free(r);
	/* The same incremental again changes nothing. */
	r = feed("incr-peer.eml", "pgp-public-keys@peer.test", 1, &rc);
	CHECK(rc == PKS_OK && r[0] == '\0' && nkeys() == 1);
	free(r);
	/* accept_incrementals = anyone takes the stranger's key. */
	free(cfg->accept_incrementals);
	cfg->accept_incrementals = strdup("anyone");
	r = feed("incr-stranger.eml", "pgp-public-keys@stranger.test", 1, &rc);
	CHECK(rc == PKS_OK && r[0] == '\0' && nkeys() == 2);
	free(r);
	free(cfg->accept_incrementals);
	cfg->accept_incrementals = strdup("peers");
	/* No peers file: nobody is a peer. */
	unlink(peers);
	CHECK(fresh_store());
	r = feed("incr-peer.eml", "pgp-public-keys@peer.test", 1, &rc);
	CHECK(rc == PKS_OK && nkeys() == 0);
	free(r);
	CHECK(fixture_sql_int("SELECT count(*) FROM outbox") == 0);
	/* The caller's sync list is what counts (mail-filter reads it once
	 * with ingest_sync_read): the sender is on it, the file is gone.
	 * Its peers not in X-KeyServer-Sent get the key. */
	CHECK(write_peers("pgp-public-keys@peer.test\nnear@x.test\n"
	    "far@bad@x\n"));
	CHECK(ingest_sync_read(peers, "pgp-public-keys@keys.test", &sy) ==
	    PKS_OK && sy->npeers == 2);
	unlink(peers);
	feed_sync = sy;
	r = feed("incr-peer.eml", "pgp-public-keys@peer.test", 1, &rc);
	feed_sync = NULL;
	CHECK(rc == PKS_OK && r[0] == '\0' && nkeys() == 1);
	free(r);
	CHECK(fixture_sql_int("SELECT count(*) FROM outbox WHERE recipient = "
	    "'near@x.test'") == 1);
	CHECK(fixture_sql_int("SELECT count(*) FROM outbox") == 1);
	ingest_sync_free(sy);
}

/* Real queueing: outbox rows and the per-sender rate limit. */
static void
test_outbox_rate_limit(void)
{
	enum pks_rc rc;
	int64_t n = -1;
	char *r;
	int i;

	CHECK(fresh_store());
	cfg->max_replies_per_hour = 2;
	for (i = 0; i < 4; i++) {
		r = feed("help.eml", "alice@example.org", 0, &rc);
		CHECK(rc == PKS_OK && r[0] == '\0');
		free(r);
	}
	CHECK(fixture_sql_int("SELECT count(*) FROM outbox WHERE kind = 'reply' AND "
	    "recipient = 'alice@example.org' AND state = 'queued' AND "
	    "tries = 0 AND instr((SELECT body FROM outbox_body b WHERE "
	    "b.id = outbox.id), 'Subject: Your command, HELP') > 0")
	    == 2);
	CHECK(store_reply_count(st, "ALICE@example.org", 0, &n) == PKS_OK &&
	    n == 2);
	/* Another sender is not limited by Alice's replies. */
	r = feed("reply-to.eml", "alice@example.org", 0, &rc);
	CHECK(rc == PKS_OK);
	free(r);
	CHECK(fixture_sql_int("SELECT count(*) FROM outbox WHERE recipient = "
	    "'bob@example.net'") == 1);
	/* The limit counts the last hour only. */
	CHECK(fixture_sql_int("UPDATE mail_replies SET created = created - 7200 "
	    "RETURNING 0") == 0);
	r = feed("help.eml", "alice@example.org", 0, &rc);
	free(r);
	CHECK(fixture_sql_int("SELECT count(*) FROM outbox WHERE recipient = "
	    "'alice@example.org'") == 3);
	/* Case and +tag variants are the same requester: Alice has had 1
	 * of her 2 this hour, so one of the next two is answered. */
	for (i = 0; i < 2; i++) {
		r = feed("help-tag.eml", NULL, 0, &rc);
		CHECK(rc == PKS_OK);
		free(r);
	}
	CHECK(fixture_sql_int("SELECT count(*) FROM outbox WHERE recipient = "
	    "'Alice+keys@EXAMPLE.org'") == 1);
	CHECK(store_reply_count(st, "alice@example.org", 0, &n) == PKS_OK &&
	    n == 4);
	/* The whole server's hourly limit (2 replies this hour so far). */
	cfg->max_replies_per_hour = 10;
	cfg->max_replies_total_per_hour = 4;
	for (i = 0; i < 3; i++) {
		r = feed("reply-to.eml", "alice@example.org", 0, &rc);
		CHECK(rc == PKS_OK);
		free(r);
	}
	CHECK(fixture_sql_int("SELECT count(*) FROM outbox WHERE recipient = "
	    "'bob@example.net'") == 3);
	CHECK(store_reply_count(st, NULL, 0, &n) == PKS_OK && n == 7);
	cfg->max_replies_total_per_hour = 200;
}

static void
test_rate_key(void)
{
	char k[MAIL_RATE_KEY_MAX];

	mail_rate_key("Alice+Tag@Example.ORG", k, sizeof(k));
	CHECK(strcmp(k, "alice@example.org") == 0);
	mail_rate_key("a+b+c@x+y.test", k, sizeof(k));
	CHECK(strcmp(k, "a@x+y.test") == 0);
	mail_rate_key("NoAt+x", k, sizeof(k));
	CHECK(strcmp(k, "noat+x") == 0);
	mail_rate_key("abcdef@example.org", k, 4);
	CHECK(strcmp(k, "abc") == 0);
}

/* A database locked by another writer: a transient error, nothing
 * merged, no reply; after the lock is gone the same mail works. */
static void
test_busy(void)
{
	sqlite3 *db = NULL;
	enum pks_rc rc;
	char *r;

	CHECK(fresh_store());
	CHECK(sqlite3_open(fixture_db, &db) == SQLITE_OK &&
	    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
	r = feed("add-plain.eml", "alice@example.org", 0, &rc);
	CHECK(rc == PKS_ERR_BUSY && r[0] == '\0');
	free(r);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK(nkeys() == 0);
	r = feed("add-plain.eml", "alice@example.org", 0, &rc);
	CHECK(rc == PKS_OK && nkeys() == 1);
	CHECK(fixture_sql_int("SELECT count(*) FROM outbox") == 1);
	free(r);
}

static void
test_compose(void)
{
	struct mail_reply rep;
	struct buf out;
	char line[200];
	size_t i;

	memset(&rep, 0, sizeof(rep));
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	rep.to = "bob@example.net";
	rep.subject = "GET J\xc3\xb6rg\x01\nBcc: evil@example.org";
	rep.in_reply_to = "bad id with spaces";
	rep.intro = line;
	buf_init(&out, MAIL_MAX_REPLY);
	CHECK(mail_compose_reply(cfg, &rep, 0, &out) == PKS_OK);
	CHECK(has((const char *)out.data, "Subject: =?UTF-8?B?"));
	CHECK(!has((const char *)out.data, "\nBcc:"));
	CHECK(!has((const char *)out.data, "In-Reply-To"));
	CHECK(has((const char *)out.data, "Date: Thu, 01 Jan 1970 00:00:00 "
	    "+0000\n"));
	/* No line over 76 characters (quoted-printable soft breaks). */
	for (i = 0; i < out.len;) {
		size_t e = i;

		while (e < out.len && out.data[e] != '\n')
			e++;
		CHECK(e - i <= 76);
		i = e + 1;
	}
	CHECK(has_text((const char *)out.data, line));
	buf_free(&out);
}

static int
setup(void)
{
	char conf[160];
	FILE *f;
	char *msg = NULL;

	if (fixture_init("mail") != 0)
		return 0;
	/* The database where [server] datadir puts it. */
	fixture_path(fixture_db, sizeof(fixture_db), "pksync.db");
	fixture_path(peers, sizeof(peers), "mailsync");
	fixture_path(conf, sizeof(conf), "pksync.conf");
	if ((f = fopen(conf, "w")) == NULL)
		return 0;
	fprintf(f, "[server]\ndatadir = %s\nhostname = keys.test\n"
	    "busy_timeout_ms = 200\n[mail]\nmaintainer = admin@keys.test\n"
	    "this_site = pgp-public-keys@keys.test\npeers_file = mailsync\n"
	    "help_dir = %s\n", fixture_dir, tap_srcpath("mail/help"));
	fclose(f);
	if (config_load(conf, &cfg, &msg) != PKS_OK) {
		fprintf(stderr, "# %s\n", msg != NULL ? msg : "config");
		free(msg);
		return 0;
	}
	return 1;
}

int
main(void)
{
	log_init("test_mail", LOG_LVL_WARN);
	if (!setup()) {
		printf("Bail out! cannot set up a temporary folder\n");
		return 1;
	}
	RUN(test_cmd_parse);
	RUN(test_parse_shapes);
	RUN(test_parse_refused);
	RUN(test_compose);
	RUN(test_add);
	RUN(test_add_bulk);
	RUN(test_incremental);
	RUN(test_outbox_rate_limit);
	RUN(test_rate_key);
	RUN(test_busy);
	if (access(KEYRING, R_OK) == 0 && load_keyring()) {
		RUN(test_get);
		RUN(test_index);
		RUN(test_last_help_invalid);
		RUN(test_no_reply);
	} else {
		tap_skip("test_get", "debian-keyring not installed");
		tap_skip("test_index", "debian-keyring not installed");
		tap_skip("test_last_help_invalid", "debian-keyring not installed");
		tap_skip("test_no_reply", "debian-keyring not installed");
	}
	remove_db();
	fixture_done();
	config_free(cfg);
	return tap_done();
}
