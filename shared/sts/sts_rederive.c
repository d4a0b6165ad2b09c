/* mta-sts.<domain> records brought to the service in force, one zone edit per zone. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/store/zone_edit.h"
#include "shared/sts/sts_record.h"
#include "shared/sts/sts_rederive.h"

#define EDIT_HINT (64u << 10)

enum { D_GONE, D_CURRENT, D_REWRITTEN, D_KEPT };

struct dom {
	uint8_t name[DNAME_MAX];
	uint32_t zone_id;
	size_t order;          /* canonical order, kept within a zone */
	int what;              /* D_*, as the zone's last attempt left it */
};

struct doms {
	struct dom *v;
	size_t n, cap;
};

static int collect(const struct sts_domain *d, void *ctx)
{
	struct doms *c = ctx;
	if (d->state == STS_REMOVED)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct dom *v = realloc(c->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	struct dom *x = &c->v[c->n];
	memcpy(x->name, d->domain, (size_t)dname_wire_len(d->domain, DNAME_MAX));
	x->zone_id = d->zone_id;
	x->order = c->n++;
	x->what = D_GONE;
	return 0;
}

static int by_zone(const void *a, const void *b)
{
	const struct dom *x = a, *y = b;
	if (x->zone_id != y->zone_id)
		return x->zone_id < y->zone_id ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* One zone's edit: its domains, the service and those applied before. */
struct zone_run {
	struct dom *d;
	size_t n;
	const struct sts_service_set *target, *known;
	unsigned nknown;
	bool force;
	struct sts_domain *s;              /* scratch: a domain's record */
	struct sts_service_set *have;      /* scratch: what its name holds */
	unsigned rewritten;
};

static bool known(const struct zone_run *r, const struct sts_service_set *have)
{
	for (unsigned i = 0; i < r->nknown; i++)
		if (sts_service_same(&r->known[i], have))
			return true;
	return false;
}

/* zone_edit_fn: each domain of the zone as this transaction shows it. */
static int zone_fn(struct zone_txn *zt, void *arg, struct diag *d)
{
	struct zone_run *r = arg;
	struct store_txn *t = zone_txn_store(zt);
	const struct zone_info *z = zone_txn_zone(zt);
	uint8_t owner[DNAME_MAX];
	r->rewritten = 0;
	for (size_t i = 0; i < r->n; i++) {
		struct dom *x = &r->d[i];
		x->what = D_GONE;
		int rc = sts_record_get(t, x->name, r->s);
		if (rc == LS_ENOTFOUND)
			continue;
		if (rc)
			return rc;
		if (r->s->state == STS_REMOVED || r->s->zone_id != z->id ||
		    sts_service_owner(owner, x->name) != 0)
			continue;
		rc = sts_service_stored(t, z, owner, r->have);
		if (rc == LS_ETOOBIG)
			r->have->n = 0;       /* more than any service makes: not ours */
		else if (rc)
			return rc;
		if (rc == 0 && sts_service_same(r->have, r->target)) {
			x->what = D_CURRENT;
		} else if (r->force || (rc == 0 && known(r, r->have))) {
			if ((rc = sts_service_write(zt, owner, r->target, r->s->txt_ttl, d)) != 0)
				return rc;
			x->what = D_REWRITTEN;
			r->rewritten++;
		} else {
			x->what = D_KEPT;
		}
	}
	return r->rewritten ? 0 : LS_ENOCHANGE;
}

static void tell(struct zone_run *r, const struct zone_result *zr, struct sts_rederive_result *res,
                 void (*fn)(const struct sts_rederive_info *i, void *ctx), void *ctx)
{
	for (size_t i = 0; i < r->n; i++) {
		struct sts_rederive_info info = { 0 };
		const struct dom *x = &r->d[i];
		res->current += x->what == D_CURRENT;
		if (x->what != D_REWRITTEN && x->what != D_KEPT)
			continue;
		/* An edit that ended in LS_ENOCHANGE rewrote nothing. */
		if (x->what == D_REWRITTEN && zr->zt == NULL)
			continue;
		info.what = x->what == D_REWRITTEN ? STS_REDERIVE_REWRITTEN : STS_REDERIVE_KEPT;
		res->rewritten += info.what == STS_REDERIVE_REWRITTEN;
		res->kept += info.what == STS_REDERIVE_KEPT;
		memcpy(info.domain, x->name, sizeof(info.domain));
		if (zr->zt) {
			info.old_serial = zr->diff.old_serial;
			info.new_serial = zr->diff.new_serial;
		}
		if (fn)
			fn(&info, ctx);
	}
}

/* The first message of d, or the code's text, into err. */
static void why(int rc, const struct diag *d, char *err, size_t cap)
{
	snprintf(err, cap, "%s", d->n ? d->v[0].text : ls_strerror(rc));
}

/* The service in force becomes svc's, in a transaction of its own. */
static int apply(struct store *st, const struct sts_service_set *target)
{
	struct store_txn t;
	int rc = store_begin(st, true, 4096, &t);
	if (rc == 0 && (rc = sts_service_apply(&t, target)) == 0)
		return store_commit(&t);
	store_abort(&t);
	return rc;
}

/* Reads the services applied and the enabled domains; LS_ENOCHANGE when nothing is to do. */
static int survey(struct store *st, const struct sts_service_set *target, bool force,
                  struct sts_service_set *known, unsigned *nknown, struct doms *c)
{
	struct store_txn t;
	int rc = store_begin(st, false, 0, &t);
	if (rc)
		return rc;
	rc = sts_service_applied(&t, known, nknown);
	if (rc == LS_ESTORE) {
		*nknown = 0;            /* a list that does not decode: as if none was recorded */
		rc = 0;
	}
	if (rc == 0 && !force && *nknown && sts_service_same(&known[0], target))
		rc = LS_ENOCHANGE;
	if (rc == 0 && (force || *nknown))
		rc = sts_record_each(&t, collect, c);
	store_abort(&t);
	return rc;
}

int sts_rederive_run(struct store *st, const struct sts_service *svc, bool force,
                     const char *source, void (*fn)(const struct sts_rederive_info *i, void *ctx),
                     void *ctx, struct sts_rederive_result *res, char *err, size_t cap)
{
	struct sts_service_set *target = malloc(sizeof(*target));
	struct sts_service_set *known = malloc(STS_SERVICE_KEEP * sizeof(*known));
	struct sts_service_set *have = malloc(sizeof(*have));
	struct sts_domain *s = malloc(sizeof(*s));
	struct doms c = { NULL, 0, 0 };
	unsigned nknown = 0;
	struct diag d;
	int rc = 0;
	diag_init(&d);
	memset(res, 0, sizeof(*res));
	snprintf(err, cap, "%s", "");
	if (target == NULL || known == NULL || have == NULL || s == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = sts_service_parse(svc, target, err, cap)) != 0 ||
	    (rc = survey(st, target, force, known, &nknown, &c)) != 0)
		goto out;
	if (!force && nknown == 0) {
		/* Nothing says what made the records there: take the configuration as the start. */
		res->adopted = true;
		rc = apply(st, target);
		goto out;
	}
	qsort(c.v, c.n, sizeof(*c.v), by_zone);
	for (size_t i = 0, j; i < c.n && rc == 0; i = j) {
		for (j = i + 1; j < c.n && c.v[j].zone_id == c.v[i].zone_id; j++)
			;
		struct zone_run r = { c.v + i, j - i, target, known, nknown, force, s, have, 0 };
		struct zone_edit e = { NULL, c.v[i].name, ZONE_TXN_MANAGED, EDIT_HINT, source, zone_fn,
		                       &r };
		struct zone_result zr;
		rc = zone_edit_run(st, &e, &d, &zr);
		if (rc == 0)
			res->zones++;
		if (rc == 0 || rc == LS_ENOCHANGE) {
			tell(&r, &zr, res, fn, ctx);
			rc = 0;
		} else if (rc == LS_ENOZONE) {
			rc = 0;             /* the zone went meanwhile, and its domains with it */
		} else {
			why(rc, &d, err, cap);
		}
		zone_result_free(&zr);
	}
	/* Last, so that a run stopped before this point is done again by the next. */
	if (rc == 0)
		rc = apply(st, target);
out:
	diag_free(&d);
	free(c.v);
	free(s);
	free(have);
	free(known);
	free(target);
	return rc;
}
