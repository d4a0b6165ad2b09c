/* The TLS report spool: maildir-style files and segments in STATE/tlsrpt/{tmp,new,bad,seg}. */
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
#include <sys/file.h>
#include "shared/util/err.h"
#include "shared/util/file.h"
#include "shared/rpt/tlsrpt_seg.h"
#include "shared/rpt/tlsrpt_spool.h"

#define SPOOL_MODE 0750
#define PATH_LEN 4096

static atomic_uint serial;   /* names stay unique within one process and second */

bool tlsrpt_spool_domain_ok(const char *s)
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

int tlsrpt_spool_dirs(const char *state)
{
	const char *subs[] = { NULL, "tmp", "new", "bad", "seg" };
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

int tlsrpt_spool_sync_dir(const char *state_dir, const char *sub)
{
	char path[PATH_LEN];
	int rc = dir_path(path, state_dir, sub);
	if (rc)
		return rc;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = fsync(fd) == 0 ? 0 : -errno;
	close(fd);
	return rc;
}

void tlsrpt_spool_name(char *out, size_t size, const char *tail)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, size, "%lld.%09ld.%ld.%u%s", (long long)ts.tv_sec, ts.tv_nsec, (long)getpid(),
	         atomic_fetch_add(&serial, 1), tail);
}

int tlsrpt_spool_put(const char *state_dir, const char *domain, const uint8_t *body,
                     size_t len)
{
	char name[TLSRPT_SPOOL_NAME_MAX], tmp[PATH_LEN], dst[PATH_LEN], dir[PATH_LEN], tail[258];
	if (domain && !tlsrpt_spool_domain_ok(domain))
		return LS_EPARSE;
	int rc;
	snprintf(tail, sizeof(tail), ",%s", domain ? domain : "-");
	tlsrpt_spool_name(name, sizeof(name), tail);
	if ((rc = dir_path(dir, state_dir, "new")) != 0 ||
	    snprintf(tmp, sizeof(tmp), "%s/" TLSRPT_SPOOL_DIR "/tmp/%s", state_dir, name) >= PATH_LEN ||
	    snprintf(dst, sizeof(dst), "%s/%s", dir, name) >= PATH_LEN)
		return rc ? rc : -ENAMETOOLONG;
	/* The directories are made on the first report only: not four mkdir calls per report. */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0 && errno == ENOENT) {
		if ((rc = tlsrpt_spool_dirs(state_dir)) != 0)
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
	return tlsrpt_spool_sync_dir(state_dir, "new");
}

/* Segments left in seg/ by a writer that is gone (its flock went with it) move to new/. */
static void recover(const char *state_dir)
{
	char dir[PATH_LEN], from[PATH_LEN], to[PATH_LEN];
	struct dirent *de;
	if (dir_path(dir, state_dir, "seg") != 0)
		return;
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    snprintf(from, sizeof(from), "%s/%s", dir, de->d_name) >= PATH_LEN ||
		    snprintf(to, sizeof(to), "%s/" TLSRPT_SPOOL_DIR "/new/%s", state_dir,
		             de->d_name) >= PATH_LEN)
			continue;
		int fd = open(from, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			(void)rename(from, to);     /* another importer may have moved it: no matter */
		close(fd);
	}
	closedir(d);
}

bool tlsrpt_spool_pending(const char *state_dir)
{
	char dir[PATH_LEN];
	struct dirent *de;
	bool found = false;
	recover(state_dir);
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
	return strcmp(a, b);
}

static bool is_segment(const char *name)
{
	size_t n = strlen(name), k = strlen(TLSRPT_SEG_SUFFIX);
	return n > k && strcmp(name + n - k, TLSRPT_SEG_SUFFIX) == 0;
}

/* The records of segment seg (len bytes) as entries out[0..*n), at most room; an empty
 * segment gives none. LS_ETOOBIG when it holds more than room records. */
static int split(const char *name, const uint8_t *seg, size_t len, struct tlsrpt_spooled *out,
                 size_t room, size_t *n)
{
	struct tlsrpt_seg_record r;
	size_t off = 0;
	*n = 0;
	while (tlsrpt_seg_next(seg, len, &off, &r) == 1) {
		if (*n == room)
			return LS_ETOOBIG;
		struct tlsrpt_spooled *s = &out[(*n)++];
		memset(s, 0, sizeof(*s));
		snprintf(s->name, sizeof(s->name), "%s", name);
		if (r.domain[0] && tlsrpt_spool_domain_ok(r.domain))
			snprintf(s->domain, sizeof(s->domain), "%s", r.domain);
		s->mtime = r.received;
		s->rec = (int)*n - 1;
		if ((s->body = malloc(r.len ? r.len : 1)) == NULL)
			s->err = -ENOMEM;
		else
			memcpy(s->body, r.body, r.len);
		s->len = r.len;
	}
	if (*n)
		out[*n - 1].last = true;
	return 0;
}

