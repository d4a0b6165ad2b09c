/* Whole-store copies: LMDB's compacting copy out, and a checked copy in, replaced with rename. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "shared/store/store_copy.h"
#include "shared/util/file.h"
#include "shared/util/err.h"

#define COPY_BUF (1u << 20)

/* The directory part of path, opened for fsync after a rename; -1 when it cannot be. */
static int open_parent(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (slash == NULL)
		return open(".", O_RDONLY | O_DIRECTORY);
	size_t n = slash == path ? 1 : (size_t)(slash - path);
	if (n >= sizeof(dir))
		return -1;
	memcpy(dir, path, n);
	dir[n] = 0;
	return open(dir, O_RDONLY | O_DIRECTORY);
}

int store_copy_backup(struct store *st, const char *path)
{
	char tmp[FILE_TEMP_MAX];
	int fd = file_temp(path, tmp);
	if (fd < 0)
		return fd;
	int rc = store_errno(mdb_env_copyfd2(store_env(st), fd, MDB_CP_COMPACT));
	if (rc) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	int dfd = open_parent(path);
	rc = file_temp_commit(fd, tmp, path, dfd);
	if (dfd >= 0)
		close(dfd);
	return rc;
}

/* Copies from to a new file to (0600), fsync'ed. */
static int copy_file(const char *from, const char *to)
{
	int rc = 0, in = -1, out = -1;
	char *buf = malloc(COPY_BUF);
	if (buf == NULL)
		return -ENOMEM;
	if ((in = open(from, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		rc = -errno;
		goto done;
	}
	for (;;) {
		ssize_t r = read(in, buf, COPY_BUF);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -errno;
			goto done;
		}
		if (r == 0)
			break;
		if ((rc = file_write_all(out, buf, (size_t)r)) != 0)
			goto done;
	}
	if (fsync(out) != 0)
		rc = -errno;
done:
	if (out >= 0 && close(out) != 0 && rc == 0)
		rc = -errno;
	if (in >= 0)
		close(in);
	free(buf);
	return rc;
}

/*
 * LMDB's lock on lock.mdb: every process with the store open holds a read lock on its first
 * byte. Taking the write lock there keeps everyone out until it is released. Returns the
 * descriptor, -EBUSY with *holder, or -errno.
 */
static int lock_store(const char *dir, pid_t *holder)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/lock.mdb", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	struct flock l = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
	if (fcntl(fd, F_SETLK, &l) == 0)
		return fd;
	int err = errno;
	if (err == EACCES || err == EAGAIN) {
		struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
		*holder = fcntl(fd, F_GETLK, &q) == 0 && q.l_type != F_UNLCK ? q.l_pid : 0;
		err = EBUSY;
	}
	close(fd);
	return -err;
}

int store_copy_restore(const char *dir, const char *file, struct store_check *check,
                       pid_t *holder)
{
	char tmpdir[PATH_MAX], data[PATH_MAX + 16], lock[PATH_MAX + 16], dest[PATH_MAX];
	int rc, lfd = -1;
	memset(check, 0, sizeof(*check));
	*holder = 0;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -errno;
	if (snprintf(tmpdir, sizeof(tmpdir), "%s/.restore.XXXXXX", dir) >= (int)sizeof(tmpdir))
		return -ENAMETOOLONG;
	if (mkdtemp(tmpdir) == NULL)
		return -errno;
	snprintf(data, sizeof(data), "%s/data.mdb", tmpdir);
	snprintf(lock, sizeof(lock), "%s/lock.mdb", tmpdir);
	if (snprintf(dest, sizeof(dest), "%s/data.mdb", dir) >= (int)sizeof(dest)) {
		rc = -ENAMETOOLONG;
		goto done;
	}
	if ((rc = copy_file(file, data)) != 0 || (rc = store_check(tmpdir, check)) != 0)
		goto done;
	if ((lfd = lock_store(dir, holder)) < 0) {
		rc = lfd;
		goto done;
	}
	if (rename(data, dest) != 0) {
		rc = -errno;
		goto done;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
done:
	if (lfd >= 0)
		close(lfd);
	unlink(data);
	unlink(lock);
	rmdir(tmpdir);
	return rc;
}
