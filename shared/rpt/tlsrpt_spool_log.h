/*
 * httpsd's writer of spool segments (tlsrpt_seg.h): reports taken at the same time share one
 * file and one sync (group commit). Each report is appended by the thread that took it; a
 * thread of the log's own syncs everything appended so far with one fdatasync and then tells
 * each report it covers (a callback, or the waiting put), so a report is still durable before
 * its 200. Syncs come at most every TLSRPT_SPOOL_LOG_GAP_MS unless a batch is waiting: a lone
 * report is synced at once, a flood shares each sync. The open segment sits in STATE/tlsrpt/seg/ under an flock;
 * it moves to new/ (where the import reads it) after TLSRPT_SPOOL_LOG_AGE_MS, at
 * TLSRPT_SEG_RECORDS_MAX records or TLSRPT_SEG_BYTES, or when the log closes. A segment left in
 * seg/ with no lock (the writer was killed) is moved to new/ by tlsrpt_spool_pending().
 */
#ifndef LS_TLSRPT_SPOOL_LOG_H
#define LS_TLSRPT_SPOOL_LOG_H

#include <stddef.h>
#include <stdint.h>

#define TLSRPT_SPOOL_LOG_AGE_MS 200   /* a segment is handed to the import this soon */
/* 10 ms, not 2: at 1,000 reports/s a sync (a write, an inode write, a device flush, each a
 * wakeup) cost httpsd 4.2 % of its core every 2 ms and 1.3 % every 10 ms; a sender waits 10 ms
 * more at most, and a client that keeps fewer than BATCH reports in flight gets fewer a second. */
#define TLSRPT_SPOOL_LOG_GAP_MS 10    /* a sync follows the last one no sooner, unless... */
#define TLSRPT_SPOOL_LOG_BATCH 32     /* ...this many records wait for it */

struct tlsrpt_spool_log;

/* A record appended and waiting for its sync; the caller's memory, untouched by the log once
 * done has run. */
struct tlsrpt_spool_ticket {
	/* Called once, on the log's thread and with no lock held: rc 0 once the record is
	 * synced, else -errno (the record may be lost: the sender is to retry). */
	void (*done)(struct tlsrpt_spool_ticket *t, int rc);
	uint64_t seq;
	struct tlsrpt_spool_ticket *next;
};

/* A log for the spool in state_dir (copied); nothing is written and no thread started before
 * the first report. Free with tlsrpt_spool_log_close(). Returns 0 or -ENOMEM. */
int tlsrpt_spool_log_open(const char *state_dir, struct tlsrpt_spool_log **out);
/*
 * Appends body (len bytes, as received) for domain (NULL: none known) and returns at once: 0
 * when t->done will be called after the sync, else as tlsrpt_spool_log_put() (and t->done is
 * not called). Blocks only while a full segment is handed over.
 */
int tlsrpt_spool_log_append(struct tlsrpt_spool_log *log, const char *domain,
                            const uint8_t *body, size_t len, struct tlsrpt_spool_ticket *t);
/*
 * Appends body (len bytes, as received) for domain (NULL: none known) and returns once it is
 * synced: 0, LS_EPARSE for a domain that is not a host name, or -errno (nothing was
 * acknowledged; the sender should retry). Blocks: never call it on an event loop.
 */
int tlsrpt_spool_log_put(struct tlsrpt_spool_log *log, const char *domain, const uint8_t *body,
                         size_t len);
/* Records synced so far, and the syncs that took them. */
void tlsrpt_spool_log_stats(struct tlsrpt_spool_log *log, uint64_t *records, uint64_t *syncs);
/* Syncs and hands over the open segment, stops the thread, frees log (NULL: nothing). No put
 * may run or follow. */
void tlsrpt_spool_log_close(struct tlsrpt_spool_log *log);

#endif
