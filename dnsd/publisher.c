/*
 * dnsd runs the MTA-STS publish step on a timer: waiting publishes are retried (with the
 * back-off stored per domain), ids rotate, grace periods and removals end; with acme:, the
 * ACME step (certificates ordered and renewed) runs after it. It runs off the
 * query loops because it fetches over HTTPS and writes to the store.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include "dnsd/publisher.h"
#include "dnsd/reports.h"
#include "shared/util/err.h"
#include "shared/util/log.h"
#include "shared/sts/sts_publish.h"
#include "shared/sts/sts_rederive.h"
#include "shared/acme/acme_run.h"

#define REDERIVE_RETRY_S 60   /* after a failed re-derivation */
#define ACME_SYNC_S 60        /* names checked against the MTA-STS domains this often */
#define ACME_BUDGET_MS 5000   /* ACME work per tick, so publishing gets its turn */

const double publisher_latency_bounds[PUBLISHER_LATENCY_N] = { PUBLISHER_LATENCY_BOUNDS };

#define INC(x) atomic_fetch_add_explicit(&(x), 1, memory_order_relaxed)

/* A new policy's id went out: how long after its commit (whole seconds, as the store keeps). */
static void count(struct publisher_counters *k, const struct sts_outcome_info *o)
{
	if (o->outcome == STS_WAITING)
		INC(k->waits);
	if (o->outcome != STS_PUBLISHED)
		return;
	if (o->rotation) {
		INC(k->rotations);
		return;
	}
	int64_t s = (int64_t)time(NULL) - o->version_time;
	uint64_t secs = s > 0 ? (uint64_t)s : 0;
	size_t i = 0;
	while (i < PUBLISHER_LATENCY_N && (double)secs > publisher_latency_bounds[i])
		i++;
	INC(k->latency[i]);
	atomic_fetch_add_explicit(&k->latency_sum, secs, memory_order_relaxed);
}

static void log_outcome(const struct sts_outcome_info *o, void *ctx)
{
	char name[DNAME_STR_MAX];
	count(ctx, o);
	dname_format(name, o->domain);
	switch (o->outcome) {
	case STS_PUBLISHED:
		log_notice("mta-sts: %s: policy version %llu served; id %s %s (serial %u -> %u)",
		           name, (unsigned long long)o->version, o->id,
		        o->rotation ? "rotated" : "published", o->old_serial, o->new_serial);
		break;
	case STS_WAITING:
		log_notice("mta-sts: %s: waiting (%s)", name, o->reason);
		break;
	case STS_RECOMPUTED:
		log_notice("mta-sts: %s: grace period ended; policy version %llu made",
		           name, (unsigned long long)o->version);
		break;
	case STS_FINISHED:
		log_notice("mta-sts: %s: removal finished; records deleted (serial %u -> %u)",
		           name, o->old_serial, o->new_serial);
		break;
	default:
		break;
	}
}

static void log_rederived(const struct sts_rederive_info *i, void *ctx)
{
	char name[DNAME_STR_MAX];
	(void)ctx;
	dname_format(name, i->domain);
	if (i->what == STS_REDERIVE_REWRITTEN)
		log_notice("mta-sts: %s: mta-sts.%s follows the service in force (serial %u -> %u)",
		           name, name, i->old_serial, i->new_serial);
	else
		log_warning("mta-sts: %s: mta-sts.%s holds records no service-address or "
		            "service-cname made; left as they are (zonectl mta-sts rederive --force "
		            "replaces them)", name, name);
}

/*
 * At start and after each SIGHUP: a changed mta-sts.service-address or service-cname is
 * carried to every enabled domain (sts_rederive.h). Returns true when done or nothing to do,
 * false to try again later.
 */