/* One file of new/ as entries at out (room of them): a report, or a segment's records. 0 and
 * *n 0 when it does not fit now (a segment, after other entries). */
static int take_one(const char *dir, const char *name, size_t max, struct tlsrpt_spooled *out,
                    size_t room, size_t *n)
{
	char path[PATH_LEN];
	struct stat sb;
	struct tlsrpt_spooled *s = &out[0];
	uint8_t *data = NULL;
	size_t len = 0;
	*n = 0;
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->rec = -1;
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		s->err = -ENAMETOOLONG;
		*n = 1;
		return 0;
	}
	if (is_segment(name)) {
		size_t limit = TLSRPT_SEG_BYTES + max + TLSRPT_SEG_HEAD_MAX + TLSRPT_SEG_TAIL;
		int rc = file_read(path, limit, FILE_REGULAR, (char **)&data, &len);
		if (rc == 0 && tlsrpt_seg_is(data, len)) {
			struct tlsrpt_spooled *tmp = calloc(TLSRPT_SEG_RECORDS_MAX, sizeof(*tmp));
			size_t k = 0;
			rc = tmp ? split(name, data, len, tmp, TLSRPT_SEG_RECORDS_MAX, &k) : -ENOMEM;
			if (rc == 0 && k == 0) {
				unlink(path);            /* nothing in it was ever acknowledged */
			} else if (rc == 0 && k <= room) {
				memcpy(out, tmp, k * sizeof(*tmp));
				*n = k;
			} else if (rc == 0) {
				tlsrpt_spool_free(tmp, k);   /* after the entries taken: next time */
			}
			free(tmp);
			file_free((char *)data, len, 0);
			if (rc == 0)
				return 0;
			s->err = rc;
			*n = 1;
			return 0;
		}
		file_free((char *)data, len, 0);
		data = NULL;
		/* Not a segment after all: read as a report (and refused, most likely). */
	}
	const char *comma = strrchr(name, ',');
	if (comma && strcmp(comma + 1, "-") != 0 && tlsrpt_spool_domain_ok(comma + 1))
		snprintf(s->domain, sizeof(s->domain), "%s", comma + 1);
	if (stat(path, &sb) == 0)
		s->mtime = sb.st_mtime;
	s->err = file_read(path, max, FILE_REGULAR, (char **)&s->body, &s->len);
	*n = 1;
	return 0;
}

int tlsrpt_spool_take(const char *state_dir, size_t max, struct tlsrpt_spooled *out, size_t *n)
{
	char dir[PATH_LEN];
	struct dirent *de;
	size_t names = 0;
	*n = 0;
	recover(state_dir);
	int rc = dir_path(dir, state_dir, "new");
	if (rc)
		return rc;
	char (*name)[TLSRPT_SPOOL_NAME_MAX] = malloc(TLSRPT_SPOOL_BATCH * sizeof(*name));
	if (name == NULL)
		return -ENOMEM;
	DIR *d = opendir(dir);
	if (d == NULL) {
		free(name);
		return errno == ENOENT ? 0 : -errno;
	}
	while (names < TLSRPT_SPOOL_BATCH && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.' && strlen(de->d_name) < TLSRPT_SPOOL_NAME_MAX)
			snprintf(name[names++], TLSRPT_SPOOL_NAME_MAX, "%s", de->d_name);
	closedir(d);
	qsort(name, names, sizeof(*name), cmp_name);     /* oldest first */
	for (size_t i = 0; i < names && *n < TLSRPT_SPOOL_BATCH; i++) {
		size_t k;
		take_one(dir, name[i], max, out + *n, TLSRPT_SPOOL_BATCH - *n, &k);
		*n += k;
	}
	free(name);
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
	int rc = tlsrpt_spool_dirs(state_dir);
	return rc ? rc : rename(from, dst) == 0 ? 0 : -errno;
}

int tlsrpt_spool_done(const char *state_dir, const struct tlsrpt_spooled *f)
{
	/* A segment goes with its last record: all its records are in the same batch. */
	return f->rec < 0 || f->last ? move(state_dir, f->name, NULL) : 0;
}

int tlsrpt_spool_reject(const char *state_dir, const struct tlsrpt_spooled *f)
{
	char path[PATH_LEN];
	if (f->rec < 0)
		return move(state_dir, f->name, "bad");
	/* A segment's record: a file of its own in bad/, NAME.RECORD. */
	if (f->body == NULL || snprintf(path, sizeof(path), "%s/" TLSRPT_SPOOL_DIR "/bad/%s.%d",
	                                state_dir, f->name, f->rec) >= PATH_LEN)
		return -EINVAL;
	int rc = tlsrpt_spool_dirs(state_dir);
	return rc ? rc : file_write_atomic(path, -1, f->body, f->len, 0640);
}
