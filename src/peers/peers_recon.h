/*
 * peers_recon.h: the recon membership file, [recon] membership_file:
 * the one module that reads, validates and edits it (recon gossip,
 * "pksync recon-peer" and the stats all come here).
 *
 * SKS format: one peer a line, "host port", whitespace separated; '#'
 * starts a comment anywhere; blank lines and extra words are ignored.
 * A line without a valid port (1..65535), or whose host is longer than
 * 255 bytes or holds control or non-ASCII bytes, is skipped.  The port
 * is the peer's recon port; its HKP port is, by SKS's convention, the
 * recon port plus one.  A missing file is an empty membership.
 *
 * Edits keep every other line, comments included, and replace the file
 * atomically under an edit lock (peers_file.h).  struct peers_recon
 * caches the membership and re-reads the file when its modification
 * time, size or inode change; it is safe to share between threads.
 */
#ifndef PKS_PEERS_RECON_H
#define PKS_PEERS_RECON_H

#include <stddef.h>
#include <stdint.h>

#include "util/rc.h"

/* The longest membership file read or edited (bytes). */
#define PEERS_RECON_MAX_FILE (1024u * 1024)
/* The most members kept. */
#define PEERS_RECON_MAX 1000u

/* One membership line. */
struct peers_recon_member {
	char host[256]; /* as written in the file */
	uint16_t port;  /* recon port */
};

/* The members in file order; v is on the heap (NULL when n == 0). */
struct peers_recon_list {
	struct peers_recon_member *v;
	size_t n;
};

void peers_recon_list_free(struct peers_recon_list *l);

/* The peer's HKP port by SKS's convention (recon port + 1), 0 if none. */
unsigned peers_recon_hkp_port(const struct peers_recon_member *m);

/*
 * The membership in text[0..len): a new list (never NULL) owned by the
 * caller (peers_recon_list_free).  Pure.
 */
struct peers_recon_list *peers_recon_parse(const char *text, size_t len);

/*
 * Read the file at path into *out (caller's).  Errors: PKS_ERR_IO
 * (logged), PKS_ERR_TOOBIG; *out is then NULL.
 */
enum pks_rc peers_recon_read(const char *path, struct peers_recon_list **out);

/*
 * Add "host port" to the file (created if missing).  Already present
 * (host ASCII case ignored): nothing changes, *already = 1.  Errors:
 * PKS_ERR_PARSE for a host or port the file cannot hold (nothing
 * changes), PKS_ERR_IO, PKS_ERR_TOOBIG.
 */
enum pks_rc peers_recon_add(
    const char *path, const char *host, const char *port, int *already);

/*
 * Remove every line naming host and port.  PKS_ERR_PARSE for a bad
 * host or port, PKS_ERR_NOTFOUND if no line names it; PKS_ERR_IO,
 * PKS_ERR_TOOBIG.
 */
enum pks_rc peers_recon_remove(
    const char *path, const char *host, const char *port);

/* A cached membership that follows the file. */
struct peers_recon;

/* path is copied; never fails.  peers_recon_free(NULL) does nothing. */
struct peers_recon *peers_recon_new(const char *path);
void peers_recon_free(struct peers_recon *pr);

/*
 * A copy of the current membership (re-read first if the file changed),
 * owned by the caller (peers_recon_list_free); *fresh (may be NULL) is
 * set when this call read the file.  When the file cannot be read the
 * last membership read is used; PKS_ERR_IO only if there is none.
 */
enum pks_rc peers_recon_get(
    struct peers_recon *pr, struct peers_recon_list **out, int *fresh);

#endif
