/* The one edit runner: begin, the writer's changes, commit; again when the map grew. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/store/zone_edit.h"
#include "shared/store/zone_hook.h"

#define EDIT_RETRIES 4   /* map growths one edit may need */

void zone_result_free(struct zone_result *r)
{
	zone_txn_free(r->zt);
	if (r->zf) {
		zonefile_free(r->zf);
		free(r->zf);
	}
	memset(r, 0, sizeof(*r));
}

/* The zone an edit of e runs in; resolved in batch (when given, so it sees the batch's own
 * zones) or in a read transaction of its own. */
static int edit_apex(struct store *st, struct store_txn *batch, const struct zone_edit *e,
                     uint8_t apex[DNAME_MAX])
{
	struct store_txn own, *t = batch ? batch : &own;
	struct zone_info z;
	if (e->apex) {
		memcpy(apex, e->apex, (size_t)dname_wire_len(e->apex, DNAME_MAX));
		return 0;
	}
	int rc = batch ? 0 : store_begin(st, false, 0, &own);
	if (rc)
		return rc;
	rc = zone_enclosing(t, e->within, &z);
	if (!batch)
		store_abort(&own);
	if (rc == 0)
		memcpy(apex, z.apex, sizeof(z.apex));
	return rc;
}

/* One try of e: in a transaction of its own, or nested in batch. */
static int attempt(struct store *st, struct store_txn *batch, const struct zone_edit *e,
                   const uint8_t *apex, struct diag *d, struct zone_result *res)
{
	int rc = batch ? zone_txn_begin_in(batch, apex, e->flags, e->source, &res->zt)
	               : zone_txn_begin(st, apex, e->flags, e->hint, e->source, &res->zt);
	if (rc == 0) {
		zone_txn_set_hooks(res->zt, zone_hooks);   /* every writer, the same derivations */
		rc = e->fn(res->zt, e->arg, d);
		if (rc != 0) {
			zone_txn_free(res->zt);     /* the writer refused: nothing is written */
			res->zt = NULL;
			return rc;
		}
	}
	if (rc == 0)
		rc = zone_txn_commit(res->zt, d, &res->diff);
	return rc;
}

int zone_edit_run(struct store *st, const struct zone_edit *e, struct diag *d,
                  struct zone_result *res)
{
	uint8_t apex[DNAME_MAX];
	size_t n = d ? d->n : 0, errors = d ? d->errors : 0, warnings = d ? d->warnings : 0;
	memset(res, 0, sizeof(*res));
	int rc = edit_apex(st, NULL, e, apex);
	for (int i = 0; rc == 0; i++) {
		rc = attempt(st, NULL, e, apex, d, res);
		if (rc != LS_EMAPFULL || i + 1 == EDIT_RETRIES)
			break;
		/* LMDB cannot grow the map inside a transaction: grow it and start again. */
		zone_txn_free(res->zt);
		res->zt = NULL;
		if (d)
			diag_truncate(d, n, errors, warnings);
		rc = store_grow(st);
	}
	if (rc != 0 && rc != LS_ENOCHANGE) {
		/* A refused edit must not hold the writer lock until the caller frees the result. */
		zone_txn_free(res->zt);
		res->zt = NULL;
	}
	return rc;
}

int zone_batch_begin(struct store *st, size_t hint, struct zone_batch *b)
{
	memset(b, 0, sizeof(*b));
	b->st = st;
	return store_begin(st, true, hint, &b->t);
}

int zone_batch_run(struct zone_batch *b, const struct zone_edit *e, struct diag *d,
                   struct zone_result *res)
{
	uint8_t apex[DNAME_MAX];
	memset(res, 0, sizeof(*res));
	if (b->t.txn == NULL)
		return b->t.err ? b->t.err : -EINVAL;
	int rc = edit_apex(b->st, &b->t, e, apex);
	if (rc == 0)
		rc = attempt(b->st, &b->t, e, apex, d, res);
	if (rc != 0 && rc != LS_ENOCHANGE) {
		zone_txn_free(res->zt);
		res->zt = NULL;
	} else {
		b->edits++;
	}
	return rc;
}

int zone_batch_commit(struct zone_batch *b)
{
	return store_commit(&b->t);
}

void zone_batch_abort(struct zone_batch *b)
{
	store_abort(&b->t);
}

/* Where the batch that starts at i ends, and the bytes it hints. */
static size_t batch_end(const struct zone_batch_plan *p, size_t i, size_t *hint)
{
	size_t j = i, max = p->all_or_nothing ? p->n : (p->size ? p->size : 1);
	*hint = 0;
	while (j < p->n && j - i < max && (p->all_or_nothing || *hint < ZONE_BATCH_HINT_MAX))
		*hint += p->hint ? p->hint(j++, p->arg) : (j++, 0);
	return j;
}

/* Stages items [i, j) and commits them unless all or nothing found a bad one. */
static int batch_once(struct store *st, const struct zone_batch_plan *p, size_t i, size_t j,
                      size_t hint, bool *commit)
{
	struct zone_batch b;
	int rc = zone_batch_begin(st, hint, &b);
	*commit = true;
	for (size_t k = i; rc == 0 && k < j; k++) {
		bool good = false;
		rc = p->stage(&b, k, k - i, &good, p->arg);
		*commit &= good || !p->all_or_nothing;
	}
	if (rc == 0 && *commit)
		return zone_batch_commit(&b);
	zone_batch_abort(&b);
	return rc;
}

int zone_batch_each(struct store *st, const struct zone_batch_plan *p)
{
	int rc = 0;
	for (size_t i = 0, j; rc == 0 && i < p->n; i = j) {
		size_t hint;
		bool commit = false;
		j = batch_end(p, i, &hint);
		for (int tries = 0;; tries++) {
			rc = batch_once(st, p, i, j, hint, &commit);
			if (rc != LS_EMAPFULL || tries + 1 == ZONE_BATCH_RETRIES)
				break;
			/* LMDB cannot grow the map inside a transaction: grow it, stage again. */
			for (size_t k = i; k < j; k++)
				p->forget(k - i, p->arg);
			if ((rc = store_grow(st)) != 0)
				break;
		}
		for (size_t k = i; k < j; k++) {
			if (rc == 0)
				p->report(k, k - i, commit, p->arg);
			p->forget(k - i, p->arg);
		}
	}
	return rc;
}
