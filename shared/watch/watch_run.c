/* Running watch checks: due domains a few at a time, rows stored, diffs sent as alerts. */
#include <errno.h>
#include <pthread.h>
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

#define ROW_HINT (64u << 10)   /* bytes a run's write may add: row, open set, entry (~35 KiB at most) */

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

/* One domain's check, done, waiting for its write. */
struct done {
	char domain[WATCH_HOST_MAX];
	bool own;
	int status;                 /* the check's level */
	struct watch_row row;
};

/*
 * In t: diffs d's row with the one before, stores it and the open problems, schedules the
 * next run; events to ev (*nev). A domain deleted while its check ran (watch del) gets
 * nothing stored and no events.
 */
static int record_in(struct watch_ctx *ctx, struct store_txn *t, struct done *d,
                     struct alert_event *ev, size_t *nev)
{
	struct watch_row *prev = malloc(sizeof(*prev));
	struct watch_open_set *open = malloc(sizeof(*open));
	struct watch_entry *e = malloc(sizeof(*e));
	int rc = prev && open && e ? 0 : -ENOMEM;
	*nev = 0;
	if (rc)
		goto out;
	int got = watch_store_get(t, d->domain, e);
	if (got == LS_ENOTFOUND && d->own) {
		memset(e, 0, sizeof(*e));
		snprintf(e->domain, sizeof(e->domain), "%s", d->domain);
		e->implicit = true;
		e->added = d->row.time;
		got = 0;
	}
	if (got != 0 || e->off) {
		rc = got == LS_ENOTFOUND || got == 0 ? 0 : got;
		goto out;
	}
	int have = watch_store_row_last(t, d->domain, prev);
	if (have != 0 && have != LS_ENOTFOUND)
		rc = have;
	if (rc == 0)
		rc = watch_store_open_get(t, d->domain, open);
	if (rc)
		goto out;
	watch_diff(d->domain, have == 0 ? prev : NULL, &d->row, d->own, open, ev,
	           WATCH_DIFF_EVENTS_MAX, nev);
	for (size_t i = 0; i < *nev && d->row.nevents < WATCH_EVENTS_MAX; i++)
		snprintf(d->row.events[d->row.nevents++], sizeof(d->row.events[0]), "%s %s",
		         ev[i].code, alert_state_name(ev[i].state));
	watch_store_row_put(t, d->domain, &d->row);
	watch_store_open_put(t, d->domain, open);
	e->last = d->row.time;
	e->next = watch_next_run(e, ctx->cfg, d->row.time);
	watch_store_put(t, e);
out:
	free(prev);
	free(open);
	free(e);
	return rc;
}

/*
 * Writes n checked domains in one transaction (one disk sync for the lot: LMDB has one
 * writer, so a commit per domain would make the writes the bottleneck), then sends their
 * events. Counts each domain as ran or failed.
 */
static int record_batch(struct watch_ctx *ctx, struct done *const *v, size_t n)
{
	struct alert_event *ev = malloc(WATCH_DIFF_EVENTS_MAX * sizeof(*ev)), *all = NULL;
	size_t nall = 0, nev;
	struct store_txn t;
	int rc = ev ? 0 : -ENOMEM;
	if (rc == 0 && cancelled(ctx))
		rc = -ECANCELED;
	if (rc == 0 && (rc = store_begin(ctx->st, true, n * ROW_HINT, &t)) == 0) {
		for (size_t i = 0; rc == 0 && i < n; i++) {
			if ((rc = record_in(ctx, &t, v[i], ev, &nev)) != 0 || nev == 0)
				continue;
			struct alert_event *grown = realloc(all, (nall + nev) * sizeof(*all));
			if (grown == NULL) {
				rc = -ENOMEM;
				break;
			}
			all = grown;
			memcpy(all + nall, ev, nev * sizeof(*ev));
			nall += nev;
		}
		if (rc == 0)
			rc = store_commit(&t);
		else
			store_abort(&t);
	}
	if (rc == 0) {
		struct alert_hooks h;
		watch_hooks(ctx->cfg, &h);
		for (size_t i = 0; i < n; i++)
			note_level(ctx, v[i]->status);
		for (size_t i = 0; i < nall; i++)
			alert_send(&h, &all[i]);
	}
	atomic_fetch_add(rc ? &ctx->failed : &ctx->ran, (unsigned)n);
	free(all);
	free(ev);
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
	o->cancel = ctx->cancel;   /* dnsd's stop ends a check waiting on DNS */
}

