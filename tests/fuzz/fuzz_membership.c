/*
 * fuzz_membership.c: fuzz target of the SKS membership file parser
 * (peers_recon_parse, the [recon] membership_file).
 *
 * Checks: every entry has a NUL-terminated host of visible bytes that
 * occurs in the input, and a port 1..65535; no more entries than lines.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "peers/peers_recon.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
occurs(const uint8_t *data, size_t size, const char *s, size_t n)
{
	size_t i;

	for (i = 0; n <= size && i <= size - n; i++)
		if (memcmp(data + i, s, n) == 0)
			return 1;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct peers_recon_list *l;
	struct peers_recon_member *m;
	size_t n, i, len, lines = 1;

	l = peers_recon_parse((const char *)data, size);
	m = l->v;
	n = l->n;
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	if (n > lines || (n > 0 && m == NULL))
		__builtin_trap();
	for (i = 0; i < n; i++) {
		len = strnlen(m[i].host, sizeof(m[i].host));
		if (len == 0 || len == sizeof(m[i].host) || m[i].port == 0)
			__builtin_trap();
		if (strpbrk(m[i].host, " \t\r\n#") != NULL)
			__builtin_trap();
		if (!occurs(data, size, m[i].host, len))
			__builtin_trap();
	}
	peers_recon_list_free(l);
	return 0;
}
