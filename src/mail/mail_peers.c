/*
 * mail_peers.c: the mail sync list file: reading, validating, editing
 * in place (atomically), and a cache that follows the file.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mail/mail_peers.h"
#include "util/buf.h"
#include "util/log.h"
#include "util/xalloc.h"

#define ADDR_MAX 254u
#define LOCAL_MAX 64u
#define LABEL_MAX 63u

static int
atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* A dot-atom of n bytes: atext runs joined by single dots. */
static int
dot_atom(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.' ? s[i + 1] == '.' : !atext((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/* A host name: labels of letters, digits and inner '-', joined by dots. */
static int
host_name(const char *s, size_t n)
{
	size_t i, start = 0;
	int c;

	if (n == 0)
		return 0;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			c = (unsigned char)s[i];
			if (!((c >= 'a' && c <= 'z') ||
				(c >= 'A' && c <= 'Z') ||
				(c >= '0' && c <= '9') || c == '-'))
				return 0;
			continue;
		}
		if (i == start || i - start > LABEL_MAX || s[start] == '-' ||
		    s[i - 1] == '-')
			return 0;
		start = i + 1;
	}
	return 1;
}

int
mail_peer_addr_ok(const char *addr)
{
	const char *at;
	size_t n;

	if (addr == NULL)
		return 0;
	n = strnlen(addr, ADDR_MAX + 1);
	if (n > ADDR_MAX || (at = strchr(addr, '@')) == NULL ||
	    strchr(at + 1, '@') != NULL)
		return 0;
	if ((size_t)(at - addr) > LOCAL_MAX)
		return 0;
	return dot_atom(addr, (size_t)(at - addr)) &&
	       host_name(at + 1, n - (size_t)(at - addr) - 1);
}

/*
 * The address of one line s[0..n): 0 for a blank or comment line, 1
 * with the address in a[] (NUL-terminated), -1 for anything else.
 */
static int
line_addr(const char *s, size_t n, char a[ADDR_MAX + 1])
{
	size_t i = 0, start, len;

	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	if (i == n || s[i] == '#')
		return 0;
	start = i;
	while (
	    i < n && s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '#')
		i++;
	len = i - start;
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	if ((i < n && s[i] != '#') || len > ADDR_MAX)
		return -1;
	memcpy(a, s + start, len);
	a[len] = '\0';
	return mail_peer_addr_ok(a) ? 1 : -1;
}

