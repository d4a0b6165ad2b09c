/* httpsd's group commit of TLS reports into spool segments (tlsrpt_spool_log.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/uio.h>
#include "shared/util/err.h"
#include "shared/util/file.h"
#include "shared/rpt/tlsrpt_seg.h"
#include "shared/rpt/tlsrpt_spool.h"
#include "shared/rpt/tlsrpt_spool_log.h"

#define PATH_LEN 4096

/* A put waiting for the sync that covers its record; on its own stack. */
struct waiter {
	uint64_t seq;
	int rc;
	bool done;
	pthread_cond_t cond;          /* its own: a sync wakes only the puts it covers */
	struct waiter *next;
};

struct tlsrpt_spool_log {
	pthread_mutex_t lock;
	pthread_cond_t wake;          /* the thread: something to sync, hand over or stop */
	pthread_cond_t settled;       /* puts waiting for a full segment to be handed over */
	pthread_t thread;
	bool started, stop, rotate;
	char *state_dir;
	int fd;                       /* the open segment in seg/, or -1 */
	char name[TLSRPT_SPOOL_NAME_MAX];
	size_t size;                  /* its bytes */
	unsigned count;               /* its records */
	int64_t opened_ms;
	uint64_t written, synced;     /* records appended, records whose sync is over */
	struct waiter *waiters;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int path_of(char *out, const struct tlsrpt_spool_log *log, const char *sub)
{
	int n = snprintf(out, PATH_LEN, "%s/" TLSRPT_SPOOL_DIR "/%s/%s", log->state_dir, sub,
	                 log->name);
	return n < 0 || n >= PATH_LEN ? -ENAMETOOLONG : 0;
}

/* A new segment: written in tmp/ and locked there, then renamed into seg/ (so the import never
 * finds it unlocked while this process lives), and seg/ synced so the name is durable before
 * any record in it is acknowledged. */
static int seg_open(struct tlsrpt_spool_log *log)
{
	char tmp[PATH_LEN], seg[PATH_LEN];
	int rc;
	tlsrpt_spool_name(log->name, sizeof(log->name), TLSRPT_SEG_SUFFIX);
	if ((rc = path_of(tmp, log, "tmp")) != 0 || (rc = path_of(seg, log, "seg")) != 0)
		return rc;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd < 0 && errno == ENOENT) {
		if ((rc = tlsrpt_spool_dirs(log->state_dir)) != 0)
			return rc;
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	}
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) != 0 || rename(tmp, seg) != 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = file_write_all(fd, TLSRPT_SEG_MAGIC, TLSRPT_SEG_MAGIC_LEN)) != 0 ||
	    (rc = tlsrpt_spool_sync_dir(log->state_dir, "seg")) != 0) {
		unlink(seg);
		goto fail;
	}
	log->fd = fd;
	log->size = TLSRPT_SEG_MAGIC_LEN;
	log->count = 0;
	log->opened_ms = now_ms();
	return 0;
fail:
	unlink(tmp);
	close(fd);
	return rc;
}

/* The open segment to new/ for the import (an empty one is removed). No sync: a segment in
 * either directory is imported, and every record in it is synced already. */
static void hand_over(struct tlsrpt_spool_log *log)
{
	char seg[PATH_LEN], dst[PATH_LEN];
	if (path_of(seg, log, "seg") == 0) {
		if (log->count == 0)
			unlink(seg);
		else if (path_of(dst, log, "new") == 0)
			(void)rename(seg, dst);   /* failing, it stays in seg/ and is found unlocked */
	}
	close(log->fd);
	log->fd = -1;
	log->rotate = false;
	pthread_cond_broadcast(&log->settled);   /* puts waiting for room */
}

/* Tells the puts of records up to seq how their sync went. */
static void settle(struct tlsrpt_spool_log *log, uint64_t seq, int rc)
{
	for (struct waiter **pp = &log->waiters; *pp;) {
		struct waiter *w = *pp;
		if (w->seq <= seq) {
			w->rc = rc;
			w->done = true;
			*pp = w->next;
			pthread_cond_signal(&w->cond);
		} else {
			pp = &w->next;
		}
	}
	log->synced = seq;
}

static bool due(const struct tlsrpt_spool_log *log)
{
	return log->stop || log->rotate || log->count >= TLSRPT_SEG_RECORDS_MAX ||
	       log->size >= TLSRPT_SEG_BYTES ||
	       now_ms() - log->opened_ms >= TLSRPT_SPOOL_LOG_AGE_MS;
}

