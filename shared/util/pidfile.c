/* PID files: flock on the state directory's lock file keeps a second daemon away. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "shared/util/file.h"
#include "shared/util/pidfile.h"

static pid_t pid_parse(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (end == s || (*end != '\n' && *end != '\0') || errno || v <= 0 || v > 0x7fffffff)
		return 0;
	return (pid_t)v;
}

static pid_t fd_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return pid_parse(buf);
}

int pidfile_lock(const char *path, uid_t uid, gid_t gid, pid_t *holder)
{
	char buf[32];
	*holder = 0;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0644);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int rc = errno == EWOULDBLOCK ? -EWOULDBLOCK : -errno;
		*holder = fd_pid(fd);
		close(fd);
		return rc;
	}
	int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if ((uid != (uid_t)-1 && fchown(fd, uid, gid) != 0) || ftruncate(fd, 0) != 0 ||
	    pwrite(fd, buf, (size_t)len, 0) != len) {
		int rc = errno ? -errno : -EIO;
		close(fd);
		return rc;
	}
	return fd;
}

int pidfile_held(const char *path, pid_t *holder)
{
	*holder = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	int rc = 0;
	if (flock(fd, LOCK_SH | LOCK_NB) != 0) {
		rc = errno == EWOULDBLOCK ? 1 : -errno;
		if (rc == 1)
			*holder = fd_pid(fd);
	}
	close(fd);     /* a shared lock taken here goes with it */
	return rc;
}

int pidfile_write(const char *path)
{
	char buf[32];
	int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	return file_write_atomic(path, -1, buf, (size_t)len, 0644);
}
