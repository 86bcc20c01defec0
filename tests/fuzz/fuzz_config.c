/*
 * fuzz_config.c: fuzz target for the pksync.conf reader.  Any text must
 * give either a configuration or an error message with a line number,
 * never a crash or a leak.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pks_config *cfg = NULL;
	char *msg = NULL;
	FILE *f;

	if (size == 0)
		return 0;
	f = fmemopen((void *)(uintptr_t)data, size, "r");
	if (f == NULL)
		return 0;
	if (config_read(f, "/fuzz/pksync.conf", &cfg, &msg) == PKS_OK) {
		if (cfg == NULL || msg != NULL)
			abort();
	} else if (cfg != NULL || msg == NULL) {
		abort();
	}
	fclose(f);
	config_free(cfg);
	free(msg);
	return 0;
}
