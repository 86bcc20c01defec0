/*
 * hex.h: hexadecimal digits, as URLs (%XX), chunked HTTP sizes and key
 * IDs in searches write them.
 */
#ifndef PKS_UTIL_HEX_H
#define PKS_UTIL_HEX_H

/* The value of hex digit c (either case), or -1 if c is none. */
int hex_value(int c);

#endif