/* Checks domain into d (its row, its level); nothing written yet. */
static int check_one(struct watch_ctx *ctx, const char *domain, struct done *d, char *err,
                     size_t errlen)
{
	struct watch_entry *e = malloc(sizeof(*e));
	struct check_result *res = calloc(1, sizeof(*res));
	const char *ct[WATCH_CONNECT_MAX];
	struct check_opts o;
	int rc = e && res ? 0 : -ENOMEM;
	if (rc || (rc = entry_for(ctx, domain, e, &d->own)) != 0) {
		if (rc == LS_ENOTFOUND)
			snprintf(err, errlen, "%s is not watched (zonectl watch add %s)", domain, domain);
		else
			snprintf(err, errlen, "%s", ls_strerror(rc));
		goto out;
	}
	snprintf(d->domain, sizeof(d->domain), "%s", domain);
	opts_for(ctx, e, d->own, ct, &o);
	int64_t now = (int64_t)time(NULL);
	if ((rc = ctx->check(domain, &o, res, err, errlen)) != 0)
		goto out;
	if (cancelled(ctx)) {
		rc = -ECANCELED;
		snprintf(err, errlen, "stopped");
		goto out;
	}
	watch_row_from_check(res, now, &d->row);
	d->status = (int)res->status;
out:
	if (res && ctx->check_free)
		ctx->check_free(res);
	free(res);
	free(e);
	return rc;
}

int watch_run_domain(struct watch_ctx *ctx, const char *domain, char *err, size_t errlen)
{
	struct done *d = calloc(1, sizeof(*d));
	int rc = d ? check_one(ctx, domain, d, err, errlen) : -ENOMEM;
	if (rc) {
		atomic_fetch_add(&ctx->failed, 1);
	} else if ((rc = record_batch(ctx, &d, 1)) != 0) {
		snprintf(err, errlen, "storing the result: %s", ls_strerror(rc));
	}
	free(d);
	return rc;
}

/* A growing list of domain names (due ones: those whose next run is at or before now). */
struct names {
	char (*v)[WATCH_HOST_MAX];
	size_t n, cap;
	int64_t now;
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

#define WATCH_BATCH 32    /* checked domains written per transaction */

struct due_run {
	struct watch_ctx *ctx;
	struct names *due;
	pthread_mutex_t lock;
	struct done *pending[WATCH_BATCH];
	size_t npending;
};

static void free_all(struct done *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
}

static int run_one(size_t i, void *arg)
{
	struct due_run *r = arg;
	struct done *full[WATCH_BATCH], *d;
	char err[512];
	size_t nfull = 0;
	if (cancelled(r->ctx))
		return -ECANCELED;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return -ENOMEM;
	if (check_one(r->ctx, r->due->v[i], d, err, sizeof(err)) != 0) {
		if (!cancelled(r->ctx))
			log_warning("watch: %s: check failed: %s", r->due->v[i], err);
		atomic_fetch_add(&r->ctx->failed, 1);
		free(d);
		return 0;
	}
	pthread_mutex_lock(&r->lock);
	r->pending[r->npending++] = d;
	if (r->npending == WATCH_BATCH) {
		memcpy(full, r->pending, sizeof(full));
		nfull = WATCH_BATCH;
		r->npending = 0;
	}
	pthread_mutex_unlock(&r->lock);
	if (nfull) {
		int rc = record_batch(r->ctx, full, nfull);
		if (rc && rc != -ECANCELED)
			log_warning("watch: storing %zu results failed: %s", nfull, ls_strerror(rc));
		free_all(full, nfull);
	}
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
		/* Room for every write up front: the map cannot grow while the checks run. */
		store_reserve(ctx->st, (due.n > WATCH_BATCH ? due.n : WATCH_BATCH) * ROW_HINT);
		struct due_run *d = calloc(1, sizeof(*d));
		if (d == NULL) {
			free(due.v);
			return -ENOMEM;
		}
		d->ctx = ctx;
		d->due = &due;
		pthread_mutex_init(&d->lock, NULL);
		rc = parallel_run(due.n, ctx->cfg->watch_concurrency, run_one, d);
		if (d->npending && !cancelled(ctx)) {    /* the last, partial batch */
			int wrc = record_batch(ctx, d->pending, d->npending);
			if (wrc)
				log_warning("watch: storing %zu results failed: %s", d->npending,
				            ls_strerror(wrc));
		}
		free_all(d->pending, d->npending);
		pthread_mutex_destroy(&d->lock);
		free(d);
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
