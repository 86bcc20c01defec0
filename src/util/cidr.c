/*
 * cidr.c: parsing IP network lists and matching addresses against them
 * (inet_pton does the address syntax).
 */
#include <config.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "util/cidr.h"

/* Longest word: an IPv6 literal and "/128". */
#define WORD_MAX (INET6_ADDRSTRLEN + 4)

/* The address part of word w into net (IPv4 mapped); *v4 when IPv4. */
static int
parse_addr(const char *w, uint8_t net[16], int *v4)
{
	struct in_addr a4;

	memset(net, 0, 16);
	*v4 = 0;
	if (inet_pton(AF_INET, w, &a4) == 1) {
		net[10] = net[11] = 0xff;
		memcpy(net + 12, &a4, 4);
		*v4 = 1;
		return 1;
	}
	return inet_pton(AF_INET6, w, net) == 1;
}

/* A decimal prefix length 0..max, digits only. */
static int
parse_len(const char *s, unsigned max, unsigned *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9' || strlen(s) > 3)
		return 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > max)
		return 0;
	*out = (unsigned)v;
	return 1;
}

static void
clear_host_bits(struct cidr *c)
{
	unsigned i;

	for (i = 0; i < 16; i++) {
		if (c->bits >= 8 * (i + 1))
			continue;
		if (c->bits <= 8 * i)
			c->net[i] = 0;
		else
			c->net[i] &= (uint8_t)(0xff00u >> (c->bits - 8 * i));
	}
}

/* One network word w[0..n). */
static enum pks_rc
parse_word(const char *w, size_t n, struct cidr *c, const char **why)
{
	char tmp[WORD_MAX + 1];
	char *slash;
	unsigned len;
	int v4;

	if (n > WORD_MAX) {
		*why = "not an IP network (too long)";
		return PKS_ERR_PARSE;
	}
	memcpy(tmp, w, n);
	tmp[n] = '\0';
	if ((slash = strchr(tmp, '/')) != NULL)
		*slash = '\0';
	if (!parse_addr(tmp, c->net, &v4)) {
		*why = "not an IP address";
		return PKS_ERR_PARSE;
	}
	c->bits = 128;
	if (slash != NULL) {
		if (!parse_len(slash + 1, v4 ? 32 : 128, &len)) {
			*why = "bad prefix length";
			return PKS_ERR_PARSE;
		}
		c->bits = v4 ? 96 + len : len;
	}
	clear_host_bits(c);
	return PKS_OK;
}

enum pks_rc
cidr_list_parse(const char *s, struct cidr_list *out, struct pks_err *err)
{
	const char *p = s, *why = NULL;
	size_t n;

	memset(out, 0, sizeof(*out));
	while (*p != '\0') {
		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n == 0)
			break;
		if (out->n == PKS_MAX_CIDRS)
			return pks_fail(err, (size_t)(p - s),
			    "too many networks", PKS_ERR_TOOBIG);
		if (parse_word(p, n, &out->v[out->n], &why) != PKS_OK)
			return pks_fail(
			    err, (size_t)(p - s), why, PKS_ERR_PARSE);
		out->n++;
		p += n;
	}
	return PKS_OK;
}

static int
in_net(const struct cidr *c, const uint8_t a[16])
{
	unsigned full = c->bits / 8, rest = c->bits % 8;
	uint8_t mask;

	if (memcmp(c->net, a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff00u >> rest);
	return (a[full] & mask) == c->net[full];
}

int
cidr_list_match(const struct cidr_list *l, const uint8_t addr[16])
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (in_net(&l->v[i], addr))
			return 1;
	return 0;
}
