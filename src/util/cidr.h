/*
 * cidr.h: lists of IP networks ("127.0.0.0/8 ::1 192.0.2.0/24"), for
 * access lists such as [server] metrics_allow.
 *
 * A network is an IPv4 or IPv6 address with an optional /length (none:
 * the one address); the words of a list are separated by commas or
 * blanks.  IPv4 networks are kept as IPv4-mapped IPv6 (::ffff:a.b.c.d),
 * so one 16-byte address is matched against both kinds.  Host bits
 * below the length are ignored.  Pure: no I/O, no allocation.
 */
#ifndef PKS_UTIL_CIDR_H
#define PKS_UTIL_CIDR_H

#include <stddef.h>
#include <stdint.h>

#include "util/limits.h"
#include "util/rc.h"

struct cidr {
	uint8_t net[16]; /* host bits cleared */
	unsigned bits;   /* prefix length over the 16 bytes, 0..128 */
};

struct cidr_list {
	struct cidr v[PKS_MAX_CIDRS];
	size_t n;
};

/*
 * Parse list s into *out (an empty list matches nothing).  Errors:
 * PKS_ERR_PARSE for a word that is no network (err->off is its offset,
 * err->why the reason), PKS_ERR_TOOBIG for more than PKS_MAX_CIDRS.
 */
enum pks_rc cidr_list_parse(
    const char *s, struct cidr_list *out, struct pks_err *err);

/* Nonzero when addr (16 bytes, IPv4 mapped) is in one of the networks. */
int cidr_list_match(const struct cidr_list *l, const uint8_t addr[16]);

#endif
