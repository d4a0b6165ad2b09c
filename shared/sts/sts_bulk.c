/* Bulk enables: one nested edit per domain, batched commits, outcomes reported after each. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/sts/sts_bulk.h"
#include "shared/store/zone_edit.h"

#define DOMAIN_HINT (64u << 10)   /* bytes one enable may add */

struct outcome {
	int rc;
	struct diag d;
};

struct run {
	const uint8_t *const *domains;
	const struct sts_bulk *o;
	struct outcome *outs;     /* one per slot of a batch */
	struct sts_bulk_stats *stats;
	size_t n;
};

static size_t hint(size_t i, void *arg)
{
	(void)i, (void)arg;
	return DOMAIN_HINT;
}

/* Refusals of the domain's own (reported, skipped); anything else is the store's. */
static bool domain_error(int rc)
{
	return rc == LS_EINVAL_ZONE || rc == LS_ENOZONE || rc == LS_EEXIST || rc == LS_EPARSE ||
	       rc == LS_ETOOBIG || rc == LS_ENOTFOUND;
}

static int stage(struct zone_batch *b, size_t i, size_t slot, bool *good, void *arg)
{
	struct run *r = arg;
	struct outcome *out = &r->outs[slot];
	struct zone_result res;
	int rc = sts_ops_enable_in(b, r->domains[i], r->o->set, r->o->svc, &out->d, &res);
	zone_result_free(&res);
	out->rc = rc == LS_ENOCHANGE ? 0 : rc;
	*good = out->rc == 0 || out->rc == LS_EEXIST;
	if (out->rc && !domain_error(out->rc))
		return rc;
	if (r->o->progress)
		r->o->progress(i + 1, r->n, r->o->arg);    /* a batch staged again repeats its counts */
	return 0;
}

static void report(size_t i, size_t slot, bool committed, void *arg)
{
	struct run *r = arg;
	struct outcome *out = &r->outs[slot];
	struct sts_bulk_domain d = { r->domains[i], out->rc, &out->d };
	(void)committed;          /* never all or nothing: every batch commits */
	r->stats->enabled += out->rc == 0;
	r->stats->already += out->rc == LS_EEXIST;
	r->stats->failed += out->rc != 0 && out->rc != LS_EEXIST;
	if (r->o->done)
		r->o->done(&d, r->o->arg);
}

static void forget(size_t slot, void *arg)
{
	struct run *r = arg;
	diag_free(&r->outs[slot].d);
	r->outs[slot].rc = 0;
	diag_init(&r->outs[slot].d);
}

int sts_bulk_enable(struct store *st, const uint8_t *const *domains, size_t n,
                    const struct sts_bulk *o, struct sts_bulk_stats *stats)
{
	size_t size = o->batch ? o->batch : STS_BULK_BATCH;
	struct run r = { domains, o, calloc(size, sizeof(struct outcome)), stats, n };
	memset(stats, 0, sizeof(*stats));
	if (r.outs == NULL)
		return -ENOMEM;
	for (size_t k = 0; k < size; k++)
		diag_init(&r.outs[k].d);
	struct zone_batch_plan p = { n, size, false, hint, stage, report, forget, &r };
	int rc = zone_batch_each(st, &p);
	for (size_t k = 0; k < size; k++)
		diag_free(&r.outs[k].d);
	free(r.outs);
	return rc;
}