static bool rederive(struct store *st, const struct config *cfg)
{
	struct sts_service svc = { cfg->sts_service_address, cfg->sts_service_cname,
	                           cfg->sts_txt_ttl };
	struct sts_rederive_result res;
	char err[256];
	int rc = sts_rederive_run(st, &svc, false, "dnsd mta-sts rederive", log_rederived, NULL,
	                          &res, err, sizeof(err));
	if (rc == 0 && !res.adopted)
		log_notice("mta-sts: service-address/service-cname applied: %u domain%s rewritten in "
		           "%u zone commit%s, %u already right, %u left alone", res.rewritten,
		           res.rewritten == 1 ? "" : "s", res.zones, res.zones == 1 ? "" : "s",
		           res.current, res.kept);
	if (rc == 0 || rc == LS_ENOCHANGE || rc == LS_ENOTFOUND)
		return true;
	log_error("mta-sts: cannot apply service-address/service-cname to the domains: %s%s",
	          *err ? err : ls_strerror(rc), rc == LS_ECONFIG ? "" : " (tried again in a minute)");
	return rc == LS_ECONFIG;
}

/* Logs and counts one order run's outcome (ctx: the publisher's counters). */
static void log_acme(const struct acme_outcome *o, void *ctx)
{
	struct publisher_counters *k = ctx;
	const struct acme_cert *c = o->rec;
	if (o->new_order)
		INC(k->acme_started);
	if (o->rc == 0) {
		INC(k->acme_issued);
	} else {
		INC(k->acme_failed);
		INC(k->acme_problems[acme_problem_index(c->problem_type)]);
	}
	if (o->rc == 0)
		log_notice("acme: %s: certificate issued by %s (serial %s)", c->host, c->directory,
		           c->serial);
	else if (o->urgent)
		log_error("acme: %s: renewal failing and the certificate expires within 14 days: "
		          "%s: %s", c->host, c->problem_type, c->problem_detail);
	else
		log_warning("acme: %s: waiting: %s: %s (try %u)", c->host, c->problem_type,
		            c->problem_detail, c->tries);
}

/* The ACME step for one tick: the names in line with the domains now and then, then what is
 * due, for at most ACME_BUDGET_MS. */
static void acme_tick(struct acme_run *ar, int64_t *synced, struct publisher_counters *k)
{
	int64_t now = (int64_t)time(NULL);
	unsigned queued = 0;
	int rc;
	if (now - *synced >= ACME_SYNC_S) {
		if ((rc = acme_run_sync(ar->st, ar->state_dir, now, &queued)) != 0)
			log_error("acme: cannot check the certificates: %s", ls_strerror(rc));
		else if (queued)
			log_notice("acme: %u certificate%s queued", queued, queued == 1 ? "" : "s");
		*synced = now;
	}
	if ((rc = acme_run_due(ar, now, NULL, ACME_BUDGET_MS, log_acme, k)) != 0)
		log_error("acme: step failed: %s", ls_strerror(rc));
}

static bool acme_setup(struct acme_run *ar, struct store *st, const struct config *cfg)
{
	char err[512];
	if (!cfg->acme_directory || !*cfg->acme_directory)
		return false;
	if (acme_run_open(ar, st, cfg, cfg->state_dir, err, sizeof(err)) == 0)
		return true;
	log_error("acme: off: %s", err);
	return false;
}

/* The publisher for cfg; false (logged) when its mta-sts settings cannot publish. */
static bool setup(struct sts_publisher *sp, const struct config *cfg)
{
	char err[256];
	if (sts_publish_init(sp, cfg, err, sizeof(err)) == 0) {
		sp->paced_max = PUBLISHER_PACED_MAX;
		return true;
	}
	log_warning("mta-sts: publisher off: %s", err);
	sts_publish_free(sp);
	return false;
}

/* The trust store's identity, so that a replaced or rewritten file is read again. */
static void trust_stamp(const struct config *cfg, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	if (cfg->sts_trust_store && *cfg->sts_trust_store)
		stat(cfg->sts_trust_store, st);
}

