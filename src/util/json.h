/*
 * json.h: writing JSON strings from bytes of unknown origin.
 */
#ifndef PKS_UTIL_JSON_H
#define PKS_UTIL_JSON_H

#include <stddef.h>

#include "util/buf.h"
#include "util/rc.h"

/*
 * Append s[0..len) to out as a JSON string, quotes included: '"' and
 * '\\' escaped, control bytes as \n, \r, \t or \u00XX, an invalid
 * UTF-8 byte as \ufffd.  Errors: PKS_ERR_TOOBIG (out's cap).
 */
enum pks_rc json_string(struct buf *out, const void *s, size_t len);

#endif
