/*
 * notify.h: tell the service manager how a long-running command is
 * doing, by systemd's notification protocol (a datagram on the Unix
 * socket named by $NOTIFY_SOCKET).  Without that variable, as when
 * started by hand or by another supervisor, every call does nothing.
 */
#ifndef PKS_UTIL_NOTIFY_H
#define PKS_UTIL_NOTIFY_H

#include "util/rc.h"

/* States a service reports (sd_notify(3)'s READY=1 and friends). */
enum notify_state {
	NOTIFY_READY,     /* listening: start-up is over */
	NOTIFY_RELOADING, /* re-reading the configuration */
	NOTIFY_STOPPING,  /* shutting down */
};

/*
 * Send state to the service manager.  PKS_OK when it was sent or
 * there is no manager to send it to; PKS_ERR_IO when $NOTIFY_SOCKET
 * is set but the message could not be sent (logged).
 */
enum pks_rc notify_send(enum notify_state state);

#endif
