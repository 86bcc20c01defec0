/*
 * mail_peers.h: the mail sync list, [mail] peers_file.
 *
 * The file holds one peer address a line; '#' starts a comment, blank
 * lines are fine:
 *
 *   # PKS peers (ask an operator before adding them)
 *   pgp-public-keys@keys.example.net   # since 2026
 *
 * An address is a plain addr-spec: a dot-atom local part of at most 64
 * bytes, '@', and a host name of letters, digits and '-' labels (one
 * label such as "localhost" is allowed), 254 bytes in all.  A line that
 * holds anything else is skipped with a warning.  A missing file is an
 * empty list.
 *
 * struct mail_peers caches the list for long-running processes and
 * re-reads the file when its modification time, size or inode change,
 * so edits apply without a restart; it is safe to share between
 * threads.  Editing (add, remove) keeps every other line, comments
 * included, and replaces the file atomically (temporary file in the
 * same folder, fsync, rename).  Each edit holds an exclusive flock(2)
 * on "<peers_file>.lock" (created beside it, left in place) from
 * reading the file to the rename, so edits running at the same moment
 * (two "pksync peer add") are applied one after the other, none lost.
 */
#ifndef PKS_MAIL_PEERS_H
#define PKS_MAIL_PEERS_H

#include <stddef.h>

#include "ingest/ingest.h"
#include "util/rc.h"

/* The longest peers file read or edited (bytes). */
#define MAIL_PEERS_MAX_FILE (1024u * 1024)
/* The most addresses kept. */
#define MAIL_PEERS_MAX 1000u

/* Nonzero if addr is an address the sync list accepts (see above). */
int mail_peer_addr_ok(const char *addr);

/*
 * Read the file at path into a new sync list with this_site (copied).
 * *out is owned by the caller (ingest_sync_free).  Errors: PKS_ERR_IO
 * (cannot read; logged), PKS_ERR_TOOBIG (file over the cap).
 */
enum pks_rc mail_peers_read(
    const char *path, const char *this_site, struct ingest_sync **out);

/*
 * The same from text (one address a line, '#' comments); name is used in
 * warnings about malformed lines, which are skipped.  Never fails.
 */
enum pks_rc mail_peers_parse(const char *text, size_t len, const char *name,
    const char *this_site, struct ingest_sync **out);

/* Nonzero if the list sy (may be NULL: empty) holds addr, ASCII case
 * ignored. */
int mail_peers_has(const struct ingest_sync *sy, const char *addr);

/*
 * Add addr to the file (created if missing), keeping every other line.
 * Already present (ASCII case ignored): nothing changes, *already = 1.
 * Errors: PKS_ERR_PARSE for a malformed address (nothing changes),
 * PKS_ERR_IO (also when the edit lock cannot be taken), PKS_ERR_TOOBIG.
 */
enum pks_rc mail_peers_add(const char *path, const char *addr, int *already);

/*
 * Remove every line naming addr (ASCII case ignored), keeping the
 * others.  PKS_ERR_NOTFOUND if no line names it; PKS_ERR_IO,
 * PKS_ERR_TOOBIG.
 */
enum pks_rc mail_peers_remove(const char *path, const char *addr);

/* A cached sync list that follows the file. */
struct mail_peers;

/* path and this_site are copied; never fails. */
struct mail_peers *mail_peers_new(const char *path, const char *this_site);
void mail_peers_free(struct mail_peers *mp);

/*
 * A copy of the current list (re-read first if the file changed), owned
 * by the caller (ingest_sync_free).  When the file cannot be read the
 * last list read is used (logged); PKS_ERR_IO only if there is none.
 * 'mp' is a struct mail_peers *: the function fits struct
 * ingest_sync_src.
 */
enum pks_rc mail_peers_get(void *mp, struct ingest_sync **out);

#endif
