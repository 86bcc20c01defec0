/*
 * fuzz_peers.c: fuzz target for the mail sync list parser
 * (peers_mail_parse, the [mail] peers_file): any text gives a list of
 * valid, distinct addresses, never a crash, an invalid address kept,
 * or a leak.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <strings.h>

#include "peers/peers_mail.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct peers_mail_list *l;
	size_t i, j;

	l = peers_mail_parse((const char *)data, size, "fuzz");
	if (l == NULL || l->n > PEERS_MAIL_MAX)
		abort();
	for (i = 0; i < l->n; i++) {
		if (!peers_mail_addr_ok(l->addrs[i]))
			abort();
		for (j = 0; j < i; j++)
			if (strcasecmp(l->addrs[i], l->addrs[j]) == 0)
				abort();
	}
	peers_mail_list_free(l);
	return 0;
}
