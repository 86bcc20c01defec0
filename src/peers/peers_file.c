/*
 * peers_file.c: reading, change detection and atomic replacement of a
 * peer file, shared by peers_mail.c and peers_recon.c.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "peers/peers_file.h"
#include "util/log.h"
#include "util/xalloc.h"

enum pks_rc
peers_file_read(const char *path, const char *what, struct buf *b, int *missing)
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
		log_warn("%s %s", what, path);
		return PKS_ERR_IO;
	}
	while (rc == PKS_OK && (r = fread(chunk, 1, sizeof(chunk), f)) > 0)
		rc = buf_add(b, chunk, r);
	if (rc == PKS_OK && ferror(f)) {
		log_warn("%s %s", what, path);
		rc = PKS_ERR_IO;
	}
	if (rc == PKS_ERR_TOOBIG)
		log_warnx("%s %s is over %zu bytes", what, path, b->max);
	fclose(f);
	return rc;
}

int
peers_file_changed(const char *path, const struct peers_file_seen *seen,
    struct peers_file_seen *now)
{
	const struct stat *a = &now->sb, *b = &seen->sb;

	memset(now, 0, sizeof(*now));
	now->valid = 1;
	if (stat(path, &now->sb) == -1) {
		if (errno != ENOENT)
			log_warn("%s", path);
		now->missing = errno == ENOENT;
		memset(&now->sb, 0, sizeof(now->sb));
	}
	if (!seen->valid || now->missing != seen->missing)
		return 1;
	if (now->missing)
		return 0;
	return a->st_ino != b->st_ino || a->st_dev != b->st_dev ||
	       a->st_size != b->st_size ||
	       a->st_mtim.tv_sec != b->st_mtim.tv_sec ||
	       a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

int
peers_file_lock(const char *path)
{
	char *lp = xasprintf("%s.lock", path);
	int fd;

	fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1)
		log_warn("lock %s", lp);
	while (fd != -1 && flock(fd, LOCK_EX) == -1) {
		if (errno == EINTR)
			continue;
		log_warn("lock %s", lp);
		close(fd);
		fd = -1;
	}
	free(lp);
	return fd;
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

enum pks_rc
peers_file_replace(
    const char *path, const uint8_t *data, size_t len, const struct stat *orig)
{
	mode_t mode = orig != NULL ? orig->st_mode & 07777 : 0644;
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	enum pks_rc rc = PKS_ERR_IO;
	int fd;

	if ((fd = mkstemp(tmp)) == -1) {
		log_warn("%s", tmp);
		free(tmp);
		return PKS_ERR_IO;
	}
	if (write_all(fd, data, len) == 0 && fchmod(fd, mode) == 0 &&
	    (orig == NULL || geteuid() != 0 ||
		fchown(fd, orig->st_uid, orig->st_gid) == 0) &&
	    fsync(fd) == 0) {
		rc = close(fd) == 0 ? PKS_OK : PKS_ERR_IO;
		fd = -1;
		if (rc == PKS_OK && rename(tmp, path) != 0)
			rc = PKS_ERR_IO;
	}
	if (rc != PKS_OK) {
		log_warn("cannot replace %s", path);
		if (fd != -1)
			close(fd);
		unlink(tmp);
	}
	free(tmp);
	return rc;
}

size_t
peers_file_line_len(const uint8_t *s, size_t len, size_t off)
{
	const uint8_t *nl = memchr(s + off, '\n', len - off);

	return nl != NULL ? (size_t)(nl - (s + off)) : len - off;
}

/* Copy b to out, leaving out the lines match() accepts when drop;
 * *found counts them. */
static enum pks_rc
copy_lines(const struct buf *b, peers_file_match match, const void *arg,
    int drop, size_t *found, struct buf *out)
{
	enum pks_rc rc = PKS_OK;
	size_t off, n;
	int named;

	*found = 0;
	for (off = 0; off < b->len && rc == PKS_OK; off += n + 1) {
		n = peers_file_line_len(b->data, b->len, off);
		named = match(arg, (const char *)b->data + off, n);
		*found += named != 0;
		if (named && drop)
			continue;
		rc = buf_add(out, b->data + off, n);
		if (rc == PKS_OK)
			rc = buf_addc(out, '\n');
	}
	return rc;
}

enum pks_rc
peers_file_edit(const char *path, const char *what, size_t max,
    peers_file_match match, const void *arg, const char *add, size_t *found)
{
	struct buf b, out;
	struct stat sb;
	enum pks_rc rc;
	int missing, lock, have_sb = 0;

	*found = 0;
	if ((lock = peers_file_lock(path)) == -1)
		return PKS_ERR_IO;
	buf_init(&b, max);
	buf_init(&out, max + (add != NULL ? strlen(add) : 0) + 2);
	if ((rc = peers_file_read(path, what, &b, &missing)) != PKS_OK)
		goto out;
	if (!missing && stat(path, &sb) == 0)
		have_sb = 1;
	rc = copy_lines(&b, match, arg, add == NULL, found, &out);
	if (rc == PKS_OK && add != NULL && *found == 0)
		rc = buf_printf(&out, "%s\n", add);
	if (rc == PKS_OK && (add != NULL ? *found == 0 : *found > 0))
		rc = peers_file_replace(
		    path, out.data, out.len, have_sb ? &sb : NULL);
out:
	buf_free(&b);
	buf_free(&out);
	close(lock);
	return rc;
}
