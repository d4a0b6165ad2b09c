/* Running watch checks: due domains a few at a time, rows stored, diffs sent as alerts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shared/dns/dname.h"
#include "shared/sts/sts_record.h"
#include "shared/util/err.h"
#include "shared/util/log.h"
#include "shared/util/parallel.h"
#include "shared/util/siphash.h"
#include "shared/watch/watch_diff.h"
#include "shared/watch/watch_run.h"

#define ROW_HINT (256u << 10)   /* bytes a run's write may add: a row and the open set */

void watch_hooks(const struct config *cfg, struct alert_hooks *h)
{
	h->webhooks = cfg->alerts_webhook ? cfg->alerts_webhook : "";
	h->command = cfg->alerts_command ? cfg->alerts_command : "";
	h->ca = cfg->alerts_ca ? cfg->alerts_ca : "";
	h->timeout_s = cfg->alerts_timeout;
}

static uint64_t name_hash(const char *domain)
{
	static const uint8_t key[SIPHASH_KEY_LEN] = "lockstep-watch";
	return siphash24(key, domain, strlen(domain));
}

int64_t watch_next_run(const struct watch_entry *e, const struct config *cfg, int64_t now)
{
	uint64_t every = (uint64_t)(e->every ? e->every : cfg->watch_every) * 60;
	return now + (int64_t)every + (int64_t)(name_hash(e->domain) % (every / 10 + 1));
}

int64_t watch_first_run(const char *domain, int64_t now)
{
	return now + (int64_t)(name_hash(domain) % WATCH_FIRST_RUN_S);
}

static enum alert_level level_of(enum check_level l)
{
	return l == CHECK_ERROR ? ALERT_ERROR : l == CHECK_WARN ? ALERT_WARN : ALERT_INFO;
}

void watch_row_from_check(const struct check_result *r, int64_t now, struct watch_row *out)
{
	memset(out, 0, sizeof(*out));
	out->time = now;
	out->txt = r->txt_present;
	out->fetched = r->policy_fetched;
	snprintf(out->id, sizeof(out->id), "%s", r->id);
	if (r->policy_fetched)
		for (int i = 0; i < WATCH_HASH_LEN / 2; i++)
			snprintf(out->hash + 2 * i, 3, "%02x", r->policy_sha256[i]);
	snprintf(out->mode, sizeof(out->mode), "%s", r->policy_fetched ? r->mode : "");
	out->max_age = r->policy_fetched ? r->max_age : -1;
	for (size_t i = 0; i < r->n_mx && out->nmx < WATCH_MX_MAX; i++) {
		struct watch_mx *m = &out->mx[out->nmx++];
		snprintf(m->host, sizeof(m->host), "%s", r->mx[i].host);
		m->cert_not_after = (int64_t)r->mx[i].cert_not_after;
	}
	for (size_t i = 0; i < r->n_problems; i++)
		if (r->problems[i].level != CHECK_OK)
			watch_row_add_code(out, r->problems[i].code, level_of(r->problems[i].level));
	out->sts_cert_not_after = (int64_t)r->sts_cert_not_after;
	snprintf(out->fetch_error, sizeof(out->fetch_error), "%s", r->fetch_error);
}

bool watch_is_own(struct store_txn *t, const char *domain)
{
	uint8_t name[DNAME_MAX];
	static const uint8_t root[1] = { 0 };
	struct sts_domain *d = malloc(sizeof(*d));
	bool own = d && dname_parse(name, domain, root) > 0 && sts_record_get(t, name, d) == 0 &&
	           d->state == STS_ACTIVE;
	free(d);
	return own;
}

static void note_level(struct watch_ctx *ctx, int level)
{
	int cur = atomic_load(&ctx->worst);
	while (level > cur && !atomic_compare_exchange_weak(&ctx->worst, &cur, level))
		;
}

static bool cancelled(const struct watch_ctx *ctx)
{
	return ctx->cancel && atomic_load(ctx->cancel);
}

