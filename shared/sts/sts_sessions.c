/* Kept TLS sessions in small files by a hash of endpoint and host: read only for the names a
 * run fetches. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "shared/util/err.h"
#include "shared/util/file.h"
#include "shared/util/fnv.h"
#include "shared/sts/sts_sessions.h"

/* A file: magic, then entries of key length (2, little-endian), key, session length (4),
 * session; newest first. */
#define MAGIC "LSS2"
#define ENTRY_MAX (2 + STS_SESSIONS_KEY_MAX + 4 + STS_SESSIONS_BLOB_MAX)
#define FILE_MAX (4 + STS_SESSIONS_PER_FILE * ENTRY_MAX)

struct entry {
	const unsigned char *key, *blob;
	size_t klen, blen;
};

unsigned long long sts_sessions_hash(const char *key)
{
	return fnv1a(key, strlen(key));
}

static int file_path(char *out, size_t size, const char *dir, const char *key)
{
	int n = snprintf(out, size, "%s/%04llx", dir, sts_sessions_hash(key) % STS_SESSIONS_FILES);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The entries of a file's bytes, at most STS_SESSIONS_PER_FILE; -1 when it is damaged. */
static int parse(const unsigned char *p, size_t len, struct entry *e)
{
	size_t off = 4;
	int n = 0;
	if (len < 4 || memcmp(p, MAGIC, 4) != 0)
		return -1;
	while (off < len) {
		if (n == STS_SESSIONS_PER_FILE || len - off < 2)
			return -1;
		size_t kl = p[off] | (size_t)p[off + 1] << 8;
		if (kl == 0 || kl >= STS_SESSIONS_KEY_MAX || len - off - 2 < kl + 4)
			return -1;
		const unsigned char *b = p + off + 2 + kl;
		size_t bl = b[0] | (size_t)b[1] << 8 | (size_t)b[2] << 16 | (size_t)b[3] << 24;
		if (bl > STS_SESSIONS_BLOB_MAX || len - off - 2 - kl - 4 < bl)
			return -1;
		e[n++] = (struct entry){ p + off + 2, b + 4, kl, bl };
		off += 2 + kl + 4 + bl;
	}
	return n;
}

/* key's file whole into *buf (free with free()) and its entries; 0 entries when there is
 * none or it is damaged. */
static int load(const char *path, char **buf, struct entry *e)
{
	size_t len;
	*buf = NULL;
	if (file_read(path, FILE_MAX, FILE_REGULAR, buf, &len) != 0)
		return 0;
	int n = parse((const unsigned char *)*buf, len, e);
	return n < 0 ? 0 : n;
}

int sts_sessions_get(const char *dir, const char *key, unsigned char *blob, size_t cap,
                     size_t *len)
{
	char path[4096], *buf;
	struct entry e[STS_SESSIONS_PER_FILE];
	size_t klen = strlen(key);
	int rc = LS_ENOTFOUND;
	if (file_path(path, sizeof(path), dir, key) != 0)
		return LS_ENOTFOUND;
	int n = load(path, &buf, e);
	for (int i = 0; i < n; i++) {
		if (e[i].klen != klen || memcmp(e[i].key, key, klen) != 0)
			continue;
		if (e[i].blen <= cap) {
			memcpy(blob, e[i].blob, e[i].blen);
			*len = e[i].blen;
			rc = 0;
		}
		break;
	}
	free(buf);
	return rc;
}

static void put_entry(FILE *out, const unsigned char *key, size_t klen,
                      const unsigned char *blob, size_t blen)
{
	unsigned char h[4] = { (unsigned char)klen, (unsigned char)(klen >> 8) };
	fwrite(h, 2, 1, out);
	fwrite(key, klen, 1, out);
	for (int i = 0; i < 4; i++)
		h[i] = (unsigned char)(blen >> (8 * i));
	fwrite(h, 4, 1, out);
	fwrite(blob, blen, 1, out);
}

int sts_sessions_put(const char *dir, const char *key, const unsigned char *blob, size_t len)
{
	char path[4096], tmp[4200], *buf = NULL;
	struct entry e[STS_SESSIONS_PER_FILE];
	size_t klen = strlen(key);
	int rc;
	if (klen == 0 || klen >= STS_SESSIONS_KEY_MAX || len > STS_SESSIONS_BLOB_MAX)
		return LS_ETOOBIG;
	if ((rc = file_path(path, sizeof(path), dir, key)) != 0)
		return rc;
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT && mkdir(dir, 0700) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	FILE *out = fd >= 0 ? fdopen(fd, "wb") : NULL;
	if (out == NULL) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		return rc;
	}
	int n = load(path, &buf, e), kept = 1;
	fwrite(MAGIC, 4, 1, out);
	put_entry(out, (const unsigned char *)key, klen, blob, len);
	for (int i = 0; i < n && kept < STS_SESSIONS_PER_FILE; i++) {
		if (e[i].klen == klen && memcmp(e[i].key, key, klen) == 0)
			continue;   /* replaced */
		put_entry(out, e[i].key, e[i].klen, e[i].blob, e[i].blen);
		kept++;
	}
	free(buf);
	/* Renamed whole into place, but not synced: a cache, as the design allows. */
	bool failed = ferror(out) != 0;
	if (fclose(out) != 0 || failed || rename(tmp, path) != 0) {
		rc = errno ? -errno : -EIO;
		unlink(tmp);
		return rc;
	}
	return 0;
}
