/* Files read and written whole, for the configuration, zone files, keys and certificates. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "shared/util/err.h"
#include "shared/util/file.h"

#define FIRST_CAP 4096                /* what a file of no known size starts with */

/* Moves buf to a block of cap + 1 bytes; a secret's old block is wiped, never left behind. */
static char *grow(char *buf, size_t used, size_t cap, unsigned flags)
{
	if (!(flags & FILE_SECRET))
		return realloc(buf, cap + 1);
	char *nb = malloc(cap + 1);
	if (nb && buf)
		memcpy(nb, buf, used);
	if (nb)
		file_free(buf, used, flags);
	return nb;
}

/* Checks the file we opened (not whatever the name points to by now) against flags and max;
 * *cap is how many bytes to read into at first. */
static int check(int fd, size_t max, unsigned flags, size_t *cap)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -errno;
	if ((flags & FILE_REGULAR) && !S_ISREG(st.st_mode))
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	if ((flags & FILE_SECRET) && (st.st_mode & 077))
		return -EPERM;
	if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max)
		return LS_ETOOBIG;
	/* A regular file's size plus one byte, so the read that sees the end needs no new block;
	 * one byte past the limit tells "exactly the limit" from "too big". */
	*cap = S_ISREG(st.st_mode) && (size_t)st.st_size + 1 > FIRST_CAP ? (size_t)st.st_size + 1
	                                                                  : FIRST_CAP;
	if (*cap > max + 1)
		*cap = max + 1;
	return 0;
}

/* fd to its end into *buf (NUL-terminated), at most max bytes, starting with cap (<= max + 1). */
static int read_to_end(int fd, size_t max, unsigned flags, size_t cap, char **buf, size_t *len)
{
	char *b = NULL;
	size_t n = 0;
	int rc = 0;
	if ((b = grow(NULL, 0, cap, flags)) == NULL)
		rc = -ENOMEM;
	while (rc == 0) {
		if (n == cap) {
			size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *nb = n > max ? NULL : grow(b, n, ncap, flags);
			if (nb == NULL) {
				rc = n > max ? LS_ETOOBIG : -ENOMEM;
				break;
			}
			b = nb;
			cap = ncap;
		}
		ssize_t r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = r < 0 ? -errno : 0;
			break;
		}
		n += (size_t)r;
	}
	if (rc) {
		file_free(b, n, flags);
		return rc;
	}
	b[n] = 0;
	*buf = b;
	*len = n;
	return 0;
}

int file_read(const char *path, size_t max, unsigned flags, char **buf, size_t *len)
{
	size_t cap = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	int rc = check(fd, max, flags, &cap);
	if (rc == 0)
		rc = read_to_end(fd, max, flags, cap, buf, len);
	close(fd);
	return rc;
}

int file_read_fd(int fd, size_t max, char **buf, size_t *len)
{
	return read_to_end(fd, max, 0, max < FIRST_CAP ? max + 1 : FIRST_CAP, buf, len);
}

void file_free(char *buf, size_t len, unsigned flags)
{
	if (buf == NULL)
		return;
	if (flags & FILE_SECRET)
		explicit_bzero(buf, len);
	free(buf);
}

int file_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int file_temp(const char *path, char tmp[FILE_TEMP_MAX])
{
	int n = snprintf(tmp, FILE_TEMP_MAX, "%s.tmp.XXXXXX", path);
	if (n < 0 || n >= FILE_TEMP_MAX)
		return -ENAMETOOLONG;
	int fd = mkstemp(tmp);
	return fd < 0 ? -errno : fd;
}

int file_temp_commit(int fd, const char *tmp, const char *path, int dirfd)
{
	int rc = fsync(fd) != 0 ? -errno : 0;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		return rc;
	}
	if (dirfd >= 0)
		fsync(dirfd);       /* the rename itself survives a crash */
	return 0;
}

int file_write_atomic(const char *path, int dirfd, const void *data, size_t len, mode_t mode)
{
	char tmp[FILE_TEMP_MAX];
	int fd = file_temp(path, tmp);
	if (fd < 0)
		return fd;
	int rc = file_write_all(fd, data, len);
	if (rc == 0 && fchmod(fd, mode) != 0)
		rc = -errno;
	if (rc) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	return file_temp_commit(fd, tmp, path, dirfd);
}

int file_lock_dir(const char *dir, mode_t mode)
{
	if (mkdir(dir, mode) != 0 && errno != EEXIST)
		return -errno;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) != 0) {
		int rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}