/* The entry of domain: stored, or the defaults of an own domain (implicit). */
static int entry_for(struct watch_ctx *ctx, const char *domain, struct watch_entry *e, bool *own)
{
	struct store_txn t;
	int rc = store_begin(ctx->st, false, 0, &t);
	if (rc)
		return rc;
	rc = watch_store_get(&t, domain, e);
	*own = watch_is_own(&t, domain);
	store_abort(&t);
	if (rc == LS_ENOTFOUND && *own) {
		memset(e, 0, sizeof(*e));
		snprintf(e->domain, sizeof(e->domain), "%s", domain);
		e->implicit = true;
		rc = 0;
	}
	return rc;
}

/* Stores row, diffs it with the one before, schedules the next run; events to ev. */
static int record(struct watch_ctx *ctx, const char *domain, bool own, struct watch_row *row,
                  struct alert_event *ev, size_t *nev)
{
	struct store_txn t;
	struct watch_row *prev = malloc(sizeof(*prev));
	struct watch_open_set *open = malloc(sizeof(*open));
	struct watch_entry *e = malloc(sizeof(*e));
	int rc = prev && open && e ? 0 : -ENOMEM;
	*nev = 0;
	if (rc || (rc = store_begin(ctx->st, true, ROW_HINT, &t)) != 0)
		goto out;
	/* Deleted while its check ran (watch del): nothing is stored, nothing sent. */
	int got = watch_store_get(&t, domain, e);
	if (got == LS_ENOTFOUND && own) {
		memset(e, 0, sizeof(*e));
		snprintf(e->domain, sizeof(e->domain), "%s", domain);
		e->implicit = true;
		e->added = row->time;
		got = 0;
	}
	if (got != 0 || e->off) {
		store_abort(&t);
		rc = got == LS_ENOTFOUND || got == 0 ? 0 : got;
		goto out;
	}
	int have = watch_store_row_last(&t, domain, prev);
	if (have != 0 && have != LS_ENOTFOUND)
		rc = have;
	if (rc == 0)
		rc = watch_store_open_get(&t, domain, open);
	if (rc == 0) {
		watch_diff(domain, have == 0 ? prev : NULL, row, own, open, ev,
		           WATCH_DIFF_EVENTS_MAX, nev);
		for (size_t i = 0; i < *nev && row->nevents < WATCH_EVENTS_MAX; i++)
			snprintf(row->events[row->nevents++], sizeof(row->events[0]), "%s %s",
			         ev[i].code, alert_state_name(ev[i].state));
		watch_store_row_put(&t, domain, row);
		watch_store_open_put(&t, domain, open);
		e->last = row->time;
		e->next = watch_next_run(e, ctx->cfg, row->time);
		watch_store_put(&t, e);
	}
	if (rc == 0)
		rc = store_commit(&t);
	else
		store_abort(&t);
	if (rc)
		*nev = 0;
out:
	free(prev);
	free(open);
	free(e);
	return rc;
}

static void opts_for(struct watch_ctx *ctx, const struct watch_entry *e, bool own,
                     const char **ct, struct check_opts *o)
{
	memset(o, 0, sizeof(*o));
	const char *res = *e->resolver ? e->resolver : ctx->cfg->watch_resolver;
	o->resolver = res && *res ? res : NULL;
	o->ca_file = *e->ca ? e->ca : NULL;
	for (unsigned i = 0; i < e->nconnect; i++)
		ct[i] = e->connect_to[i];
	o->connect_to = ct;
	o->n_connect_to = e->nconnect;
	o->timeout_ms = (int)(e->timeout ? e->timeout : ctx->cfg->watch_timeout) * 1000;
	o->concurrency = 1;    /* one socket per check: watch.concurrency bounds them all */
	o->own_store = own ? ctx->st : NULL;
	o->cfg = ctx->cfg;
}

