/* Where certificates live: host names, STATE/certs/HOST/ paths and stamps, writing a pair. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <mbedtls/error.h>
#include "shared/tls/cert.h"
#include "shared/util/err.h"
#include "shared/util/file.h"

int cert_host_check(const char *host)
{
	size_t n = strlen(host), label = 0;
	if (n == 0 || n > CERT_HOST_MAX)
		return LS_EPARSE;
	for (size_t i = 0; i < n; i++) {
		char c = host[i];
		if (c == '.') {
			/* No empty label, none ending in a hyphen: also keeps "." and ".." out of paths. */
			if (label == 0 || host[i - 1] == '-')
				return LS_EPARSE;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && label > 0)))
			return LS_EPARSE;
		if (++label > 63)
			return LS_EPARSE;
	}
	return label == 0 || host[n - 1] == '-' ? LS_EPARSE : 0;
}

int cert_host_norm(const char *host, char *out)
{
	size_t n = strlen(host);
	if (n > 0 && host[n - 1] == '.')
		n--;
	if (n == 0 || n > CERT_HOST_MAX)
		return LS_EPARSE;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)(host[i] >= 'A' && host[i] <= 'Z' ? host[i] + 32 : host[i]);
	out[n] = '\0';
	return cert_host_check(out);
}

int cert_path(char *out, size_t len, const char *state_dir, const char *host, const char *file)
{
	int n = snprintf(out, len, "%s/%s/%s/%s", state_dir, CERT_DIR, host, file);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static void file_stamp(const char *path, struct cert_file_stamp *s)
{
	struct stat st;
	memset(s, 0, sizeof(*s));
	if (stat(path, &st) != 0)
		return;
	s->present = true;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	s->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
	s->mode = st.st_mode;
}

int cert_stamp_get(const char *state_dir, const char *host, struct cert_stamp *out)
{
	char path[4096];
	memset(out, 0, sizeof(*out));
	if (cert_host_check(host) != 0)
		return LS_EPARSE;
	if (cert_path(path, sizeof(path), state_dir, host, CERT_CHAIN_FILE) == 0)
		file_stamp(path, &out->chain);
	if (cert_path(path, sizeof(path), state_dir, host, CERT_KEY_FILE) == 0)
		file_stamp(path, &out->key);
	return 0;
}

static bool file_stamp_equal(const struct cert_file_stamp *a, const struct cert_file_stamp *b)
{
	return a->present == b->present && a->dev == b->dev && a->ino == b->ino &&
	       a->size == b->size && a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns &&
	       a->mode == b->mode;
}

bool cert_stamp_equal(const struct cert_stamp *a, const struct cert_stamp *b)
{
	return file_stamp_equal(&a->chain, &b->chain) && file_stamp_equal(&a->key, &b->key);
}

void cert_tls_error(char *err, size_t errlen, const char *what, int rc)
{
	char text[128];
	mbedtls_strerror(rc, text, sizeof(text));
	snprintf(err, errlen, "%s: %s", what, text);
}

int cert_write(const char *state_dir, const char *host, const void *chain, size_t chain_len,
               const void *key, size_t key_len, char *err, size_t errlen)
{
	char dir[4096], path[4200];
	int rc, dfd;
	if (cert_host_check(host) != 0) {
		snprintf(err, errlen, "'%.*s' is not a lower-case host name", 64, host);
		return LS_EPARSE;
	}
	snprintf(dir, sizeof(dir), "%s/%s", state_dir, CERT_DIR);
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return rc;
	}
	snprintf(dir, sizeof(dir), "%s/%s/%s", state_dir, CERT_DIR, host);
	if ((dfd = file_lock_dir(dir, 0755)) < 0) {
		snprintf(err, errlen, "%s: %s", dir, ls_strerror(dfd));
		return dfd;
	}
	/* The key first: a chain without its key is what cert_load() refuses. */
	snprintf(path, sizeof(path), "%s/%s", dir, CERT_KEY_FILE);
	if ((rc = file_write_atomic(path, dfd, key, key_len, 0600)) == 0) {
		snprintf(path, sizeof(path), "%s/%s", dir, CERT_CHAIN_FILE);
		rc = file_write_atomic(path, dfd, chain, chain_len, 0644);
	}
	if (rc)
		snprintf(err, errlen, "%s: %s", path, ls_strerror(rc));
	close(dfd);
	return rc;
}
