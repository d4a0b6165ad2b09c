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
#include "shared/util/clock.h"
#include "shared/util/err.h"
#include "shared/util/file.h"
#include "shared/rpt/tlsrpt_seg.h"
#include "shared/rpt/tlsrpt_spool.h"
#include "shared/rpt/tlsrpt_spool_log.h"

#define PATH_LEN 4096
#define DIRECT_ALIGN 4096u            /* O_DIRECT: offsets, lengths and buffers a multiple */
#define STAGE_MIN (64u << 10)

/* tlsrpt_spool_log_put()'s ticket: the caller sleeps until the sync that covers it. */
struct put_wait {
	struct tlsrpt_spool_ticket t;
	struct tlsrpt_spool_log *log;
	pthread_cond_t cond;          /* its own: a sync wakes only the puts it covers */
	bool done;
	int rc;
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
	uint64_t durable, syncs;      /* for tlsrpt_spool_log_stats() */
	int64_t synced_ms;            /* when the last sync ended */
	/* O_DIRECT (where the file system has it): appends copy records into stage, and the
	 * thread writes them with the sync. Buffered writes cost 3-5 times the CPU here: each
	 * report's pages were new to the page cache (allocated, zeroed, copied, written back). */
	bool direct;
	uint8_t *stage, *spare;       /* the segment from offset base to size; the thread's */
	size_t stage_cap, spare_cap;  /* (each with DIRECT_ALIGN bytes of room for padding) */
	size_t base;                  /* a multiple of DIRECT_ALIGN */
	size_t ondisk;                /* bytes written without error (padding not counted) */
	struct tlsrpt_spool_ticket *tickets;   /* appended, waiting for their sync */
};

static size_t align_up(size_t n)
{
	return (n + DIRECT_ALIGN - 1) & ~(size_t)(DIRECT_ALIGN - 1);
}

/* *buf (with *cap bytes) grown to hold need bytes and the padding, keeping its first keep. */
static int stage_room(uint8_t **buf, size_t *cap, size_t need, size_t keep)
{
	if (need + DIRECT_ALIGN <= *cap)
		return 0;
	size_t nc = *cap ? *cap : STAGE_MIN;
	while (nc < need + DIRECT_ALIGN)
		nc *= 2;
	void *p;
	if (posix_memalign(&p, DIRECT_ALIGN, nc) != 0)
		return -ENOMEM;
	if (keep)
		memcpy(p, *buf, keep);
	free(*buf);
	*buf = p;
	*cap = nc;
	return 0;
}

/* Copies the n pieces of iov into the stage, after what is there. */
static int stage_add(struct tlsrpt_spool_log *log, const struct iovec *iov, int n)
{
	size_t used = log->size - log->base, add = 0;
	for (int i = 0; i < n; i++)
		add += iov[i].iov_len;
	int rc = stage_room(&log->stage, &log->stage_cap, used + add, used);
	for (int i = 0; rc == 0 && i < n; i++) {
		memcpy(log->stage + used, iov[i].iov_base, iov[i].iov_len);
		used += iov[i].iov_len;
	}
	return rc;
}

/* Writes what was appended up to now (called locked, writes unlocked): the stage is the
 * thread's while it writes, and appends go on into the spare, which starts with the last
 * partial block (written again next time, with what follows it). */
