/*
 * dynlib.c: open a shared library when it is first needed (dynlib.h).
 */
#include <config.h>

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "util/dynlib.h"

enum pks_rc
dynlib_open(const char *file, const struct dynlib_sym *syms, size_t n,
    char *err, size_t errsize)
{
	const char *why;
	void *h, *p;
	size_t i;

	snprintf(err, errsize, "no error");
	/* RTLD_LOCAL: the names stay the library's, so a shim of the same
	 * name in pksync (hkp_mhd.c) is never taken for the real one. */
	if ((h = dlopen(file, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		why = dlerror();
		snprintf(err, errsize, "%s", why != NULL ? why : file);
		return PKS_ERR_IO;
	}
	for (i = 0; i < n; i++) {
		(void)dlerror();
		p = dlsym(h, syms[i].name);
		if (p == NULL) {
			why = dlerror();
			snprintf(err, errsize, "%s: %s", file,
			    why != NULL ? why : syms[i].name);
			return PKS_ERR_IO;
		}
		/* POSIX guarantees a function address survives this. */
		memcpy(syms[i].addr, &p, sizeof(p));
	}
	return PKS_OK;
}
