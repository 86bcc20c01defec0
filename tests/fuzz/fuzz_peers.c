/*
 * fuzz_peers.c: fuzz target for the mail sync list parser (the
 * peers_file): any text gives a list of valid addresses, never a crash,
 * an invalid address kept, or a leak.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>

#include "ingest/ingest.h"
#include "mail/mail_peers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest_sync *sy = NULL;
	size_t i;

	if (mail_peers_parse((const char *)data, size, "fuzz", "me@example.org",
	    &sy) != PKS_OK || sy == NULL)
		abort();
	for (i = 0; i < sy->npeers; i++)
		if (!mail_peer_addr_ok(sy->peers[i]))
			abort();
	ingest_sync_free(sy);
	return 0;
}
