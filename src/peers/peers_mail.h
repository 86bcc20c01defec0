/*
 * peers_mail.h: the mail sync list, [mail] peers_file: the one module
 * that reads, validates and edits it (mail, serve, "pksync peer" and
 * the stats all come here).
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
 * holds anything else is skipped with a warning; an address listed
 * twice (ASCII case ignored) is kept once.  A missing file is an empty
 * list.
 *
 * Edits (add, remove) keep every other line, comments included, and
 * replace the file atomically under an edit lock (peers_file.h), so
 * concurrent edits are applied one after the other, none lost.
 * struct peers_mail caches the list for long-running processes and
 * re-reads the file when its modification time, size or inode change;
 * it is safe to share between threads.
 */
#ifndef PKS_PEERS_MAIL_H
#define PKS_PEERS_MAIL_H

#include <stddef.h>

#include "util/rc.h"

/* The longest peers file read or edited (bytes). */
#define PEERS_MAIL_MAX_FILE (1024u * 1024)
/* The most addresses kept. */
#define PEERS_MAIL_MAX 1000u

/* The addresses of the file, in file order; all on the heap. */
struct peers_mail_list {
	char **addrs;
	size_t n;
};

void peers_mail_list_free(struct peers_mail_list *l);

/* Nonzero if addr is an address the sync list accepts (see above). */
int peers_mail_addr_ok(const char *addr);

/* Nonzero if l (NULL: empty) holds addr, ASCII case ignored. */
int peers_mail_list_has(const struct peers_mail_list *l, const char *addr);

/*
 * The list in text[0..len); name is used in warnings about malformed
 * lines, which are skipped.  Returns a new list (never NULL) owned by
 * the caller (peers_mail_list_free).
 */
struct peers_mail_list *peers_mail_parse(
    const char *text, size_t len, const char *name);

/*
 * Read the file at path into *out (caller's, peers_mail_list_free).
 * Errors: PKS_ERR_IO (cannot read; logged), PKS_ERR_TOOBIG (file over
 * the cap); *out is then NULL.
 */
enum pks_rc peers_mail_read(const char *path, struct peers_mail_list **out);

/*
 * Add addr to the file (created if missing), keeping every other line.
 * Already present (ASCII case ignored): nothing changes, *already = 1.
 * Errors: PKS_ERR_PARSE for a malformed address (nothing changes),
 * PKS_ERR_IO (also when the edit lock cannot be taken), PKS_ERR_TOOBIG.
 */
enum pks_rc peers_mail_add(const char *path, const char *addr, int *already);

/*
 * Remove every line naming addr (ASCII case ignored), keeping the
 * others.  PKS_ERR_NOTFOUND if no line names it; PKS_ERR_IO,
 * PKS_ERR_TOOBIG.
 */
enum pks_rc peers_mail_remove(const char *path, const char *addr);

/* A cached sync list that follows the file. */
struct peers_mail;

/* path is copied; never fails.  peers_mail_free(NULL) does nothing. */
struct peers_mail *peers_mail_new(const char *path);
void peers_mail_free(struct peers_mail *pm);

/*
 * A copy of the current list (re-read first if the file changed), owned
 * by the caller (peers_mail_list_free).  When the file cannot be read
 * the last list read is used (logged); PKS_ERR_IO only if there is none.
 */
enum pks_rc peers_mail_get(struct peers_mail *pm, struct peers_mail_list **out);

#endif
