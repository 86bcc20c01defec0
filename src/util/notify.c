/*
 * notify.c: systemd's readiness protocol without libsystemd: one
 * datagram "READY=1" (or RELOADING=1, STOPPING=1) to the Unix socket
 * path in $NOTIFY_SOCKET, where a leading '@' names an abstract socket.
 */
#include <config.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "util/notify.h"

static const char *const messages[] = {
	[NOTIFY_READY] = "READY=1",
	[NOTIFY_RELOADING] = "RELOADING=1",
	[NOTIFY_STOPPING] = "STOPPING=1",
};

/* Fill *sa from path; returns the address length, or 0 if it is unusable. */
static socklen_t
notify_addr(const char *path, struct sockaddr_un *sa)
{
	size_t len = strlen(path);

	if ((path[0] != '/' && path[0] != '@') || len < 2 ||
	    len > sizeof(sa->sun_path))
		return 0;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, len);
	if (sa->sun_path[0] == '@')
		sa->sun_path[0] = '\0';
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
}

enum pks_rc
notify_send(enum notify_state state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	const char *msg = messages[state];
	struct sockaddr_un sa;
	socklen_t salen;
	enum pks_rc rc = PKS_ERR_IO;
	int fd;

	if (path == NULL || *path == '\0')
		return PKS_OK;
	if ((salen = notify_addr(path, &sa)) == 0) {
		log_warnx("NOTIFY_SOCKET is not a usable socket path");
		return PKS_ERR_IO;
	}
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("notify socket");
		return PKS_ERR_IO;
	}
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		salen) == (ssize_t)strlen(msg))
		rc = PKS_OK;
	else
		log_warn("cannot notify the service manager (%s)", msg);
	close(fd);
	return rc;
}
