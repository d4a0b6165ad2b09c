/* The publish step: verify what httpsd serves, then write the id. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "shared/util/clock.h"
#include "shared/tls/cert.h"
#include "shared/util/err.h"
#include "shared/util/parallel.h"
#include "shared/sts/sts_derive.h"
#include "shared/sts/sts_id.h"
#include "shared/sts/sts_ops.h"
#include "shared/sts/sts_publish.h"
#include "shared/util/fnv.h"
#include "shared/util/timing.h"

#define ATTEMPTS 4          /* starts over when a newer policy arrives during a fetch */
#define EDIT_HINT (64u << 10)

/* The fetch context keeps its TLS sessions in STATE/sts-sessions.d; the one file of earlier
 * versions (STATE/sts-sessions) is removed unread: losing it costs a handshake per name. */
static void sessions_use(struct sts_fetch *f, struct store *st)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", store_dir(st), STS_PUBLISH_SESSIONS_OLD);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s", store_dir(st), STS_PUBLISH_SESSIONS);
	sts_fetch_sessions_use(f, path);   /* out of memory: kept for this run only */
}

/* After a run: new sessions go to their files, for the next process to resume. */
static void sessions_save(struct sts_publisher *p)
{
	if (p->fetch && sts_fetch_sessions_changed(p->fetch)) {
		sts_fetch_sessions_save(p->fetch);   /* a cache: a failure costs handshakes only */
		timing_mark("sessions_saved");
	}
}

int sts_publish_init(struct sts_publisher *p, const struct config *cfg, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->rotate_interval = cfg->sts_rotate_interval;
	p->fetch_timeout = cfg->sts_fetch_timeout;
	p->retry_max = cfg->sts_retry_max;
	p->fetch_concurrency = cfg->sts_fetch_concurrency ? cfg->sts_fetch_concurrency : 1;
	const char *s = cfg->sts_endpoints ? cfg->sts_endpoints : "";
	while (*s) {
		size_t n = strcspn(s, " \t");
		if (n == 0) {
			s++;
			continue;
		}
		if (p->nendpoints == STS_ENDPOINTS_MAX || n >= sizeof(p->endpoints[0])) {
			snprintf(err, errlen, "mta-sts.endpoints: at most %d endpoints of up to %zu bytes",
			         STS_ENDPOINTS_MAX, sizeof(p->endpoints[0]) - 1);
			return LS_ECONFIG;
		}
		memcpy(p->endpoints[p->nendpoints], s, n);
		p->endpoints[p->nendpoints++][n] = 0;
		s += n;
	}
	if (p->nendpoints == 0) {
		snprintf(err, errlen, "mta-sts.endpoints is empty: no httpsd to verify a policy on");
		return LS_ECONFIG;
	}
	p->trust_store = strdup(cfg->sts_trust_store ? cfg->sts_trust_store : "");
	return p->trust_store ? 0 : -ENOMEM;
}

void sts_publish_free(struct sts_publisher *p)
{
	sts_fetch_close(p->fetch);
	free(p->trust_store);
	memset(p, 0, sizeof(*p));
}

static bool grace_due(const struct sts_domain *d, int64_t now)
{
	for (unsigned i = 0; i < d->ngrace; i++)
		if (d->grace[i].until && d->grace[i].until <= now)
			return true;
	return false;
}

static bool removal_due(const struct sts_domain *d, int64_t now)
{
	return d->state == STS_REMOVING && d->published == d->version && d->removing_since &&
	       now >= d->removing_since + (int64_t)d->max_age_served;
}

int64_t sts_publish_rotation_time(const uint8_t *domain, int64_t published_time,
                                  uint32_t interval)
{
	/* FNV-1a of the wire name: stable across processes and versions, unlike a keyed hash. */
	uint64_t h = fnv1a(domain, (size_t)dname_wire_len(domain, DNAME_MAX));
	if (interval == 0)
		return published_time;
	int64_t iv = interval, phase = (int64_t)(h % interval);
	int64_t earliest = published_time + (iv + 1) / 2;
	/* The first moment at or after earliest whose remainder modulo the interval is phase. */
	int64_t r = ((phase - earliest) % iv + iv) % iv;
	return earliest + r;
}