static bool trust_changed(const struct stat *a, const struct stat *b)
{
	return a->st_ino != b->st_ino || a->st_size != b->st_size ||
	       a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

static void run(void *arg)
{
	struct publisher *p = arg;
	struct sts_publisher sp;
	int last = 0;
	int64_t rederive_at = 0;     /* when to carry the service to the domains (0: now, -1: done) */
	struct reports reports;
	memset(&reports, 0, sizeof(reports));
	uv_mutex_lock(&p->lock);
	unsigned gen = p->gen;
	bool ok = setup(&sp, p->cfg);
	struct stat trust, now_trust;
	trust_stamp(p->cfg, &trust);
	struct acme_run ar;
	int64_t acme_synced = 0;
	bool acme = acme_setup(&ar, p->st, p->cfg);
	sp.cancel = &p->cancel;
	while (!p->stop) {
		if (gen != p->gen) {       /* SIGHUP: new endpoints, trust store, timings */
			if (ok)
				sts_publish_free(&sp);
			if (acme)
				acme_run_close(&ar);
			gen = p->gen;
			ok = setup(&sp, p->cfg);
			trust_stamp(p->cfg, &trust);
			acme = acme_setup(&ar, p->st, p->cfg);
			acme_synced = 0;
			sp.cancel = &p->cancel;
			rederive_at = 0;
		}
		const struct config *cfg = p->cfg;
		/* A new trust store (a CA's root replaced): read again, as a SIGHUP would. */
		trust_stamp(cfg, &now_trust);
		if (trust_changed(&trust, &now_trust)) {
			if (ok)
				sts_publish_free(&sp);
			ok = setup(&sp, cfg);
			sp.cancel = &p->cancel;
			trust = now_trust;
			log_notice("mta-sts: trust store %s changed; read again", cfg->sts_trust_store);
		}
		uv_mutex_unlock(&p->lock);
		if (rederive_at >= 0 && (int64_t)time(NULL) >= rederive_at)
			rederive_at = rederive(p->st, cfg) ? -1 : (int64_t)time(NULL) + REDERIVE_RETRY_S;
		int rc = ok ? sts_publish_due(&sp, p->st, NULL, (int64_t)time(NULL), false, log_outcome,
		                              &p->count) : 0;
		if (rc)
			INC(p->count.failures);
		if (rc && rc != last)     /* once per kind of failure, not every second */
			log_error("mta-sts: publish step failed: %s", ls_strerror(rc));
		last = rc;
		/* Reports left by a time-bounded import: the next round at once, not in a second. */
		bool more = cfg->tlsrpt_receive && reports_tick(&reports, p->st, cfg, (int64_t)time(NULL));
		if (acme)
			acme_tick(&ar, &acme_synced, &p->count);
		uv_mutex_lock(&p->lock);
		if (!p->stop && !more)
			uv_cond_timedwait(&p->wake, &p->lock, (uint64_t)PUBLISHER_INTERVAL_MS * 1000000u);
	}
	uv_mutex_unlock(&p->lock);
	if (ok)
		sts_publish_free(&sp);
	if (acme)
		acme_run_close(&ar);
}

int publisher_start(struct publisher *p, struct store *st, const struct config *cfg)
{
	memset(p, 0, sizeof(*p));     /* the counters too: before the thread, no one reads them */
	p->st = st;
	p->cfg = cfg;
	if (!cfg->sts_publisher)
		return 0;
	int rc = uv_mutex_init(&p->lock);
	if (rc)
		return rc;
	if ((rc = uv_cond_init(&p->wake)) != 0) {
		uv_mutex_destroy(&p->lock);
		return rc;
	}
	if ((rc = uv_thread_create(&p->thread, run, p)) != 0) {
		uv_cond_destroy(&p->wake);
		uv_mutex_destroy(&p->lock);
		return rc;
	}
	p->running = true;
	return 0;
}

void publisher_reload(struct publisher *p, const struct config *cfg)
{
	if (!p->running) {
		p->cfg = cfg;
		return;
	}
	uv_mutex_lock(&p->lock);
	p->cfg = cfg;
	p->gen++;
	uv_mutex_unlock(&p->lock);
}

void publisher_stop(struct publisher *p)
{
	if (!p->running)
		return;
	atomic_store(&p->cancel, true);     /* a long publish run ends after its fetches */
	uv_mutex_lock(&p->lock);
	p->stop = true;
	uv_cond_signal(&p->wake);
	uv_mutex_unlock(&p->lock);
	uv_thread_join(&p->thread);
	uv_cond_destroy(&p->wake);
	uv_mutex_destroy(&p->lock);
	p->running = false;
}
