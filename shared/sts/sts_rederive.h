/*
 * Following a changed mta-sts.service-address or service-cname: every enabled domain's
 * mta-sts.<domain> records are rewritten for the service in force, one zone edit per zone
 * (ZONE_TXN_MANAGED: new serial, journal, history, so NOTIFY and IXFR follow), and the
 * service is then recorded as applied. Records that no service Lockstep applied would have
 * made are left as they are and reported. A run stopped at any point is completed by the
 * next: zones already done hold the new records, and the service applied is written last.
 */
#ifndef LS_STS_REDERIVE_H
#define LS_STS_REDERIVE_H

#include <stdbool.h>
#include "shared/store/store.h"
#include "shared/sts/sts_service.h"

enum sts_rederive_what {
	STS_REDERIVE_REWRITTEN,   /* the records are the service's now */
	STS_REDERIVE_KEPT,        /* the records are no service's that was applied: left alone */
};

/* One domain that was not already right. */
struct sts_rederive_info {
	enum sts_rederive_what what;
	uint8_t domain[DNAME_MAX];
	uint32_t old_serial, new_serial;   /* REWRITTEN: the zone's commit */
};

struct sts_rederive_result {
	unsigned zones;        /* commits made */
	unsigned rewritten, kept, current;   /* domains, by what happened (current: already right) */
	bool adopted;          /* no service was recorded before: svc was recorded, nothing rewritten */
};

/*
 * Brings every enabled domain's mta-sts records to svc, as above; force rewrites records
 * that no recorded service made, too. fn (may be NULL) hears each domain rewritten or kept,
 * after its zone's commit. source names the writer in the history ("dnsd").
 * Returns 0 (what happened in res), LS_ENOCHANGE when svc is already the service applied
 * (nothing read further), LS_ENOTFOUND when svc names nothing, LS_ECONFIG with the reason in
 * err, or the first failing zone's error (the service applied is then not changed, so the
 * next run tries again).
 */
int sts_rederive_run(struct store *st, const struct sts_service *svc, bool force,
                     const char *source, void (*fn)(const struct sts_rederive_info *i, void *ctx),
                     void *ctx, struct sts_rederive_result *res, char *err, size_t cap);

#endif
