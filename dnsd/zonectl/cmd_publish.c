/* zonectl's runs of the MTA-STS publish step: after a commit, and `zonectl mta-sts publish`. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/util/err.h"
#include "shared/sts/sts_publish.h"
#include "shared/sts/sts_record.h"
#include "shared/dns/dname.h"
#include "shared/util/timing.h"

static const char *outcome_text(const struct sts_outcome_info *o)
{
	switch (o->outcome) {
	case STS_PUBLISHED: return o->rotation ? "id rotated" : "published";
	case STS_WAITING: return "waiting";
	case STS_DEFERRED: return "waiting";
	case STS_RECOMPUTED: return "grace period ended";
	case STS_FINISHED: return "removed";
	default: return "nothing due";
	}
}

#define WAIT_STEP_MAX_S 8   /* and the longest pause between two tries */

/* Where outcomes go: a line each (on stderr beside --json), and for `mta-sts publish --json`
 * into a list too, printed once the step is done (a failure prints only the error). */
struct report_ctx {
	struct ctl *c;
	json_t *list;       /* NULL: lines only */
	unsigned waiting;   /* outcomes of this run that wait for an endpoint */
	size_t published;   /* bulk runs: publishes counted instead of a line each */
	const uint32_t *committed;     /* the serial the command's commit made, or NULL */
	bool moved_on;                 /* the zone's serial changed since that commit */
	uint8_t (*shown)[DNAME_MAX];   /* domains this run showed a line for (zone runs) */
	size_t nshown, capshown;
};

/* Remembers that domain got its line; a failed allocation only costs a second line. */
static void shown_add(struct report_ctx *r, const uint8_t *domain)
{
	if (r->nshown == r->capshown) {
		size_t cap = r->capshown ? r->capshown * 2 : 4;
		void *v = realloc(r->shown, cap * DNAME_MAX);
		if (v == NULL)
			return;
		r->shown = v;
		r->capshown = cap;
	}
	memcpy(r->shown[r->nshown++], domain, (size_t)dname_wire_len(domain, DNAME_MAX));
}

static bool shown(const struct report_ctx *r, const uint8_t *domain)
{
	for (size_t i = 0; i < r->nshown; i++)
		if (dname_equal(r->shown[i], domain))
			return true;
	return false;
}

static void report(const struct sts_outcome_info *o, void *arg)
{
	struct report_ctx *r = arg;
	char name[DNAME_STR_MAX];
	FILE *out = r->c->json ? stderr : stdout;
	ctl_domain(name, o->domain);
	r->waiting += o->outcome == STS_WAITING;
	shown_add(r, o->domain);
	if (r->c->bulk && o->outcome == STS_PUBLISHED && !r->list) {
		r->published++;
		return;
	}
	if (r->list)
		json_array_append_new(r->list, json_pack("{s:o,s:s,s:I,s:o,s:I,s:I,s:o}",
		                      "domain", ctl_json_string(name), "outcome", outcome_text(o),
		                      "version", (json_int_t)o->version, "id", ctl_json_string(o->id),
		                      "serial_old", (json_int_t)o->old_serial,
		                      "serial", (json_int_t)o->new_serial,
		                      "reason", ctl_json_string(o->reason)));
	switch (o->outcome) {
	case STS_PUBLISHED:
		fprintf(out, "mta-sts %s: policy version %llu served by every endpoint; id %s %s, "
		        "serial %u -> %u\n", name, (unsigned long long)o->version, o->id,
		        o->rotation ? "rotated" : "published", o->old_serial, o->new_serial);
		break;
	case STS_WAITING:
		fprintf(out, "mta-sts %s: waiting: %s (the id stays; dnsd retries, or run zonectl "
		        "mta-sts publish %s)\n", name, o->reason, name);
		break;
	case STS_FINISHED:
		fprintf(out, "mta-sts %s: removal finished: records deleted, serial %u -> %u\n", name,
		        o->old_serial, o->new_serial);
		break;
	default:
		fprintf(out, "mta-sts %s: %s\n", name, outcome_text(o));
		break;
	}
}

/*
 * A policy this command made that the step did not show: dnsd's publisher (or another
 * zonectl) took it between the commit and the step, and has published it or is fetching it
 * now. The operator still learns what became of the change.
 */
static int others_line(const struct sts_domain *d, void *arg)
{
	struct report_ctx *r = arg;
	char name[DNAME_STR_MAX];
	FILE *out = r->c->json ? stderr : stdout;
	if (d->version_time < r->c->started || d->state == STS_REMOVED || shown(r, d->domain))
		return 0;
	ctl_domain(name, d->domain);
	if (d->published == d->version) {
		/* Published before the commit (an earlier command, the same second): not ours. */
		if (!r->moved_on)
			return 0;
		fprintf(out, "mta-sts %s: policy version %llu served by every endpoint; id %s "
		        "published by another publisher (dnsd or another zonectl)\n", name,
		        (unsigned long long)d->version, d->id);
		return 0;
	}
	r->waiting++;
	fprintf(out, "mta-sts %s: waiting: %s (another publisher has policy version %llu in hand; "
	        "dnsd retries, or run zonectl mta-sts publish %s)\n", name,
	        d->reason[0] ? d->reason : "its fetch is under way", (unsigned long long)d->version,
	        name);
	return 0;
}

