/*
 * fuzz_network_stats.c: fuzz target of the stats page parsers (pksync
 * and Hockeypuck JSON, SKS HTML; network/network_stats.h) and of the
 * JSON reader under them.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "network/network_stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct network_stats s;
	size_t i;

	network_stats_parse(data, size, "sks_www/1.1.6+", &s);
	if (s.npeers > NETWORK_MAX_PAGE_PEERS)
		__builtin_trap();
	for (i = 0; i < s.npeers; i++)
		if (strncmp(s.peers[i].url, "http://", 7) != 0 &&
		    strncmp(s.peers[i].url, "mailto:", 7) != 0)
			__builtin_trap();
	network_stats_free(&s);
	return 0;
}