static int stage_write(struct tlsrpt_spool_log *log, int fd)
{
	size_t n = log->size - log->base, keep = n & ~(size_t)(DIRECT_ALIGN - 1);
	size_t at = log->base, end = log->size;
	int rc = stage_room(&log->spare, &log->spare_cap, n - keep, 0);
	if (rc)
		return rc;
	uint8_t *buf = log->stage;
	memcpy(log->spare, buf + keep, n - keep);
	log->stage = log->spare;
	log->spare = NULL;
	size_t cap = log->stage_cap;
	log->stage_cap = log->spare_cap;
	log->spare_cap = 0;
	log->base += keep;
	pthread_mutex_unlock(&log->lock);
	size_t len = align_up(n);
	memset(buf + n, 0, len - n);
	ssize_t w = pwrite(fd, buf, len, (off_t)at);
	rc = w < 0 ? -errno : (size_t)w != len ? -EIO : 0;
	pthread_mutex_lock(&log->lock);
	if (rc == 0 && log->fd == fd)
		log->ondisk = end;
	if (log->spare == NULL) {
		log->spare = buf;
		log->spare_cap = cap;
	} else {
		free(buf);
	}
	return rc;
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
	int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC;
	int fd = open(tmp, flags | O_DIRECT, 0640);
	if (fd < 0 && errno == ENOENT) {
		if ((rc = tlsrpt_spool_dirs(log->state_dir)) != 0)
			return rc;
		fd = open(tmp, flags | O_DIRECT, 0640);
	}
	log->direct = fd >= 0;
	if (fd < 0 && errno == EINVAL)       /* no O_DIRECT here (tmpfs): buffered writes */
		fd = open(tmp, flags, 0640);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) != 0 || rename(tmp, seg) != 0) {
		rc = -errno;
		goto fail;
	}
	/* With O_DIRECT the magic is staged: the first sync writes it with the first record. */
	struct iovec magic = { TLSRPT_SEG_MAGIC, TLSRPT_SEG_MAGIC_LEN };
	log->base = log->ondisk = log->size = 0;
	if ((rc = log->direct ? stage_add(log, &magic, 1) :
	          file_write_all(fd, TLSRPT_SEG_MAGIC, TLSRPT_SEG_MAGIC_LEN)) != 0 ||
	    (rc = tlsrpt_spool_sync_dir(log->state_dir, "seg")) != 0) {
		unlink(seg);
		goto fail;
	}
	log->fd = fd;
	log->size = TLSRPT_SEG_MAGIC_LEN;
	log->count = 0;
	log->opened_ms = clock_mono_ms();
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
	if (log->direct)
		(void)ftruncate(log->fd, (off_t)log->ondisk);   /* the last block's padding */
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

/* Takes the tickets of records up to seq off the list (their callbacks run unlocked). */
static struct tlsrpt_spool_ticket *settle(struct tlsrpt_spool_log *log, uint64_t seq)
{
	struct tlsrpt_spool_ticket *done = NULL;
	for (struct tlsrpt_spool_ticket **pp = &log->tickets; *pp;) {
		struct tlsrpt_spool_ticket *t = *pp;
		if (t->seq <= seq) {
			*pp = t->next;
			t->next = done;
			done = t;
		} else {
			pp = &t->next;
		}
	}
	log->synced = seq;
	return done;
}

/* A sync now would come sooner than TLSRPT_SPOOL_LOG_GAP_MS after the last one, and no more
 * than a batch waits: wait, so that a flood of reports shares each sync. */
static bool hold(const struct tlsrpt_spool_log *log, int64_t now)
{
	return !log->stop && !log->rotate && log->written - log->synced < TLSRPT_SPOOL_LOG_BATCH &&
	       now < log->synced_ms + TLSRPT_SPOOL_LOG_GAP_MS;
}

static void wait_until(struct tlsrpt_spool_log *log, int64_t at)
{
	struct timespec ts = { (time_t)(at / 1000), (long)(at % 1000) * 1000000 };
	pthread_cond_timedwait(&log->wake, &log->lock, &ts);
}

static bool due(const struct tlsrpt_spool_log *log)
{
	return log->stop || log->rotate || log->count >= TLSRPT_SEG_RECORDS_MAX ||
	       log->size >= TLSRPT_SEG_BYTES ||
	       clock_mono_ms() - log->opened_ms >= TLSRPT_SPOOL_LOG_AGE_MS;
}

