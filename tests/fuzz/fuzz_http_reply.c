/*
 * fuzz_http_reply.c: fuzz target of the HTTP answer parser the crawler
 * and recon read other servers' answers with (net/http_client.h).
 */
#include <config.h>

#include <stdint.h>
#include <string.h>

#include "net/http_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_reply r;
	size_t off = 0;
	int status = 0;

	if (http_reply_head(data, size, &status, &off) == PKS_OK &&
	    (off > size || status < 100 || status > 999))
		__builtin_trap();
	if (http_reply_parse(data, size, 4096, &r) == PKS_OK &&
	    (r.body.len > size || r.body.len > 4096 ||
		strlen(r.server) >= sizeof(r.server)))
		__builtin_trap();
	http_reply_free(&r);
	return 0;
}
