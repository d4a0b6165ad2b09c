/*
 * The TLS report spool, maildir style, in STATE/tlsrpt: a report is written to tmp/, synced,
 * and renamed into new/, so it is durable before the sender hears success and never seen half
 * written; the import takes it into the store and deletes it. Reports that cannot be read go to
 * bad/ for the operator. A file's name ends in ",DOMAIN" (the domain it was delivered for) or
 * ",-" (none known). httpsd writes segments instead, many reports to a file (tlsrpt_seg.h,
 * tlsrpt_spool_log.h), named ending in TLSRPT_SEG_SUFFIX; the import reads both.
 */
#ifndef LS_TLSRPT_SPOOL_H
#define LS_TLSRPT_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLSRPT_SPOOL_DIR "tlsrpt"
#define TLSRPT_SPOOL_NAME_MAX 320     /* one file name */
#define TLSRPT_SPOOL_BATCH 64         /* files one tlsrpt_spool_each() hands out, at most */

/*
 * Spools body (len bytes, as received) for domain (NULL: none known; else a host name in text
 * form). Returns 0 once the file is in new/ and synced, LS_EPARSE for a domain that is not a
 * host name, or -errno (a temporary failure: the sender should retry).
 */
int tlsrpt_spool_put(const char *state_dir, const char *domain, const uint8_t *body,
                     size_t len);
/* True when new/ holds a file: cheap enough to ask every second. Moves segments left in seg/
 * by a writer that is gone (killed) to new/ first. */
bool tlsrpt_spool_pending(const char *state_dir);

/* One spooled report as tlsrpt_spool_take() hands it out. */
struct tlsrpt_spooled {
	char name[TLSRPT_SPOOL_NAME_MAX];  /* its file in new/ */
	int rec;                    /* its index in a segment, or -1: the whole file */
	bool last;                  /* the segment's last record */
	char domain[256];           /* "" when none was known */
	int64_t mtime;              /* when it was spooled */
	uint8_t *body;              /* malloc'ed; NULL when it could not be read (err) */
	size_t len;
	int err;                    /* 0, -errno or LS_ETOOBIG (larger than max) */
};

/* Reads up to TLSRPT_SPOOL_BATCH reports of new/ (each at most max bytes) into out; *n how
 * many. A segment's records are all in one batch. Free with tlsrpt_spool_free(). Returns 0 or
 * -errno (no spool directory: 0 files). */
int tlsrpt_spool_take(const char *state_dir, size_t max, struct tlsrpt_spooled *out, size_t *n);
void tlsrpt_spool_free(struct tlsrpt_spooled *s, size_t n);
/* Deletes f's file of new/ once its report is committed (a segment: with its last record,
 * whether imported or rejected). Returns 0 or -errno. */
int tlsrpt_spool_done(const char *state_dir, const struct tlsrpt_spooled *f);
/* Moves f's file of new/ that cannot be imported to bad/ (a segment's record: a copy of it, as
 * bad/NAME.RECORD). Returns 0 or -errno. */
int tlsrpt_spool_reject(const char *state_dir, const struct tlsrpt_spooled *f);

/* Makes STATE/tlsrpt and its directories. Returns 0 or -errno. */
int tlsrpt_spool_dirs(const char *state_dir);
/* fsyncs STATE/tlsrpt/SUB. Returns 0 or -errno. */
int tlsrpt_spool_sync_dir(const char *state_dir, const char *sub);
/* True when domain is a host name in text form (a spool name may carry it). */
bool tlsrpt_spool_domain_ok(const char *domain);
/* A unique spool file name (time, process, serial) ending in tail, into out (size bytes). */
void tlsrpt_spool_name(char *out, size_t size, const char *tail);

#endif
