/*
 * dynlib.h: open a shared library when it is first needed.
 *
 * Every pksync process pays for loading each library it is linked
 * with: mapping, relocations and constructors (GnuTLS under
 * libmicrohttpd and OpenSSL under libesmtp run theirs at load).  The
 * MTA starts one "pksync mail-filter" per message, which needs neither
 * library, so the modules that use them (hkp_mhd.c, mail_send.c) open
 * them with this on their first call instead of linking them.
 */
#ifndef PKS_UTIL_DYNLIB_H
#define PKS_UTIL_DYNLIB_H

#include <stddef.h>

#include "util/rc.h"

/* One function to resolve: its name and where its address goes. */
struct dynlib_sym {
	const char *name;
	void (**addr)(void);
};

/*
 * Open the library file (a soname such as "libesmtp.so.6", found the
 * way the dynamic linker finds it) and fill every *syms[i].addr.  The
 * library stays loaded until exit.  Call it once (pthread_once) before
 * using any of the addresses.  Errors: PKS_ERR_IO when the library or
 * a symbol is missing, with the dynamic linker's message in err
 * (errsize bytes, always NUL-terminated); the addresses are then
 * unusable.
 */
enum pks_rc dynlib_open(const char *file, const struct dynlib_sym *syms,
    size_t n, char *err, size_t errsize);

#endif
