/*
 * Many zone files imported in one run (zonectl zone import FILE... and --dir): each file
 * parsed, staged through the one edit path (zone_ops_import_in) and freed, several files to
 * a transaction and one durable sync per batch. A file that fails is reported and skipped;
 * with all_or_nothing, one transaction and nothing lands when any fails.
 */
#ifndef LS_ZONE_BULK_H
#define LS_ZONE_BULK_H

#include <stdbool.h>
#include <stddef.h>
#include "shared/util/diag.h"
#include "shared/dns/serial.h"
#include "shared/store/store.h"

#define ZONE_BULK_BATCH 1024    /* files per transaction by default (tests/bench/README.md) */

/* One file's outcome, given to done() once its batch committed (or the run ended). */
struct zone_bulk_file {
	const char *path;
	int rc;             /* 0 imported, LS_ENOCHANGE unchanged, else why it failed */
	bool created;       /* rc 0: the zone is new */
	size_t records;     /* records in the zone (rc 0 or LS_ENOCHANGE) */
	const struct diag *d;   /* its messages (FILE:LINE), borrowed for the call */
};

struct zone_bulk_stats {
	size_t imported, unchanged, failed, records;
	bool replaced;      /* an existing zone changed: the MTA-STS publish step may have work */
	bool landed;        /* all_or_nothing: whether the files were committed */
};

struct zone_bulk {
	enum serial_policy policy;
	uint32_t default_ttl;
	const char *source;         /* for the history */
	size_t batch;               /* files per transaction; 0 for ZONE_BULK_BATCH */
	bool all_or_nothing;        /* one transaction, committed only when every file is good */
	void (*done)(const struct zone_bulk_file *f, void *arg);
	void (*progress)(size_t staged, size_t total, void *arg);   /* may be NULL */
	void *arg;
};

/*
 * Imports paths[0..n). Returns 0 when the run went through (per-file failures are counted in
 * *stats and reported to done()), or a store error that stopped it (batches committed before
 * stay committed; the files of the failed batch are not reported).
 */
int zone_bulk_import(struct store *st, char *const *paths, size_t n, const struct zone_bulk *o,
                     struct zone_bulk_stats *stats);

#endif
