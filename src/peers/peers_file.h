/*
 * peers_file.h: what the two peer files (peers_mail, peers_recon) share:
 * reading a whole file under a cap, noticing that it changed, and
 * replacing it atomically under an edit lock.  Internal to src/peers.
 *
 * An edit holds an exclusive flock(2) on "<path>.lock" (created beside
 * the file and left in place; the file itself is replaced by rename, so
 * it cannot carry the lock) from reading the file to the rename, so two
 * edits at the same moment are applied one after the other.  The new
 * file is written to a temporary file in the same folder, given the old
 * file's mode (and owner, when root edits it), synced and renamed over
 * the old one: a reader never sees half a file.
 */
#ifndef PKS_PEERS_FILE_H
#define PKS_PEERS_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "util/buf.h"
#include "util/rc.h"

/*
 * The whole file at path into b (whose cap bounds it); a missing file
 * is empty with *missing set.  what names the file in warnings.
 * Errors: PKS_ERR_IO (logged), PKS_ERR_TOOBIG (logged).
 */
enum pks_rc peers_file_read(
    const char *path, const char *what, struct buf *b, int *missing);

/* The file as last read, to notice a change (mtime, size, inode). */
struct peers_file_seen {
	struct stat sb;
	int missing;
	int valid; /* 0 until read once */
};

/*
 * Whether the file at path differs from *seen; *now receives its
 * current state, to store in *seen once it has been read.
 */
int peers_file_changed(const char *path, const struct peers_file_seen *seen,
    struct peers_file_seen *now);

/* Take the edit lock of path: a descriptor to close, or -1 (logged). */
int peers_file_lock(const char *path);

/*
 * Replace path by data[0..len) (temporary file, fsync, rename) with
 * orig's mode and owner, or 0644 when orig is NULL (a new file).
 * Errors: PKS_ERR_IO (logged; the old file stays).
 */
enum pks_rc peers_file_replace(
    const char *path, const uint8_t *data, size_t len, const struct stat *orig);

/* Length of the line at s[off..len), without its '\n'. */
size_t peers_file_line_len(const uint8_t *s, size_t len, size_t off);

/* Whether line l[0..n) names the entry an edit is about. */
typedef int (*peers_file_match)(const void *arg, const char *l, size_t n);

/*
 * Edit path under its lock: read it (at most max bytes; missing: empty),
 * count the lines match() accepts in *found, then
 *  - add != NULL: when *found == 0, append the line add (with its '\n');
 *  - add == NULL: when *found > 0, drop those lines;
 * keeping every other line, and replace the file if anything changed.
 * Errors: PKS_ERR_IO (also: the lock cannot be taken), PKS_ERR_TOOBIG.
 */
enum pks_rc peers_file_edit(const char *path, const char *what, size_t max,
    peers_file_match match, const void *arg, const char *add, size_t *found);

#endif