static int others_report(struct store *st, const struct zone_info *zone, struct report_ctx *r)
{
	struct store_txn t;
	uint32_t serial;
	int rc = store_begin(st, false, 0, &t);
	if (rc)
		return rc;
	/* An id written after the commit changed the serial since. */
	rc = zone_serial(&t, zone, &serial);
	r->moved_on = rc == 0 && serial != *r->committed;
	if (rc == 0)
		rc = sts_record_each_under(&t, zone->apex, others_line, r);
	store_abort(&t);
	return rc == LS_ENOZONE ? 0 : rc;
}

/* One run of the step: the due domains of zone (every zone's when NULL), or domain. */
static int run_once(struct sts_publisher *p, struct store *st, const struct zone_info *zone,
                    const uint8_t *domain, struct report_ctx *r)
{
	struct sts_outcome_info o;
	int64_t now = (int64_t)time(NULL);
	r->waiting = 0;
	r->nshown = 0;
	if (domain == NULL) {
		int rc = sts_publish_due(p, st, zone, now, true, report, r);
		return rc || !zone || !r->committed ? rc : others_report(st, zone, r);
	}
	int rc = sts_publish_domain(p, st, domain, now, true, &o);
	if (rc == 0)
		report(&o, r);
	return rc;
}

/*
 * The step, run again while something waits when --wait was given (for --timeout seconds).
 * Returns 0 or a store error; *waiting says whether a publish still waits at the end.
 */
static int run_step(struct ctl *c, struct sts_publisher *p, const struct zone_info *zone,
                    const uint8_t *domain, struct report_ctx *r, bool *waiting)
{
	time_t deadline = time(NULL) + (c->wait ? (time_t)c->wait_s : 0);
	unsigned pause = 1;
	int rc;
	while ((rc = run_once(p, c->st, zone, domain, r)) == 0 && r->waiting && c->wait &&
	       time(NULL) + (time_t)pause <= deadline) {
		sleep(pause);
		pause = pause * 2 > WAIT_STEP_MAX_S ? WAIT_STEP_MAX_S : pause * 2;
	}
	*waiting = rc == 0 && r->waiting;
	return rc;
}

/* committed: the serial of the commit before, whose policies the step reports on. */
static int publish_after(struct ctl *c, const struct zone_info *zone, const uint32_t *committed)
{
	struct sts_publisher p;
	struct report_ctx r = { c, NULL, 0, 0, committed, false, NULL, 0, 0 };
	char err[256];
	bool waiting = false;
	timing_mark("publish");
	int rc = sts_publish_init(&p, &c->cfg, err, sizeof(err));
	if (rc == 0)
		rc = run_step(c, &p, zone, NULL, &r, &waiting);
	else
		fprintf(stderr, "zonectl: mta-sts: cannot publish: %s\n", err);
	sts_publish_free(&p);
	free(r.shown);
	if (r.published)
		fprintf(c->json ? stderr : stdout, "mta-sts publish: %zu published\n", r.published);
	if (rc && rc != LS_ECONFIG)
		return ctl_fail(c, rc, "mta-sts publish step");
	/* --wait promises a published id: a config that cannot publish, or a wait, breaks it. */
	return c->wait && (rc || waiting) ? EXIT_CONFLICT : EXIT_OK;
}

int ctl_publish(struct ctl *c, const struct zone_info *zone)
{
	return publish_after(c, zone, NULL);
}

int cmd_mtasts_publish(struct ctl *c)
{
	uint8_t domain[DNAME_MAX];
	struct sts_publisher p;
	struct report_ctx r = { c, NULL, 0, 0, NULL, false, NULL, 0, 0 };
	char err[256];
	bool waiting = false;
	int rc;
	if (c->nargs && ctl_zone_name(c, c->args[0], domain))
		return EXIT_USAGE;
	if ((rc = ctl_open(c, true)) != 0)
		return rc;
	if (sts_publish_init(&p, &c->cfg, err, sizeof(err)) != 0) {
		sts_publish_free(&p);
		return ctl_fail_msg(c, EXIT_INPUT, "mta-sts: cannot publish: %s", err);
	}
	if (c->json && (r.list = json_array()) == NULL)
		rc = -ENOMEM;
	if (rc == 0)
		rc = run_step(c, &p, NULL, c->nargs ? domain : NULL, &r, &waiting);
	sts_publish_free(&p);
	free(r.shown);
	if (rc) {
		json_decref(r.list);
		return ctl_fail(c, rc, "mta-sts publish step");
	}
	/* One domain named, or --wait: a publish still waiting is exit 4. */
	int ec = waiting && (c->nargs || c->wait) ? EXIT_CONFLICT : EXIT_OK;
	if (c->json && ctl_json_print(json_pack("{s:o}", "domains", r.list)) != EXIT_OK)
		return EXIT_STORE;
	return ec;
}

int ctl_publish_after(struct ctl *c, int ec, int rc, const struct zone_result *res)
{
	/* A new zone has no MTA-STS domains; --no-publish leaves the step to dnsd. */
	if (ec != EXIT_OK || rc != 0 || res->zt == NULL || res->diff.created || c->no_publish)
		return ec;
	return publish_after(c, zone_txn_zone(res->zt), &res->diff.new_serial);
}