/* The whole file into b; a missing file is empty with *missing set. */
static enum pks_rc
read_all(const char *path, struct buf *b, int *missing)
{
	char chunk[8192];
	enum pks_rc rc = PKS_OK;
	size_t r;
	FILE *f;

	*missing = 0;
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT) {
			*missing = 1;
			return PKS_OK;
		}
		log_warn("mail: sync list %s", path);
		return PKS_ERR_IO;
	}
	while (rc == PKS_OK && (r = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_add(b, chunk, r);
	if (rc == PKS_OK && ferror(f)) {
		log_warn("mail: sync list %s", path);
		rc = PKS_ERR_IO;
	}
	if (rc == PKS_ERR_TOOBIG)
		log_warnx("mail: sync list %s is over %u bytes", path,
		    MAIL_PEERS_MAX_FILE);
	fclose(f);
	return rc;
}

/* Length of the line at s[off..len), without its '\n'. */
static size_t
line_len(const uint8_t *s, size_t len, size_t off)
{
	const uint8_t *nl = memchr(s + off, '\n', len - off);

	return nl != NULL ? (size_t)(nl - (s + off)) : len - off;
}

static void
list_add(struct ingest_sync *sy, const char *a)
{
	size_t i;

	for (i = 0; i < sy->npeers; i++)
		if (strcasecmp(sy->peers[i], a) == 0)
			return;
	sy->peers =
	    xreallocarray(sy->peers, sy->npeers + 1, sizeof(*sy->peers));
	sy->peers[sy->npeers++] = xstrdup(a);
}

enum pks_rc
mail_peers_parse(const char *text, size_t len, const char *name,
    const char *this_site, struct ingest_sync **out)
{
	struct ingest_sync *sy;
	char a[ADDR_MAX + 1];
	size_t off, n, lineno = 0;

	sy = xcalloc(1, sizeof(*sy));
	sy->this_site = xstrdup(this_site != NULL ? this_site : "");
	for (off = 0; off < len; off += n + 1) {
		n = line_len((const uint8_t *)text, len, off);
		lineno++;
		switch (line_addr(text + off, n, a)) {
		case 1:
			if (sy->npeers < MAIL_PEERS_MAX)
				list_add(sy, a);
			break;
		case -1:
			log_warnx("mail: sync list %s:%zu: not an address, "
				  "line skipped",
			    name, lineno);
			break;
		default:
			break;
		}
	}
	*out = sy;
	return PKS_OK;
}

enum pks_rc
mail_peers_read(
    const char *path, const char *this_site, struct ingest_sync **out)
{
	struct buf b;
	enum pks_rc rc;
	int missing;

	*out = NULL;
	buf_init(&b, MAIL_PEERS_MAX_FILE);
	rc = read_all(path, &b, &missing);
	if (rc == PKS_OK)
		rc = mail_peers_parse(
		    (const char *)b.data, b.len, path, this_site, out);
	buf_free(&b);
	return rc;
}

int
mail_peers_has(const struct ingest_sync *sy, const char *addr)
{
	size_t i;

	if (sy == NULL || addr == NULL)
		return 0;
	for (i = 0; i < sy->npeers; i++)
		if (strcasecmp(sy->peers[i], addr) == 0)
			return 1;
	return 0;
}

/* Write all of data to fd; 0 on success. */
static int
write_all(int fd, const uint8_t *data, size_t len)
{
	size_t off = 0;
	ssize_t w;

	while (off < len) {
		w = write(fd, data + off, len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

/*
 * Write data to path through a temporary file and rename(2), with the
 * old file's mode and (when root edits it) owner: orig NULL for a new
 * file, which gets 0644.
 */
static enum pks_rc
replace_file(
    const char *path, const uint8_t *data, size_t len, const struct stat *orig)
{
	mode_t mode = orig != NULL ? orig->st_mode & 07777 : 0644;
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	enum pks_rc rc = PKS_ERR_IO;
	int fd;

	if ((fd = mkstemp(tmp)) == -1) {
		log_warn("mail: %s", tmp);
		free(tmp);
		return PKS_ERR_IO;
	}
	if (write_all(fd, data, len) == 0 && fchmod(fd, mode) == 0 &&
	    (orig == NULL || geteuid() != 0 ||
		fchown(fd, orig->st_uid, orig->st_gid) == 0) &&
	    fsync(fd) == 0 && close(fd) == 0) {
		fd = -1;
		if (rename(tmp, path) == 0)
			rc = PKS_OK;
	}
	if (rc != PKS_OK) {
		log_warn("mail: cannot replace %s", path);
		if (fd != -1)
			close(fd);
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

/*
 * Copy the file b to out, leaving out the lines naming addr when
 * 'drop'; *found counts the lines naming it.
 */
static enum pks_rc
copy_lines(const struct buf *b, const char *addr, int drop, size_t *found,
    struct buf *out)
{
	char a[ADDR_MAX + 1];
	enum pks_rc rc = PKS_OK;
	size_t off, n;
	int named;

	*found = 0;
	for (off = 0; off < b->len && rc == PKS_OK; off += n + 1) {
		n = line_len(b->data, b->len, off);
		named = line_addr((const char *)b->data + off, n, a) == 1 &&
			strcasecmp(a, addr) == 0;
		*found += named;
		if (named && drop)
			continue;
		rc = buf_add(out, b->data + off, n);
		if (rc == PKS_OK)
			rc = buf_addc(out, '\n');
	}
	return rc;
}

/*
 * Take the edit lock: an exclusive flock(2) on "<path>.lock" (the peers
 * file itself is replaced by rename, so it cannot carry the lock).
 * Returns the descriptor to close, or -1 (logged).
 */
static int
lock_edits(const char *path)
{
	char *lp = xasprintf("%s.lock", path);
	int fd;

	fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1)
		log_warn("mail: sync list lock %s", lp);
	while (fd != -1 && flock(fd, LOCK_EX) == -1) {
		if (errno == EINTR)
			continue;
		log_warn("mail: sync list lock %s", lp);
		close(fd);
		fd = -1;
	}
	free(lp);
	return fd;
}

/* Read the file, copy it with or without addr, and replace it; under
 * the edit lock, so that concurrent edits never lose one another. */
static enum pks_rc
edit(const char *path, const char *addr, int add, size_t *found)
{
	struct buf b, out;
	struct stat sb;
	enum pks_rc rc;
	int missing, lock, have_sb = 0;

	if ((lock = lock_edits(path)) == -1)
		return PKS_ERR_IO;
	buf_init(&b, MAIL_PEERS_MAX_FILE);
	buf_init(&out, MAIL_PEERS_MAX_FILE + ADDR_MAX + 2);
	if ((rc = read_all(path, &b, &missing)) != PKS_OK)
		goto out;
	if (!missing && stat(path, &sb) == 0)
		have_sb = 1;
	if ((rc = copy_lines(&b, addr, !add, found, &out)) != PKS_OK)
		goto out;
	if (add && *found == 0)
		rc = buf_printf(&out, "%s\n", addr);
	if (rc == PKS_OK && (add ? *found == 0 : *found > 0))
		rc =
		    replace_file(path, out.data, out.len, have_sb ? &sb : NULL);
out:
	buf_free(&b);
	buf_free(&out);
	close(lock);
	return rc;
}

enum pks_rc
mail_peers_add(const char *path, const char *addr, int *already)
{
	size_t found = 0;
	enum pks_rc rc;

	*already = 0;
	if (!mail_peer_addr_ok(addr))
		return PKS_ERR_PARSE;
	rc = edit(path, addr, 1, &found);
	*already = rc == PKS_OK && found > 0;
	return rc;
}

enum pks_rc
mail_peers_remove(const char *path, const char *addr)
{
	size_t found = 0;
	enum pks_rc rc;

	rc = edit(path, addr, 0, &found);
	if (rc == PKS_OK && found == 0)
		return PKS_ERR_NOTFOUND;
	return rc;
}

struct mail_peers {
	pthread_mutex_t lock;
	char *path;
	char *this_site;
	struct ingest_sync *list; /* NULL until read once */
	struct stat seen;         /* the file as last read */
	int seen_missing;
};

struct mail_peers *
mail_peers_new(const char *path, const char *this_site)
{
	struct mail_peers *mp = xcalloc(1, sizeof(*mp));

	pthread_mutex_init(&mp->lock, NULL);
	mp->path = xstrdup(path);
	mp->this_site = xstrdup(this_site != NULL ? this_site : "");
	return mp;
}

void
mail_peers_free(struct mail_peers *mp)
{
	if (mp == NULL)
		return;
	pthread_mutex_destroy(&mp->lock);
	ingest_sync_free(mp->list);
	free(mp->path);
	free(mp->this_site);
	free(mp);
}

static struct ingest_sync *
sync_dup(const struct ingest_sync *s)
{
	struct ingest_sync *d = xcalloc(1, sizeof(*d));
	size_t i;

	d->this_site = xstrdup(s->this_site);
	d->peers = xreallocarray(NULL, s->npeers + 1, sizeof(*d->peers));
	for (i = 0; i < s->npeers; i++)
		d->peers[i] = xstrdup(s->peers[i]);
	d->npeers = s->npeers;
	return d;
}

/* Whether the file differs from what was read last. */
static int
changed(const struct mail_peers *mp, const struct stat *sb, int missing)
{
	if (mp->list == NULL || missing != mp->seen_missing)
		return 1;
	if (missing)
		return 0;
	return sb->st_ino != mp->seen.st_ino || sb->st_dev != mp->seen.st_dev ||
	       sb->st_size != mp->seen.st_size ||
	       sb->st_mtim.tv_sec != mp->seen.st_mtim.tv_sec ||
	       sb->st_mtim.tv_nsec != mp->seen.st_mtim.tv_nsec;
}

/* Re-read the file if it changed; keeps the old list on failure. */
static enum pks_rc
refresh(struct mail_peers *mp)
{
	struct ingest_sync *fresh = NULL;
	struct stat sb;
	enum pks_rc rc;
	int missing = 0;

	memset(&sb, 0, sizeof(sb));
	if (stat(mp->path, &sb) == -1) {
		if (errno != ENOENT)
			log_warn("mail: sync list %s", mp->path);
		missing = errno == ENOENT;
	}
	if (!changed(mp, &sb, missing))
		return PKS_OK;
	rc = mail_peers_read(mp->path, mp->this_site, &fresh);
	if (rc != PKS_OK)
		return mp->list != NULL ? PKS_OK : rc;
	if (mp->list != NULL)
		log_info("mail: sync list %s re-read: %zu peers", mp->path,
		    fresh->npeers);
	ingest_sync_free(mp->list);
	mp->list = fresh;
	mp->seen = sb;
	mp->seen_missing = missing;
	return PKS_OK;
}

enum pks_rc
mail_peers_get(void *arg, struct ingest_sync **out)
{
	struct mail_peers *mp = arg;
	enum pks_rc rc;

	*out = NULL;
	pthread_mutex_lock(&mp->lock);
	rc = refresh(mp);
	if (rc == PKS_OK)
		*out = sync_dup(mp->list);
	pthread_mutex_unlock(&mp->lock);
	return rc;
}