/* True when d has work due at now (a publish, a rotation, a grace end, a removal). */
static bool is_due(const struct sts_publisher *p, const struct sts_domain *d, int64_t now,
                   bool force)
{
	if (d->state == STS_REMOVED)
		return false;
	if (d->version != d->published)
		return force || d->next_try <= now;
	return grace_due(d, now) || removal_due(d, now) ||
	       (d->published && now >= sts_publish_rotation_time(d->domain, d->published_time,
	                                                          p->rotate_interval));
}

/* A plain write transaction on the domain's record (no zone change). */
static int update(struct store *st, const uint8_t *domain, uint64_t version,
                  void (*fn)(struct sts_domain *d, void *ctx), void *ctx, bool *stale)
{
	struct store_txn t;
	struct sts_domain *d = malloc(sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	int rc = store_begin(st, true, 4096, &t);
	if (rc == 0)
		rc = sts_record_get(&t, domain, d);
	*stale = rc == 0 && d->version != version;
	if (rc == 0 && !*stale) {
		fn(d, ctx);
		sts_record_put(&t, d);
		rc = store_commit(&t);
	} else {
		store_abort(&t);
	}
	free(d);
	return rc;
}

/* One run of the step for a domain: what it read, fetched and found. */
struct fetched {
	const struct sts_publisher *p;
	const uint8_t *domain;
	struct sts_fetch_status st[STS_ENDPOINTS_MAX];
	const char *reason;        /* the first endpoint's failure, NULL when all serve it */
	char why[STS_TEXT_MAX];    /* a reason of our own, when reason points here */
	int64_t now;
	struct sts_domain d;       /* the record as last read */
	uint64_t version;          /* of the body in want */
	size_t want_len;
	uint8_t want[STS_BODY_MAX];
	uint8_t got[STS_FETCH_BODY_MAX];
};

static void record_wait(struct sts_domain *d, void *arg)
{
	struct fetched *f = arg;
	uint32_t wait = d->tries < 20 ? 1u << d->tries : f->p->retry_max;
	d->tries++;
	d->next_try = f->now + (wait < f->p->retry_max ? wait : f->p->retry_max);
	snprintf(d->reason, sizeof(d->reason), "%s", f->reason);
	memcpy(d->fetch, f->st, sizeof(d->fetch));
	d->nfetch = f->p->nendpoints;
}

/* Grace ended for some MX names: the policy without them becomes the next version. */
static int end_grace(struct store *st, const struct sts_domain *seen, int64_t now)
{
	struct store_txn t;
	struct zone_info z;
	struct rdata *mx = NULL;
	uint32_t n, ttl;
	struct sts_domain *d = malloc(sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	int rc = store_begin(st, true, 4096, &t);
	if (rc == 0)
		rc = sts_record_get(&t, seen->domain, d);
	if (rc == 0)
		rc = zone_enclosing(&t, d->domain, &z);
	if (rc == 0)
		rc = sts_derive_load_mx(&t, &z, d->domain, &mx, &n, &ttl);
	if (rc == 0) {
		unsigned kept = 0;
		for (unsigned i = 0; i < d->ngrace; i++)
			if (!(d->grace[i].until && d->grace[i].until <= now))
				d->grace[kept++] = d->grace[i];
		d->ngrace = kept;
		rc = sts_derive_body(&t, d, mx, n, now);
	}
	rc = rc ? rc : store_commit(&t);
	store_abort(&t);
	free(mx);
	free(d);
	return rc;
}

/* zone_edit_fn of the removal's end: records and body go, the record stays as REMOVED. */
static int removal_fn(struct zone_txn *zt, void *arg, struct diag *diag)
{
	const struct sts_domain *seen = arg;
	struct sts_domain *d = malloc(sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	int rc = sts_record_get(zone_txn_store(zt), seen->domain, d);
	if (rc == 0 && d->version == seen->version && d->state == STS_REMOVING) {
		sts_ops_remove_records(zt, d);
		sts_record_body_del(zone_txn_store(zt), d->domain);
		d->state = STS_REMOVED;
		d->ngrace = 0;
		sts_record_put(zone_txn_store(zt), d);
	} else if (rc == 0) {
		rc = LS_ECONFLICT;    /* changed since it was seen: nothing to finish now */
	}
	free(d);
	return rc;
}

/* The removal of RFC 8461 8.3 ends: every policy ever served has expired. */
static int finish_removal(struct store *st, const struct sts_domain *seen,
                          struct sts_outcome_info *out)
{
	struct zone_result res;
	struct zone_edit e = { NULL, seen->domain, ZONE_TXN_MANAGED, EDIT_HINT, "mta-sts removal",
	                       removal_fn, (void *)seen };
	int rc = zone_edit_run(st, &e, NULL, &res);
	if (rc == 0 || rc == LS_ENOCHANGE) {
		out->outcome = STS_FINISHED;
		out->old_serial = res.diff.old_serial;
		out->new_serial = res.diff.new_serial;
		rc = 0;
	} else if (rc == LS_ECONFLICT) {
		rc = 0;
	}
	zone_result_free(&res);
	return rc;
}

/* What the second transaction needs: the version verified and the record as it was read. */
struct publish_ctx {
	const struct sts_publisher *p;
	const uint8_t *domain;
	uint64_t version;
	uint64_t seen_published;
	char seen_id[STS_ID_MAX + 1];
	struct sts_fetch_status st[STS_ENDPOINTS_MAX];
	int64_t now;
	char id[STS_ID_MAX + 1];     /* out: the new id */
	bool rotation;               /* out */
};

static void publish_ctx_fill(struct publish_ctx *c, const struct sts_publisher *p,
                             const struct fetched *f)
{
	c->p = p;
	c->domain = f->domain;
	c->version = f->version;
	c->seen_published = f->d.published;
	memcpy(c->seen_id, f->d.id, sizeof(c->seen_id));
	memcpy(c->st, f->st, sizeof(c->st));
	c->now = f->now;
	c->id[0] = 0;
	c->rotation = false;
}

/* zone_edit_fn of the second transaction: the id, if version is still the newest. */
static int write_id_fn(struct zone_txn *zt, void *arg, struct diag *diag)
{
	struct publish_ctx *c = arg;
	const uint8_t *domain = c->domain;
	struct sts_domain *d = malloc(sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	int rc = sts_record_get(zone_txn_store(zt), domain, d);
	if (rc)
		goto out;
	/*
	 * Re-checked under the writer lock: a newer policy may have arrived during the fetch,
	 * or another publisher (dnsd's timer, a zonectl) published or rotated meanwhile; then
	 * start over, which finds nothing to do, instead of rotating its fresh id again.
	 */
	if (d->version != c->version || d->state == STS_REMOVED ||
	    d->published != c->seen_published || strcmp(d->id, c->seen_id) != 0) {
		rc = LS_ECONFLICT;
		goto out;
	}
	c->rotation = d->published == d->version;
	if ((rc = sts_id_next(d->id, c->now, c->id)) != 0 || (rc = sts_ops_write_id(zt, d, c->id)))
		goto out;
	memcpy(d->id, c->id, sizeof(c->id));
	d->published = d->version;
	d->published_time = c->now;
	if (d->max_age > d->max_age_served)
		d->max_age_served = d->max_age;
	if (d->state == STS_REMOVING && d->removing_since == 0)
		d->removing_since = c->now;
	d->tries = 0;
	d->next_try = 0;
	d->reason[0] = 0;
	memcpy(d->fetch, c->st, sizeof(d->fetch));
	d->nfetch = c->p->nendpoints;
	sts_record_put(zone_txn_store(zt), d);
out:
	free(d);
	return rc;
}

/* Every endpoint serves version v: the second transaction writes its id. *stale when a
 * newer version arrived meanwhile (start over). */
static int write_id(struct store *st, struct publish_ctx *c, struct sts_outcome_info *out,
                    bool *stale)
{
	struct zone_result res;
	struct zone_edit e = { NULL, c->domain, ZONE_TXN_MANAGED, EDIT_HINT, "mta-sts publish",
	                       write_id_fn, c };
	int rc = zone_edit_run(st, &e, NULL, &res);
	*stale = rc == LS_ECONFLICT;
	if (rc == 0) {
		out->outcome = STS_PUBLISHED;
		out->rotation = c->rotation;
		out->old_serial = res.diff.old_serial;
		out->new_serial = res.diff.new_serial;
		memcpy(out->id, c->id, sizeof(c->id));
	}
	zone_result_free(&res);
	return *stale ? 0 : rc;
}

/* The domain's record and served body, in a read transaction closed before any fetch. */
static int read_state(struct store *st, struct fetched *f)
{
	struct store_txn t;
	const uint8_t *body;
	int rc = store_begin(st, false, 0, &t);
	if (rc)
		return rc;
	rc = sts_record_get(&t, f->domain, &f->d);
	if (rc == 0 && f->d.state != STS_REMOVED)
		rc = sts_record_body(&t, f->domain, &body, &f->want_len, &f->version);
	if (rc == 0 && f->d.state != STS_REMOVED)
		memcpy(f->want, body, f->want_len);
	store_abort(&t);
	return rc;
}

/*
 * A failed fetch, and this machine's httpsd has no usable certificate for host: that is the
 * reason to show (the endpoint's own error, a TLS alert, says less).
 */
static void explain_certificate(struct store *st, const char *host, struct fetched *f)
{
	struct cert_info info;
	const char *dir = store_dir(st);
	if (cert_info_get(dir, host, &info) != 0 || info.error == 0)
		return;
	if (snprintf(f->why, sizeof(f->why), "no certificate for %s in %s/%s (%s)", host, dir,
	             CERT_DIR, info.error_text) >= (int)sizeof(f->why))
		snprintf(f->why, sizeof(f->why), "no certificate for %s in STATE/%s", host, CERT_DIR);
	f->reason = f->why;
}

/* Opening the shared fetch context, the first time any thread needs it. */
static pthread_mutex_t fetch_lock = PTHREAD_MUTEX_INITIALIZER;

/* Fetches the policy from every endpoint as a sender does; f->reason says why one failed. */
static void verify(struct sts_publisher *p, struct store *st, struct fetched *f)
{
	char host[DNAME_STR_MAX + 8], name[DNAME_STR_MAX], err[STS_TEXT_MAX];
	size_t got_len;
	pthread_mutex_lock(&fetch_lock);
	/* Lazy: a run that only resumes kept sessions never reads the trust store. */
	if (!p->fetch_tried && sts_fetch_open_lazy(&p->fetch, p->trust_store, p->fetch_err,
	                                           sizeof(p->fetch_err)) != 0)
		p->fetch = NULL;
	if (!p->fetch_tried && p->fetch)
		sessions_use(p->fetch, st);
	p->fetch_tried = true;
	snprintf(err, sizeof(err), "%s", p->fetch_err);
	pthread_mutex_unlock(&fetch_lock);
	snprintf(host, sizeof(host), "mta-sts.%s", dname_format(name, f->domain));
	host[strlen(host) - 1] = 0;   /* no trailing dot in SNI */
	f->reason = NULL;
	for (unsigned i = 0; i < p->nendpoints; i++) {
		struct sts_fetch_status *s = &f->st[i];
		snprintf(s->endpoint, sizeof(s->endpoint), "%s", p->endpoints[i]);
		s->time = f->now;
		s->ok = false;
		if (p->fetch == NULL) {
			snprintf(s->error, sizeof(s->error), "%s", err);
		} else if (sts_fetch_get(p->fetch, p->endpoints[i], host, (int)p->fetch_timeout * 1000,
		                         f->got, sizeof(f->got), &got_len, s->error,
		                         sizeof(s->error)) == 0) {
			s->ok = got_len == f->want_len && memcmp(f->got, f->want, f->want_len) == 0;
			if (!s->ok)
				snprintf(s->error, sizeof(s->error), "%s: serves another policy than "
				         "version %llu", p->endpoints[i], (unsigned long long)f->version);
			else
				s->error[0] = 0;
		}
		if (!s->ok && f->reason == NULL)
			f->reason = s->error;
	}
	if (f->reason)
		explain_certificate(st, host, f);
}

/*
 * One pass of the step over the state f read: 0 with out filled, *again when it must start
 * over (a newer policy arrived, or the grace end made one), or an error of the store.
 */
static int step(struct sts_publisher *p, struct store *st, struct fetched *f, bool force,
                struct sts_outcome_info *out, bool *again, struct publish_ctx *defer)
{
	struct sts_domain *d = &f->d;
	bool stale;
	int rc;
	*again = false;
	out->version = d->version;
	out->version_time = d->version_time;
	if (!is_due(p, d, f->now, force)) {
		out->outcome = d->version != d->published ? STS_DEFERRED : STS_NOTHING;
		snprintf(out->reason, sizeof(out->reason), "%s", d->reason);
		return 0;
	}
	if (d->version == d->published && grace_due(d, f->now)) {
		if ((rc = end_grace(st, d, f->now)) != 0)
			return rc;
		out->outcome = STS_RECOMPUTED;
		*again = true;     /* and publish the new version at once */
		return 0;
	}
	if (removal_due(d, f->now))
		return finish_removal(st, d, out);
	if (f->version != d->version)
		return LS_ESTORE;   /* the body and the record disagree: a bug, not a wait */
	/* Fetch as a sender: no transaction is open while the network is slow. */
	verify(p, st, f);
	if (f->reason) {
		rc = update(st, f->domain, f->version, record_wait, f, &stale);
		if (rc == 0 && stale) {
			*again = true;
			return 0;
		}
		out->outcome = STS_WAITING;
		snprintf(out->reason, sizeof(out->reason), "%s", f->reason);
		return rc;
	}
	if (defer) {            /* the caller writes it, with others in one transaction */
		publish_ctx_fill(defer, p, f);
		return 0;
	}
	struct publish_ctx c;
	publish_ctx_fill(&c, p, f);
	rc = write_id(st, &c, out, &stale);
	*again = rc == 0 && stale;
	return rc;
}

/*
 * The step for one domain, attempts included. With defer, a publish that verified is not
 * written: defer holds what write_id_fn() needs (defer->p set), out says STS_NOTHING.
 */
static int publish_one(struct sts_publisher *p, struct store *st, const uint8_t *domain,
                       int64_t now, bool force, struct sts_outcome_info *out,
                       struct publish_ctx *defer)
{
	struct fetched *f = calloc(1, sizeof(*f));
	bool again = true;
	int rc = -ENOMEM;
	memset(out, 0, sizeof(*out));
	memcpy(out->domain, domain, (size_t)dname_wire_len(domain, DNAME_MAX));
	if (f == NULL)
		return rc;
	f->p = p;
	f->domain = domain;
	f->now = now;
	rc = 0;
	for (int attempt = 0; rc == 0 && again && attempt < ATTEMPTS; attempt++) {
		rc = read_state(st, f);
		if (rc == LS_ENOTFOUND) {
			rc = 0;       /* not enabled: nothing to do */
			break;
		}
		if (rc == 0)
			rc = step(p, st, f, force, out, &again, defer);
	}
	free(f);
	return rc;
}

int sts_publish_domain(struct sts_publisher *p, struct store *st, const uint8_t *domain,
                       int64_t now, bool force, struct sts_outcome_info *out)
{
	int rc = publish_one(p, st, domain, now, force, out, NULL);
	sessions_save(p);
	return rc;
}

struct due {
	const struct sts_publisher *p;
	uint32_t zone_id;
	int64_t now;
	bool force;
	uint8_t (*names)[DNAME_MAX];
	size_t n, cap;
	size_t urgent;       /* due for more than a rotation: a new policy, a grace end, a removal */
};

static int collect(const struct sts_domain *d, void *arg)
{
	struct due *u = arg;
	if ((u->zone_id && d->zone_id != u->zone_id) || !is_due(u->p, d, u->now, u->force))
		return 0;
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 16;
		void *v = realloc(u->names, cap * DNAME_MAX);
		if (v == NULL)
			return -ENOMEM;
		u->names = v;
		u->cap = cap;
	}
	memcpy(u->names[u->n++], d->domain, DNAME_MAX);
	u->urgent += d->version != d->published || grace_due(d, u->now) || removal_due(d, u->now);
	return 0;
}


/* One due domain of a batch: its outcome, or the publish it verified, for the batch to write. */
struct slot {
	const uint8_t *domain;
	int rc;
	bool stale;                   /* its edit found a newer version: run again alone */
	struct sts_outcome_info out;
	struct publish_ctx c;         /* c.p set: verified, to write */
	struct { int rc; bool stale; uint32_t old_serial, new_serial; } w;
};

struct batch {
	struct sts_publisher *p;
	struct store *st;
	int64_t now;
	bool force;
	struct slot *slots;
	size_t *verified;             /* indices into slots of the publishes to write */
	size_t nverified;
	unsigned lanes;               /* fetches at once */
	int64_t paced_until;          /* one lane: no fetch starts after this (ms), 0: none */
};

/* A domain's failure of its own (its zone deleted meanwhile, say) holds up nothing else. */
static bool domain_error(int rc)
{
	return rc == LS_ENOZONE || rc == LS_ENOTFOUND;
}

/* On fetch-concurrency threads: the step up to the fetch, or all of it when no id is due. */
static int fetch_one(size_t i, void *arg)
{
	struct batch *b = arg;
	struct slot *s = &b->slots[i];
	s->c.p = NULL;
	if (b->p->cancel && atomic_load(b->p->cancel))
		return 0;             /* the slot stays STS_NOTHING */
	/* A paced run behind a slow endpoint: the rest wait for the next run. */
	if (b->paced_until && clock_mono_ms() > b->paced_until)
		return 0;
	s->rc = publish_one(b->p, b->st, s->domain, b->now, b->force, &s->out, &s->c);
	return s->rc && !domain_error(s->rc) ? s->rc : 0;
}

static size_t write_hint(size_t i, void *arg)
{
	(void)i;
	(void)arg;
	return EDIT_HINT;
}

/* The id of verified publish i, as one edit of the batch's transaction. */
static int write_stage(struct zone_batch *zb, size_t i, size_t slot, bool *good, void *arg)
{
	struct batch *b = arg;
	struct slot *s = &b->slots[b->verified[i]];
	struct zone_result res;
	struct zone_edit e = { NULL, s->domain, ZONE_TXN_MANAGED, EDIT_HINT, "mta-sts publish",
	                       write_id_fn, &s->c };
	(void)slot;
	int rc = zone_batch_run(zb, &e, NULL, &res);
	s->w.stale = rc == LS_ECONFLICT;
	s->w.rc = s->w.stale ? 0 : rc;
	if (rc == 0) {
		s->w.old_serial = res.diff.old_serial;
		s->w.new_serial = res.diff.new_serial;
	}
	zone_result_free(&res);
	*good = rc == 0;
	return s->w.rc && !domain_error(s->w.rc) ? s->w.rc : 0;
}

/* The batch committed: what its edit of publish i did becomes the slot's outcome. */
static void write_report(size_t i, size_t slot, bool committed, void *arg)
{
	struct batch *b = arg;
	struct slot *s = &b->slots[b->verified[i]];
	(void)slot;
	(void)committed;     /* never all or nothing: the batch commits what it holds */
	s->rc = s->w.rc;
	s->stale = s->w.stale;
	if (s->rc == 0 && !s->stale) {
		s->out.outcome = STS_PUBLISHED;
		s->out.rotation = s->c.rotation;
		s->out.old_serial = s->w.old_serial;
		s->out.new_serial = s->w.new_serial;
		memcpy(s->out.id, s->c.id, sizeof(s->c.id));
	}
}

/* After the report, or before the batch is staged again (the map grew). */
static void write_forget(size_t i, void *arg)
{
	struct batch *b = arg;
	memset(&b->slots[b->verified[i]].w, 0, sizeof(b->slots[0].w));
}

/* Slots [0, n): fetches in parallel, then the verified ids in one commit, then outcomes. */
static int run_batch(struct batch *b, size_t n,
                     void (*fn)(const struct sts_outcome_info *o, void *ctx), void *ctx)
{
	int rc = parallel_run(n, b->lanes, fetch_one, b);
	b->nverified = 0;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (b->slots[i].rc == 0 && b->slots[i].c.p)
			b->verified[b->nverified++] = i;
	if (rc == 0 && b->nverified) {
		struct zone_batch_plan plan = { b->nverified, b->nverified, false, write_hint,
		                                write_stage, write_report, write_forget, b };
		rc = zone_batch_each(b->st, &plan);
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct slot *s = &b->slots[i];
		/* Another publisher got there first: the step again finds what is left to do. */
		if (s->stale)
			s->rc = publish_one(b->p, b->st, s->domain, b->now, b->force, &s->out, NULL);
		if (s->rc && !domain_error(s->rc))
			rc = s->rc;
		else if (s->rc == 0 && fn && s->out.outcome != STS_NOTHING &&
		         s->out.outcome != STS_DEFERRED)
			fn(&s->out, ctx);
	}
	return rc;
}

int sts_publish_due(struct sts_publisher *p, struct store *st, const struct zone_info *zone,
                    int64_t now, bool force,
                    void (*fn)(const struct sts_outcome_info *o, void *ctx), void *ctx)
{
	struct due u = { p, zone ? zone->id : 0, now, force, NULL, 0, 0, 0 };
	struct store_txn t;
	struct batch b = { p, st, now, force, NULL, NULL, 0, p->fetch_concurrency, 0 };
	int rc = store_begin(st, false, 0, &t);
	if (rc)
		return rc;
	rc = zone ? sts_record_each_under(&t, zone->apex, collect, &u) :
	            sts_record_each(&t, collect, &u);
	store_abort(&t);
	if (rc || u.n == 0)
		goto out;
	if (u.urgent == 0 && u.n <= p->paced_max) {
		b.lanes = 1;
		b.paced_until = clock_mono_ms() + STS_PACED_RUN_MS;
	}
	size_t size = u.n < STS_PUBLISH_BATCH ? u.n : STS_PUBLISH_BATCH;
	b.slots = calloc(size, sizeof(*b.slots));
	b.verified = calloc(size, sizeof(*b.verified));
	if (b.slots == NULL || b.verified == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	/* The fetching threads may write (a wait, a grace end): the map grows first, as it
	 * cannot while other threads read. */
	if (b.lanes > 1)
		rc = store_reserve(st, u.n * (size_t)16384);
	for (size_t i = 0; rc == 0 && i < u.n && !(p->cancel && atomic_load(p->cancel));
	     i += size) {
		size_t n = u.n - i < size ? u.n - i : size;
		for (size_t k = 0; k < n; k++) {
			memset(&b.slots[k], 0, sizeof(b.slots[k]));
			b.slots[k].domain = u.names[i + k];
		}
		rc = run_batch(&b, n, fn, ctx);
	}
out:
	sessions_save(p);
	free(b.verified);
	free(b.slots);
	free(u.names);
	return rc;
}
