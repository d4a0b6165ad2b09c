/* Bulk imports: files parsed one at a time, staged into batched transactions, then reported. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "shared/util/err.h"
#include "shared/dns/zonefile.h"
#include "shared/store/zone_bulk.h"
#include "shared/store/zone_edit.h"
#include "shared/store/zone_ops.h"

#define FILE_OVERHEAD (16u << 10)   /* bytes a zone costs beyond its records: zone, history */

/* What one file came to, held until its batch has committed. */
struct outcome {
	int rc;
	bool created;
	size_t records;
	struct diag d;
};

struct run {
	char *const *paths;
	const struct zone_bulk *o;
	struct outcome *outs;     /* one per slot of a batch */
	struct zone_bulk_stats *stats;
	size_t n;
};

/* Whether rc is about the file (reported, skipped) rather than the store (the run stops). */
static bool file_error(int rc)
{
	return rc == LS_EPARSE || rc == LS_EINVAL_ZONE || rc == LS_ETOOBIG || rc == LS_EEXIST;
}

static size_t hint(size_t i, void *arg)
{
	struct run *r = arg;
	struct stat sb;
	return FILE_OVERHEAD + (stat(r->paths[i], &sb) == 0 ? 2 * (size_t)sb.st_size : 0);
}

/* Parses file i and stages it; the parse is freed before returning. */
static int stage(struct zone_batch *b, size_t i, size_t slot, bool *good, void *arg)
{
	struct run *r = arg;
	struct outcome *out = &r->outs[slot];
	struct zonefile zf;
	struct zone_result res;
	memset(&res, 0, sizeof(res));
	zonefile_init(&zf);
	int prc = zonefile_read(&zf, r->paths[i], NULL, r->o->default_ttl, &out->d), rc = 0;
	out->rc = prc;
	if (prc == 0 || (prc == LS_EPARSE && zf.have_apex)) {
		/* Syntax errors: still validate what did parse, so one run shows every error. */
		unsigned flags = ZONE_TXN_CREATE | (prc ? ZONE_TXN_CHECK : 0);
		rc = zone_ops_import_in(b, &zf, flags, r->o->policy, r->o->source, &out->d, &res);
		if (prc == 0 && (rc == 0 || rc == LS_ENOCHANGE)) {
			out->rc = rc;
			out->created = rc == 0 && res.diff.created;
			out->records = rc == 0 ? res.diff.records : zf.n;
		} else if (rc != 0 && rc != LS_ENOCHANGE && file_error(rc) && prc == 0) {
			out->rc = rc;
		}
		if (rc == LS_ENOCHANGE || file_error(rc))
			rc = 0;
	}
	zone_result_free(&res);
	zonefile_free(&zf);
	*good = out->rc == 0 || out->rc == LS_ENOCHANGE;
	if (rc == 0 && r->o->progress)
		r->o->progress(i + 1, r->n, r->o->arg);    /* a batch staged again repeats its counts */
	return rc;
}

static void report(size_t i, size_t slot, bool committed, void *arg)
{
	struct run *r = arg;
	struct outcome *out = &r->outs[slot];
	struct zone_bulk_stats *s = r->stats;
	struct zone_bulk_file f = { r->paths[i], out->rc, out->created, out->records, &out->d };
	s->landed = committed;
	if (out->rc == 0 || out->rc == LS_ENOCHANGE) {
		if (!committed)
			return;      /* all or nothing, and something failed: it did not land */
		s->imported += out->rc == 0;
		s->unchanged += out->rc == LS_ENOCHANGE;
		s->replaced |= out->rc == 0 && !out->created;
		s->records += out->records;
	} else {
		s->failed++;
	}
	if (r->o->done)
		r->o->done(&f, r->o->arg);
}

static void forget(size_t slot, void *arg)
{
	struct run *r = arg;
	struct outcome *out = &r->outs[slot];
	diag_free(&out->d);
	memset(out, 0, sizeof(*out));
	diag_init(&out->d);
}

int zone_bulk_import(struct store *st, char *const *paths, size_t n, const struct zone_bulk *o,
                     struct zone_bulk_stats *stats)
{
	size_t size = o->all_or_nothing ? n : (o->batch ? o->batch : ZONE_BULK_BATCH);
	struct run r = { paths, o, calloc(size ? size : 1, sizeof(struct outcome)), stats, n };
	memset(stats, 0, sizeof(*stats));
	if (r.outs == NULL)
		return -ENOMEM;
	for (size_t k = 0; k < size; k++)
		diag_init(&r.outs[k].d);
	struct zone_batch_plan p = { n, size, o->all_or_nothing, hint, stage, report, forget, &r };
	int rc = zone_batch_each(st, &p);
	for (size_t k = 0; k < size; k++)
		diag_free(&r.outs[k].d);
	free(r.outs);
	return rc;
}