static void *thread_main(void *arg)
{
	struct tlsrpt_spool_log *log = arg;
	pthread_mutex_lock(&log->lock);
	for (;;) {
		int64_t now = clock_mono_ms();
		if (log->written > log->synced && hold(log, now)) {
			wait_until(log, log->synced_ms + TLSRPT_SPOOL_LOG_GAP_MS);
		} else if (log->written > log->synced) {
			/* One sync for every record appended so far; puts go on appending meanwhile. */
			uint64_t upto = log->written;
			int fd = log->fd;
			int rc = log->direct ? stage_write(log, fd) : 0;
			pthread_mutex_unlock(&log->lock);
			if (rc == 0)
				rc = fdatasync(fd) == 0 ? 0 : -errno;
			pthread_mutex_lock(&log->lock);
			log->synced_ms = clock_mono_ms();
			log->syncs++;
			if (rc == 0)
				log->durable += upto - log->synced;
			struct tlsrpt_spool_ticket *done = settle(log, upto);
			if (rc)
				hand_over(log);   /* what it holds may be lost; later reports go elsewhere */
			pthread_mutex_unlock(&log->lock);
			while (done) {
				struct tlsrpt_spool_ticket *t = done;
				done = t->next;
				t->done(t, rc);
			}
			pthread_mutex_lock(&log->lock);
		} else if (log->fd >= 0 && due(log)) {
			hand_over(log);
		} else if (log->stop) {
			break;
		} else if (log->fd >= 0) {
			wait_until(log, log->opened_ms + TLSRPT_SPOOL_LOG_AGE_MS);
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

int tlsrpt_spool_log_append(struct tlsrpt_spool_log *log, const char *domain,
                            const uint8_t *body, size_t len, struct tlsrpt_spool_ticket *t)
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
	if (log->direct) {
		if ((rc = stage_add(log, iov, 3)) != 0)
			goto out;
	} else {
		ssize_t n = pwritev(log->fd, iov, 3, (off_t)log->size);
		if (n < 0 || (size_t)n != rec) {
			rc = n < 0 ? -errno : -EIO;
			(void)ftruncate(log->fd, (off_t)log->size);   /* no half record before the next */
			goto out;
		}
	}
	log->size += rec;
	log->count++;
	t->seq = ++log->written;
	t->next = log->tickets;
	log->tickets = t;
	/* The thread sleeps with nothing to sync, or waits out the gap: wake it for the first
	 * record and for a full batch (during a sync it looks again when the sync ends). */
	uint64_t waiting = log->written - log->synced;
	if (waiting == 1 || waiting == TLSRPT_SPOOL_LOG_BATCH)
		pthread_cond_signal(&log->wake);
out:
	pthread_mutex_unlock(&log->lock);
	return rc;
}

static void put_done(struct tlsrpt_spool_ticket *t, int rc)
{
	struct put_wait *w = (struct put_wait *)t;
	pthread_mutex_lock(&w->log->lock);
	w->rc = rc;
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->log->lock);
}

int tlsrpt_spool_log_put(struct tlsrpt_spool_log *log, const char *domain, const uint8_t *body,
                         size_t len)
{
	struct put_wait w = { { put_done, 0, NULL }, log, PTHREAD_COND_INITIALIZER, false, 0 };
	int rc = tlsrpt_spool_log_append(log, domain, body, len, &w.t);
	if (rc == 0) {
		pthread_mutex_lock(&log->lock);
		while (!w.done)
			pthread_cond_wait(&w.cond, &log->lock);
		rc = w.rc;
		pthread_mutex_unlock(&log->lock);
	}
	pthread_cond_destroy(&w.cond);
	return rc;
}

void tlsrpt_spool_log_stats(struct tlsrpt_spool_log *log, uint64_t *records, uint64_t *syncs)
{
	pthread_mutex_lock(&log->lock);
	*records = log->durable;
	*syncs = log->syncs;
	pthread_mutex_unlock(&log->lock);
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
	free(log->stage);
	free(log->spare);
	free(log->state_dir);
	free(log);
}
