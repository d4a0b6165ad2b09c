/* The TLS report spool: maildir-style files in STATE/tlsrpt/{tmp,new,bad}. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "shared/util/err.h"
#include "shared/util/file.h"
#include "shared/rpt/tlsrpt_spool.h"

#define SPOOL_MODE 0750
#define PATH_LEN 4096

static atomic_uint serial;   /* names stay unique within one process and second */

static bool host_name(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.' && s[i] != '_')
			return false;
	return s[0] != '.' && s[0] != '-';
}

static int dir_path(char *out, const char *state, const char *sub)
{
	int n = snprintf(out, PATH_LEN, "%s/" TLSRPT_SPOOL_DIR "%s%s", state, sub ? "/" : "",
	                 sub ? sub : "");
	return n < 0 || n >= PATH_LEN ? -ENAMETOOLONG : 0;
}

static int make_dirs(const char *state)
{
	const char *subs[] = { NULL, "tmp", "new", "bad" };
	char path[PATH_LEN];
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		int rc = dir_path(path, state, subs[i]);
		if (rc)
			return rc;
		if (mkdir(path, SPOOL_MODE) != 0 && errno != EEXIST)
			return -errno;
	}
	return 0;
}

static int sync_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) == 0 ? 0 : -errno;
	close(fd);
	return rc;
}

int tlsrpt_spool_put(const char *state_dir, const char *domain, const uint8_t *body,
                     size_t len)
{
	char name[TLSRPT_SPOOL_NAME_MAX], tmp[PATH_LEN], dst[PATH_LEN], dir[PATH_LEN];
	struct timespec ts;
	if (domain && !host_name(domain))
		return LS_EPARSE;
	int rc;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(name, sizeof(name), "%lld.%09ld.%ld.%u,%s", (long long)ts.tv_sec, ts.tv_nsec,
	         (long)getpid(), atomic_fetch_add(&serial, 1), domain ? domain : "-");
	if ((rc = dir_path(dir, state_dir, "new")) != 0 ||
	    snprintf(tmp, sizeof(tmp), "%s/" TLSRPT_SPOOL_DIR "/tmp/%s", state_dir, name) >= PATH_LEN ||
	    snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= PATH_LEN)
		return rc ? rc : -ENAMETOOLONG;
	/* The directories are made on the first report only: not four mkdir calls per report. */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0 && errno == ENOENT) {
		if ((rc = make_dirs(state_dir)) != 0)
			return rc;
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	}
	if (fd < 0)
		return -errno;
	if ((rc = file_write_all(fd, body, len)) != 0 || (fsync(fd) != 0 && (rc = -errno))) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	if (close(fd) != 0 || rename(tmp, dst) != 0) {
		rc = -errno;
		unlink(tmp);
		return rc;
	}
	return sync_dir(dir);
}

bool tlsrpt_spool_pending(const char *state_dir)
{
	char dir[PATH_LEN];
	struct dirent *de;
	bool found = false;
	if (dir_path(dir, state_dir, "new") != 0)
		return false;
	DIR *d = opendir(dir);
	if (d == NULL)
		return false;
	while (!found && (de = readdir(d)) != NULL)
		found = de->d_name[0] != '.';
	closedir(d);
	return found;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct tlsrpt_spooled *)a)->name,
	              ((const struct tlsrpt_spooled *)b)->name);
}

int tlsrpt_spool_take(const char *state_dir, size_t max, struct tlsrpt_spooled *out, size_t *n)
{
	char dir[PATH_LEN], path[PATH_LEN];
	struct dirent *de;
	struct stat sb;
	*n = 0;
	int rc = dir_path(dir, state_dir, "new");
	if (rc)
		return rc;
	DIR *d = opendir(dir);
	if (d == NULL)
		return errno == ENOENT ? 0 : -errno;
	while (*n < TLSRPT_SPOOL_BATCH && (de = readdir(d)) != NULL) {
		struct tlsrpt_spooled *s = &out[*n];
		const char *comma = strrchr(de->d_name, ',');
		if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(s->name))
			continue;
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%s", de->d_name);
		if (comma && strcmp(comma + 1, "-") != 0 && host_name(comma + 1))
			snprintf(s->domain, sizeof(s->domain), "%s", comma + 1);
		(*n)++;
	}
	closedir(d);
	qsort(out, *n, sizeof(*out), cmp_name);     /* oldest first */
	for (size_t i = 0; i < *n; i++) {
		struct tlsrpt_spooled *s = &out[i];
		if (snprintf(path, sizeof(path), "%s/%s", dir, s->name) >= (int)sizeof(path)) {
			s->err = -ENAMETOOLONG;
			continue;
		}
		if (stat(path, &sb) == 0)
			s->mtime = sb.st_mtime;
		s->err = file_read(path, max, FILE_REGULAR, (char **)&s->body, &s->len);
	}
	return 0;
}

void tlsrpt_spool_free(struct tlsrpt_spooled *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i].body)
			file_free((char *)s[i].body, s[i].len, 0);
		s[i].body = NULL;
	}
}

static int move(const char *state_dir, const char *name, const char *to)
{
	char from[PATH_LEN], dst[PATH_LEN];
	if (strchr(name, '/') || snprintf(from, sizeof(from), "%s/" TLSRPT_SPOOL_DIR "/new/%s",
	                                  state_dir, name) >= PATH_LEN)
		return -EINVAL;
	if (to == NULL)
		return unlink(from) == 0 || errno == ENOENT ? 0 : -errno;
	if (snprintf(dst, sizeof(dst), "%s/" TLSRPT_SPOOL_DIR "/%s/%s", state_dir, to, name) >=
	    PATH_LEN)
		return -ENAMETOOLONG;
	int rc = make_dirs(state_dir);
	return rc ? rc : rename(from, dst) == 0 ? 0 : -errno;
}

int tlsrpt_spool_done(const char *state_dir, const char *name)
{
	return move(state_dir, name, NULL);
}

int tlsrpt_spool_reject(const char *state_dir, const char *name)
{
	return move(state_dir, name, "bad");
}
