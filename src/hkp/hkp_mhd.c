/*
 * hkp_mhd.c: libmicrohttpd, opened when "pksync serve" starts its HTTP
 * server rather than linked (util/dynlib.h).
 *
 * Linking it made every pksync process load GnuTLS and run its and
 * libmicrohttpd's constructors, one "pksync mail-filter" per incoming
 * message included.  The libmicrohttpd functions hkp_server.c calls are
 * defined here under their own names and forward to the opened
 * library, so hkp_server.c reads as libmicrohttpd's manual says.
 * MHD_start_daemon() opens the library (and returns NULL, logged, if it
 * cannot); every other function is only reached through a daemon.
 */
#include <config.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include <microhttpd.h>

#include "util/dynlib.h"
#include "util/log.h"

#ifndef PKS_MHD_SONAME
#define PKS_MHD_SONAME "libmicrohttpd.so.12"
#endif

/* The opened library's functions. */
static struct {
	__typeof__(MHD_start_daemon_va) *start_daemon_va;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_get_daemon_info) *get_daemon_info;
	__typeof__(MHD_get_connection_info) *get_connection_info;
	__typeof__(MHD_get_connection_values_n) *get_connection_values_n;
	__typeof__(MHD_lookup_connection_value) *lookup_connection_value;
	__typeof__(MHD_create_response_from_buffer_with_free_callback)
	    *create_response_from_buffer_with_free_callback;
	__typeof__(MHD_create_response_from_buffer_with_free_callback_cls)
	    *create_response_from_buffer_with_free_callback_cls;
	__typeof__(MHD_create_response_from_callback)
	    *create_response_from_callback;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
} mhd;

static pthread_once_t mhd_once = PTHREAD_ONCE_INIT;
static enum pks_rc mhd_rc = PKS_ERR_IO;

#define SYM(f)                                                                 \
	{                                                                      \
		"MHD_" #f, (void (**)(void)) & mhd.f                           \
	}

static void
mhd_open(void)
{
	const struct dynlib_sym syms[] = { SYM(start_daemon_va),
		SYM(stop_daemon), SYM(get_daemon_info),
		SYM(get_connection_info), SYM(get_connection_values_n),
		SYM(lookup_connection_value),
		SYM(create_response_from_buffer_with_free_callback),
		SYM(create_response_from_buffer_with_free_callback_cls),
		SYM(create_response_from_callback), SYM(add_response_header),
		SYM(queue_response), SYM(destroy_response) };
	char err[200];

	mhd_rc = dynlib_open(PKS_MHD_SONAME, syms,
	    sizeof(syms) / sizeof(syms[0]), err, sizeof(err));
	if (mhd_rc != PKS_OK)
		log_warnx("http: cannot load libmicrohttpd: %s", err);
}

struct MHD_Daemon *
MHD_start_daemon(unsigned int flags, uint16_t port,
    MHD_AcceptPolicyCallback apc, void *apc_cls, MHD_AccessHandlerCallback dh,
    void *dh_cls, ...)
{
	struct MHD_Daemon *d;
	va_list ap;

	if (pthread_once(&mhd_once, mhd_open) != 0 || mhd_rc != PKS_OK)
		return NULL;
	va_start(ap, dh_cls);
	d = mhd.start_daemon_va(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

void
MHD_stop_daemon(struct MHD_Daemon *daemon)
{
	mhd.stop_daemon(daemon);
}

/* The info types pksync asks for take no further arguments. */
const union MHD_DaemonInfo *
MHD_get_daemon_info(
    struct MHD_Daemon *daemon, enum MHD_DaemonInfoType info_type, ...)
{
	return mhd.get_daemon_info(daemon, info_type);
}

const union MHD_ConnectionInfo *
MHD_get_connection_info(struct MHD_Connection *connection,
    enum MHD_ConnectionInfoType info_type, ...)
{
	return mhd.get_connection_info(connection, info_type);
}

int
MHD_get_connection_values_n(struct MHD_Connection *connection,
    enum MHD_ValueKind kind, MHD_KeyValueIteratorN iterator, void *iterator_cls)
{
	return mhd.get_connection_values_n(
	    connection, kind, iterator, iterator_cls);
}

const char *
MHD_lookup_connection_value(
    struct MHD_Connection *connection, enum MHD_ValueKind kind, const char *key)
{
	return mhd.lookup_connection_value(connection, kind, key);
}

struct MHD_Response *
MHD_create_response_from_buffer_with_free_callback(
    size_t size, void *buffer, MHD_ContentReaderFreeCallback crfc)
{
	return mhd.create_response_from_buffer_with_free_callback(
	    size, buffer, crfc);
}

struct MHD_Response *
MHD_create_response_from_buffer_with_free_callback_cls(size_t size,
    void *buffer, MHD_ContentReaderFreeCallback crfc, void *crfc_cls)
{
	return mhd.create_response_from_buffer_with_free_callback_cls(
	    size, buffer, crfc, crfc_cls);
}

struct MHD_Response *
MHD_create_response_from_callback(uint64_t size, size_t block_size,
    MHD_ContentReaderCallback crc, void *crc_cls,
    MHD_ContentReaderFreeCallback crfc)
{
	return mhd.create_response_from_callback(
	    size, block_size, crc, crc_cls, crfc);
}

enum MHD_Result
MHD_add_response_header(
    struct MHD_Response *response, const char *header, const char *content)
{
	return mhd.add_response_header(response, header, content);
}

enum MHD_Result
MHD_queue_response(struct MHD_Connection *connection, unsigned int status_code,
    struct MHD_Response *response)
{
	return mhd.queue_response(connection, status_code, response);
}

void
MHD_destroy_response(struct MHD_Response *response)
{
	mhd.destroy_response(response);
}
