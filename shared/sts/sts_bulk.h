/*
 * MTA-STS enabled for many domains in one run (zonectl mta-sts enable DOMAIN... and --list):
 * each domain's enable staged through the one edit path (sts_ops_enable_in), several domains
 * to a transaction and one durable sync per batch. A domain that fails is reported and
 * skipped; one already enabled is reported as such (a run stopped midway is run again).
 */
#ifndef LS_STS_BULK_H
#define LS_STS_BULK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shared/util/diag.h"
#include "shared/store/store.h"
#include "shared/sts/sts_ops.h"

#define STS_BULK_BATCH 1024   /* domains per transaction by default (tests/bench/README.md) */

/* One domain's outcome, given to done() once its batch committed. */
struct sts_bulk_domain {
	const uint8_t *domain;
	int rc;                   /* 0 enabled, LS_EEXIST already enabled, else why it failed */
	const struct diag *d;     /* its messages, borrowed for the call */
};

struct sts_bulk_stats {
	size_t enabled, already, failed;
};

struct sts_bulk {
	const struct sts_settings *set;
	const struct sts_service *svc;
	size_t batch;             /* domains per transaction; 0 for STS_BULK_BATCH */
	void (*done)(const struct sts_bulk_domain *r, void *arg);
	void (*progress)(size_t staged, size_t total, void *arg);   /* may be NULL */
	void *arg;
};

/* Enables domains[0..n). Returns 0 when the run went through (failures counted in *stats and
 * reported to done()), or the store error that stopped it (earlier batches stay committed). */
int sts_bulk_enable(struct store *st, const uint8_t *const *domains, size_t n,
                    const struct sts_bulk *o, struct sts_bulk_stats *stats);

#endif