int watch_run_domain(struct watch_ctx *ctx, const char *domain, char *err, size_t errlen)
{
	struct watch_entry *e = malloc(sizeof(*e));
	struct check_result *res = calloc(1, sizeof(*res));
	struct watch_row *row = malloc(sizeof(*row));
	struct alert_event *ev = malloc(WATCH_DIFF_EVENTS_MAX * sizeof(*ev));
	const char *ct[WATCH_CONNECT_MAX];
	struct check_opts o;
	struct alert_hooks h;
	size_t nev = 0;
	bool own;
	int rc = e && res && row && ev ? 0 : -ENOMEM;
	if (rc || (rc = entry_for(ctx, domain, e, &own)) != 0) {
		if (rc == LS_ENOTFOUND)
			snprintf(err, errlen, "%s is not watched (zonectl watch add %s)", domain, domain);
		else
			snprintf(err, errlen, "%s", ls_strerror(rc));
		goto out;
	}
	opts_for(ctx, e, own, ct, &o);
	int64_t now = (int64_t)time(NULL);
	if ((rc = ctx->check(domain, &o, res, err, errlen)) != 0)
		goto out;
	if (cancelled(ctx)) {
		rc = -ECANCELED;
		snprintf(err, errlen, "stopped");
		goto out;
	}
	watch_row_from_check(res, now, row);
	if ((rc = record(ctx, domain, own, row, ev, &nev)) != 0) {
		snprintf(err, errlen, "storing the result: %s", ls_strerror(rc));
		goto out;
	}
	note_level(ctx, (int)res->status);
	watch_hooks(ctx->cfg, &h);
	for (size_t i = 0; i < nev; i++)
		alert_send(&h, &ev[i]);
out:
	if (res && ctx->check_free)
		ctx->check_free(res);
	free(res);
	free(e);
	free(row);
	free(ev);
	atomic_fetch_add(rc ? &ctx->failed : &ctx->ran, 1);
	return rc;
}

struct names {
	char (*v)[WATCH_HOST_MAX];
	size_t n, cap;
	int64_t now;
	bool own;
};

static int push(struct names *s, const char *name)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		void *v = realloc(s->v, cap * sizeof(*s->v));
		if (v == NULL)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	snprintf(s->v[s->n++], WATCH_HOST_MAX, "%s", name);
	return 0;
}

static bool has(const struct names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return true;
	return false;
}

static int own_fn(const struct sts_domain *d, void *ctx)
{
	char text[DNAME_STR_MAX], name[WATCH_HOST_MAX];
	if (d->state != STS_ACTIVE)
		return 0;
	dname_format(text, d->domain);
	return watch_store_name(text, name) == 0 ? push(ctx, name) : 0;
}

struct sync {
	struct names *own;
	struct names gone;
	struct names *have;
};

static int entry_fn(const struct watch_entry *e, void *arg)
{
	struct sync *s = arg;
	if (e->implicit && !has(s->own, e->domain) && push(&s->gone, e->domain))
		return -ENOMEM;
	return push(s->have, e->domain);
}

/* Implicit entries follow the enabled domains (when watch.own is on). */
static int sync_own(struct watch_ctx *ctx, int64_t now)
{
	struct names own = { 0 }, have = { 0 };
	struct sync s = { &own, { 0 }, &have };
	struct store_txn t;
	int rc = store_begin(ctx->st, true, ROW_HINT, &t);
	if (rc)
		return rc;
	if (ctx->cfg->watch_own)
		rc = sts_record_each(&t, own_fn, &own);
	if (rc == 0)
		rc = watch_store_each(&t, entry_fn, &s);
	bool changed = s.gone.n > 0;
	for (size_t i = 0; rc == 0 && i < s.gone.n; i++)
		watch_store_del(&t, s.gone.v[i]);
	for (size_t i = 0; rc == 0 && i < own.n; i++) {
		if (has(&have, own.v[i]))
			continue;
		struct watch_entry e;
		memset(&e, 0, sizeof(e));
		snprintf(e.domain, sizeof(e.domain), "%s", own.v[i]);
		e.implicit = true;
		e.added = now;
		e.next = watch_first_run(e.domain, now);
		watch_store_put(&t, &e);
		changed = true;
	}
	if (rc == 0 && changed)
		rc = store_commit(&t);
	else
		store_abort(&t);
	free(own.v);
	free(have.v);
	free(s.gone.v);
	return rc;
}

