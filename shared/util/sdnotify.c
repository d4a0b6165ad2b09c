/* The sd_notify datagram: the few lines of systemd's protocol the daemons need, no library. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "shared/util/sdnotify.h"

int sdnotify(const char *state)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (name == NULL || *name == '\0')
		return 0;
	size_t n = strlen(name), len = strlen(state);
	if (name[0] != '/' && name[0] != '@')
		return -EAFNOSUPPORT;   /* vsock addresses are for VMs, not for these daemons */
	if (n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	if (len > SDNOTIFY_MAX)
		return -EMSGSIZE;
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';  /* an abstract name: no trailing NUL counts in its length */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ssize_t w = sendto(fd, state, len, MSG_NOSIGNAL, (const struct sockaddr *)&sa,
	                   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
	int rc = w < 0 ? -errno : (size_t)w == len ? 0 : -EIO;
	close(fd);
	return rc;
}

int sdnotifyf(const char *fmt, ...)
{
	char buf[SDNOTIFY_MAX + 1];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= sizeof(buf))
		return -EMSGSIZE;
	return sdnotify(buf);
}