static void *thread_main(void *arg)
{
	struct tlsrpt_spool_log *log = arg;
	pthread_mutex_lock(&log->lock);
	for (;;) {
		if (log->written > log->synced) {
			/* One sync for every record appended so far; puts go on appending meanwhile. */
			uint64_t upto = log->written;
			int fd = log->fd;
			pthread_mutex_unlock(&log->lock);
			int rc = fdatasync(fd) == 0 ? 0 : -errno;
			pthread_mutex_lock(&log->lock);
			settle(log, upto, rc);
			if (rc)
				hand_over(log);   /* what it holds may be lost; later reports go elsewhere */
		} else if (log->fd >= 0 && due(log)) {
			hand_over(log);
		} else if (log->stop) {
			break;
		} else if (log->fd >= 0) {
			int64_t at = log->opened_ms + TLSRPT_SPOOL_LOG_AGE_MS;
			struct timespec ts = { (time_t)(at / 1000), (long)(at % 1000) * 1000000 };
			pthread_cond_timedwait(&log->wake, &log->lock, &ts);
		} else {
			pthread_cond_wait(&log->wake, &log->lock);
		}
	}
	pthread_mutex_unlock(&log->lock);
	return NULL;
}

int tlsrpt_spool_log_open(const char *state_dir, struct tlsrpt_spool_log **out)
{
	struct tlsrpt_spool_log *log = calloc(1, sizeof(*log));
	pthread_condattr_t attr;
	if (log == NULL || (log->state_dir = strdup(state_dir)) == NULL) {
		free(log);
		return -ENOMEM;
	}
	pthread_mutex_init(&log->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&log->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&log->settled, NULL);
	log->fd = -1;
	*out = log;
	return 0;
}

int tlsrpt_spool_log_put(struct tlsrpt_spool_log *log, const char *domain, const uint8_t *body,
                         size_t len)
{
	uint8_t head[TLSRPT_SEG_HEAD_MAX], tail[TLSRPT_SEG_TAIL];
	if (domain && !tlsrpt_spool_domain_ok(domain))
		return LS_EPARSE;
	if (len > UINT32_MAX)
		return -EFBIG;
	size_t hlen = tlsrpt_seg_head(head, domain, len, (int64_t)time(NULL));
	tlsrpt_seg_tail(tail, head, hlen, body, len);     /* outside the lock: CPU */
	size_t rec = hlen + len + TLSRPT_SEG_TAIL;
	struct iovec iov[3] = { { head, hlen }, { (void *)body, len }, { tail, sizeof(tail) } };
	struct waiter w = { 0, 0, false, PTHREAD_COND_INITIALIZER, NULL };
	int rc = 0;
	pthread_mutex_lock(&log->lock);
	if (!log->started) {
		if ((rc = -pthread_create(&log->thread, NULL, thread_main, log)) != 0)
			goto out;
		log->started = true;
	}
	while (log->fd >= 0 && (log->count >= TLSRPT_SEG_RECORDS_MAX ||
	                        (log->count > 0 && log->size + rec > TLSRPT_SEG_BYTES))) {
		log->rotate = true;                  /* full: the thread hands it over first */
		pthread_cond_signal(&log->wake);
		pthread_cond_wait(&log->settled, &log->lock);
	}
	if (log->fd < 0 && (rc = seg_open(log)) != 0)
		goto out;
	ssize_t n = pwritev(log->fd, iov, 3, (off_t)log->size);
	if (n < 0 || (size_t)n != rec) {
		rc = n < 0 ? -errno : -EIO;
		(void)ftruncate(log->fd, (off_t)log->size);   /* no half record before the next */
		goto out;
	}
	log->size += rec;
	log->count++;
	w.seq = ++log->written;
	w.next = log->waiters;
	log->waiters = &w;
	pthread_cond_signal(&log->wake);
	while (!w.done)
		pthread_cond_wait(&w.cond, &log->lock);
	rc = w.rc;
out:
	pthread_mutex_unlock(&log->lock);
	pthread_cond_destroy(&w.cond);
	return rc;
}

void tlsrpt_spool_log_close(struct tlsrpt_spool_log *log)
{
	if (log == NULL)
		return;
	pthread_mutex_lock(&log->lock);
	log->stop = true;
	pthread_cond_signal(&log->wake);
	pthread_mutex_unlock(&log->lock);
	if (log->started)
		pthread_join(log->thread, NULL);
	else if (log->fd >= 0)
		hand_over(log);
	pthread_cond_destroy(&log->wake);
	pthread_cond_destroy(&log->settled);
	pthread_mutex_destroy(&log->lock);
	free(log->state_dir);
	free(log);
}