static int due_fn(const struct watch_entry *e, void *arg)
{
	struct names *s = arg;
	if (e->off || e->next > s->now || s->n >= WATCH_DUE_MAX)
		return 0;
	return push(s, e->domain);
}

struct due_run {
	struct watch_ctx *ctx;
	struct names *due;
};

static int run_one(size_t i, void *arg)
{
	struct due_run *d = arg;
	char err[512];
	if (cancelled(d->ctx))
		return -ECANCELED;
	if (watch_run_domain(d->ctx, d->due->v[i], err, sizeof(err)) != 0 && !cancelled(d->ctx))
		log_warning("watch: %s: check failed: %s", d->due->v[i], err);
	return 0;
}

int watch_run_due(struct watch_ctx *ctx, int64_t now)
{
	struct names due = { .now = now };
	struct store_txn t;
	int rc = sync_own(ctx, now);
	if (rc == 0 && (rc = store_begin(ctx->st, false, 0, &t)) == 0) {
		rc = watch_store_each(&t, due_fn, &due);
		store_abort(&t);
	}
	if (rc == 0 && due.n) {
		store_reserve(ctx->st, due.n * ROW_HINT);
		struct due_run d = { ctx, &due };
		rc = parallel_run(due.n, ctx->cfg->watch_concurrency, run_one, &d);
		if (rc == -ECANCELED)
			rc = 0;
	}
	free(due.v);
	return rc;
}

struct queued {
	uint64_t seq[WATCH_OUTBOX_BATCH];
	struct alert_event *ev;
	size_t n;
};

static int queued_fn(uint64_t seq, const struct alert_event *e, void *arg)
{
	struct queued *q = arg;
	if (q->n == WATCH_OUTBOX_BATCH)
		return 1;
	q->seq[q->n] = seq;
	q->ev[q->n++] = *e;
	return 0;
}

/* Claims a batch (deleted in the same transaction it is read in), then sends it: two
 * processes delivering at once never send one event twice. */
int watch_outbox_deliver(struct watch_ctx *ctx, size_t *n)
{
	struct queued *q = calloc(1, sizeof(*q));
	struct store_txn t;
	struct alert_hooks h;
	*n = 0;
	if (q == NULL || (q->ev = malloc(WATCH_OUTBOX_BATCH * sizeof(*q->ev))) == NULL) {
		free(q);
		return -ENOMEM;
	}
	int rc = store_begin(ctx->st, false, 0, &t);
	if (rc == 0) {
		rc = watch_store_outbox_each(&t, queued_fn, q);   /* cheap look first: mostly empty */
		rc = rc == 1 ? 0 : rc;
		store_abort(&t);
	}
	if (rc == 0 && q->n && (rc = store_begin(ctx->st, true, 0, &t)) == 0) {
		q->n = 0;
		rc = watch_store_outbox_each(&t, queued_fn, q);
		rc = rc == 1 ? 0 : rc;
		for (size_t i = 0; rc == 0 && i < q->n; i++)
			watch_store_outbox_del(&t, q->seq[i]);
		rc = rc == 0 ? store_commit(&t) : (store_abort(&t), rc);
		if (rc == 0) {
			watch_hooks(ctx->cfg, &h);
			for (size_t i = 0; i < q->n; i++)
				alert_send(&h, &q->ev[i]);
			*n = q->n;
		}
	}
	free(q->ev);
	free(q);
	return rc;
}

int watch_prune(struct watch_ctx *ctx, int64_t now, size_t *n)
{
	int64_t before = now - (int64_t)ctx->cfg->watch_keep_days * 86400;
	size_t k = WATCH_PRUNE_MAX;
	int rc = 0;
	*n = 0;
	while (rc == 0 && k == WATCH_PRUNE_MAX) {
		struct store_txn t;
		if ((rc = store_begin(ctx->st, true, 0, &t)) != 0)
			break;
		if ((rc = watch_store_prune(&t, before, WATCH_PRUNE_MAX, &k)) == 0)
			rc = store_commit(&t);
		else
			store_abort(&t);
		*n += rc == 0 ? k : 0;
	}
	return rc;
}
