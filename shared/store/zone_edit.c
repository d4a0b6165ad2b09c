/* The one edit runner: begin, the writer's changes, commit; again when the map grew. */
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

/* The zone an edit of e runs in; resolved in a read transaction of its own. */
static int edit_apex(struct store *st, const struct zone_edit *e, uint8_t apex[DNAME_MAX])
{
	struct store_txn t;
	struct zone_info z;
	if (e->apex) {
		memcpy(apex, e->apex, (size_t)dname_wire_len(e->apex, DNAME_MAX));
		return 0;
	}
	int rc = store_begin(st, false, 0, &t);
	if (rc)
		return rc;
	rc = zone_enclosing(&t, e->within, &z);
	store_abort(&t);
	if (rc == 0)
		memcpy(apex, z.apex, sizeof(z.apex));
	return rc;
}

static int attempt(struct store *st, const struct zone_edit *e, const uint8_t *apex,
                   struct diag *d, struct zone_result *res)
{
	int rc = zone_txn_begin(st, apex, e->flags, e->hint, e->source, &res->zt);
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
	int rc = edit_apex(st, e, apex);
	for (int i = 0; rc == 0; i++) {
		rc = attempt(st, e, apex, d, res);
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
