/* Kept TLS sessions, one file per endpoint and host: read only for the names a run fetches. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "shared/util/err.h"
#include "shared/sts/sts_sessions.h"

/* A file: magic, key length (2, little-endian), key, session length (4), session. */
#define MAGIC "LSS1"
#define HEAD_MAX (4 + 2 + STS_SESSIONS_KEY_MAX + 4)
#define FILE_MAX (HEAD_MAX + STS_SESSIONS_BLOB_MAX)

unsigned sts_sessions_slot(const char *key)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */
	for (const char *p = key; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	return (unsigned)(h % STS_SESSIONS_MAX);
}

static int file_path(char *out, size_t size, const char *dir, const char *key)
{
	int n = snprintf(out, size, "%s/%04x", dir, sts_sessions_slot(key));
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int sts_sessions_get(const char *dir, const char *key, unsigned char *blob, size_t cap,
                     size_t *len)
{
	char path[4096];
	unsigned char *buf = NULL;
	size_t klen = strlen(key);
	int rc = LS_ENOTFOUND, fd = -1;
	if (file_path(path, sizeof(path), dir, key) != 0 || klen >= STS_SESSIONS_KEY_MAX)
		return LS_ENOTFOUND;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || (buf = malloc(FILE_MAX + 1)) == NULL)
		goto out;
	/* One read: the file is small and written whole by rename; one byte over the largest
	 * file tells a file that is too long. */
	ssize_t got = read(fd, buf, FILE_MAX + 1);
	if (got < 4 + 2 || got > FILE_MAX || memcmp(buf, MAGIC, 4) != 0)
		goto out;
	size_t kl = buf[4] | (size_t)buf[5] << 8, off = 6 + kl;
	if (kl != klen || memcmp(buf + 6, key, klen) != 0 || (size_t)got < off + 4)
		goto out;   /* another key in the same slot: none kept for this one */
	size_t bl = buf[off] | (size_t)buf[off + 1] << 8 | (size_t)buf[off + 2] << 16 |
	            (size_t)buf[off + 3] << 24;
	if (bl > STS_SESSIONS_BLOB_MAX || bl > cap || (size_t)got != off + 4 + bl)
		goto out;
	memcpy(blob, buf + off + 4, bl);
	*len = bl;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

int sts_sessions_put(const char *dir, const char *key, const unsigned char *blob, size_t len)
{
	char path[4096], tmp[4200];
	size_t klen = strlen(key);
	unsigned char head[HEAD_MAX];
	int rc;
	if (klen == 0 || klen >= STS_SESSIONS_KEY_MAX || len > STS_SESSIONS_BLOB_MAX)
		return LS_ETOOBIG;
	if ((rc = file_path(path, sizeof(path), dir, key)) != 0)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	memcpy(head, MAGIC, 4);
	head[4] = (unsigned char)klen;
	head[5] = (unsigned char)(klen >> 8);
	memcpy(head + 6, key, klen);
	for (int i = 0; i < 4; i++)
		head[6 + klen + i] = (unsigned char)(len >> (8 * i));
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT && mkdir(dir, 0700) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	size_t hl = 6 + klen + 4;
	if (write(fd, head, hl) != (ssize_t)hl || write(fd, blob, len) != (ssize_t)len) {
		rc = errno ? -errno : -EIO;
		goto fail;
	}
	/* Renamed whole into place, but not synced: a cache, as the design allows. */
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		fd = -1;
		rc = -errno;
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}
