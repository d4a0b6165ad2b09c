/* zonectl mta-sts status: where each domain's policy and id stand, and why a step waits. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/util/pidfile.h"
#include "shared/util/err.h"
#include "shared/sts/sts_publish.h"
#include "shared/acme/acme_record.h"
#include "shared/acme/acme_run.h"

struct status_ctx {
	struct ctl_out o;         /* o.n: domains shown */
	struct store_txn *t;
	uint32_t rotate_interval;
	const char *no_retry;     /* why nothing retries a waiting publish; NULL when dnsd does */
	pid_t dnsd_pid;           /* the dnsd holding the state directory, 0 for none */
};

/* Whether a dnsd runs the publish step on this store: it holds STATE/dnsd.lock, and its
 * configuration (this one, as far as zonectl can tell) has the publisher on. */
static void find_publisher(struct ctl *c, struct status_ctx *x)
{
	char path[4096];
	pid_t pid = 0;
	snprintf(path, sizeof(path), "%s/dnsd.lock", c->state);
	int held = pidfile_held(path, &pid);
	x->dnsd_pid = held == 1 ? pid : 0;
	if (held != 1)
		x->no_retry = "no dnsd runs on this state directory";
	else if (!c->cfg.sts_publisher)
		x->no_retry = "mta-sts.publisher is off";
}

static const char *state_text(const struct sts_domain *d)
{
	if (d->state == STS_REMOVED)
		return "removed";
	if (d->version != d->published)
		return d->published ? "waiting to publish a new policy" : "waiting to publish";
	return d->state == STS_REMOVING ? "removing (mode none published)" : "published";
}

/* What ACME says about mta-sts.DOMAIN: why its certificate is not there yet ("" when it
 * is, or ACME does not handle it), and a failing renewal's problem. */
static void acme_why(struct status_ctx *x, const struct sts_domain *d, char *host, size_t hlen,
                     char *why, size_t wlen, char *renewal, size_t rlen)
{
	char name[DNAME_STR_MAX];
	struct acme_cert a;
	snprintf(host, hlen, "mta-sts.%s", ctl_domain(name, d->domain));
	for (char *p = host; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	*why = *renewal = 0;
	if (d->state == STS_REMOVED || acme_record_get(x->t, host, &a) != 0)
		return;
	if (!a.had_cert)
		acme_run_why(&a, acme_run_position(x->t, host), why, wlen);
	else if (*a.problem_type && a.state != ACME_ISSUED)
		snprintf(renewal, rlen, "%s: %s", a.problem_type, a.problem_detail);
}

static void show_text(struct status_ctx *x, const struct sts_domain *d, const uint8_t *body,
                      size_t blen)
{
	char name[DNAME_STR_MAX], t1[32], t2[32];
	char host[DNAME_STR_MAX + 8], why[ACME_PROBLEM_MAX + 200], renewal[ACME_PROBLEM_MAX + 200];
	printf("%s\n", ctl_domain(name, d->domain));
	printf("  state:    %s\n", state_text(d));
	if (d->state == STS_REMOVED)
		return;
	acme_why(x, d, host, sizeof(host), why, sizeof(why), renewal, sizeof(renewal));
	if (*why)
		printf("  waiting: certificate for %s: %s\n", host, why);
	if (*renewal)
		printf("  certificate: renewal failing: %s\n", renewal);
	printf("  mode:     %s, max_age %u\n", sts_mode_name(d->mode), d->max_age);
	printf("  policy:   version %llu, made %s\n", (unsigned long long)d->version,
	       ctl_time(d->version_time, t1, sizeof(t1)));
	if (d->published)
		printf("  id:       %s (version %llu, published %s; next rotation %s)\n", d->id,
		       (unsigned long long)d->published, ctl_time(d->published_time, t1, sizeof(t1)),
		       ctl_time(d->published_time + x->rotate_interval, t2, sizeof(t2)));
	else
		printf("  id:       none yet (no _mta-sts record until the policy is served)\n");
	if (d->version != d->published && d->reason[0])
		printf("  waiting:  %s (try %u; next %s)\n", d->reason, d->tries,
		       ctl_time(d->next_try, t1, sizeof(t1)));
	if (d->version != d->published && d->state != STS_REMOVED && x->no_retry)
		printf("  note:     nothing retries this publish: %s (start dnsd, or run zonectl "
		       "mta-sts publish %s)\n", x->no_retry, ctl_domain(name, d->domain));
	if (d->state == STS_REMOVING && d->removing_since)
		printf("  removal:  records deleted after %s\n",
		       ctl_time(d->removing_since + (int64_t)d->max_age_served, t1, sizeof(t1)));
	for (unsigned i = 0; i < d->nfetch; i++) {
		if (d->fetch[i].ok)
			printf("  endpoint: %s served the policy (fetched %s)\n", d->fetch[i].endpoint,
			       ctl_time(d->fetch[i].time, t1, sizeof(t1)));
		else
			printf("  endpoint: %s (fetched %s)\n", d->fetch[i].error,
			       ctl_time(d->fetch[i].time, t1, sizeof(t1)));
	}
	for (unsigned i = 0; i < d->ngrace; i++)
		printf("  grace:    %s stays in the policy until %s\n",
		       ctl_domain(name, d->grace[i].name), ctl_time(d->grace[i].until, t1, sizeof(t1)));
	for (unsigned i = 0; i < d->nextra; i++)
		printf("  mx-extra: %s\n", d->extra[i]);
	for (unsigned i = 0; i < d->nrua; i++)
		printf("  rua:      %s\n", d->rua[i]);
	if (body) {
		printf("  policy text:\n");
		for (size_t i = 0; i < blen;) {
			size_t e = i;
			while (e < blen && body[e] != '\r' && body[e] != '\n')
				e++;
			printf("    %.*s\n", (int)(e - i), (const char *)body + i);
			i = e + (e + 1 < blen && body[e] == '\r' && body[e + 1] == '\n' ? 2 : 1);
		}
	}
}

/* A list of strings as a JSON array. */
static json_t *string_list(const char (*v)[STS_TEXT_MAX], unsigned n)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < n; i++)
		json_array_append_new(a, ctl_json_string(v[i]));
	return a;
}

static json_t *endpoints_json(const struct sts_domain *d)
{
	json_t *a = json_array();
	for (unsigned i = 0; i < d->nfetch; i++)
		json_array_append_new(a, json_pack("{s:o,s:b,s:o,s:o}",
		                                   "endpoint", ctl_json_string(d->fetch[i].endpoint),
		                                   "ok", d->fetch[i].ok,
		                                   "time", ctl_json_time(d->fetch[i].time),
		                                   "error", ctl_json_string(d->fetch[i].error)));
	return a;
}

static json_t *grace_json(const struct sts_domain *d)
{
	char name[DNAME_STR_MAX];
	json_t *a = json_array();
	for (unsigned i = 0; i < d->ngrace; i++) {
		ctl_domain(name, d->grace[i].name);
		json_array_append_new(a, json_pack("{s:o,s:o,s:I}", "name", ctl_json_string(name),
		                                   "until", ctl_json_time(d->grace[i].until),
		                                   "hold", (json_int_t)d->grace[i].hold));
	}
	return a;
}

/* Times are RFC 3339 or null: never published, nothing waiting. */
static json_t *show_json(struct status_ctx *x, const struct sts_domain *d, const uint8_t *body,
                         size_t blen)
{
	char name[DNAME_STR_MAX];
	const char *state = d->state == STS_REMOVED ? "removed" : d->state == STS_REMOVING
	                    ? "removing" : d->version != d->published ? "waiting" : "published";
	json_t *o = json_pack("{s:o,s:s,s:s,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:I,s:o}",
	                      "domain", ctl_json_string(ctl_domain(name, d->domain)),
	                      "state", state, "mode", sts_mode_name(d->mode),
	                      "max_age", (json_int_t)d->max_age, "version", (json_int_t)d->version,
	                      "published_version", (json_int_t)d->published,
	                      "id", ctl_json_string(d->id),
	                      "published_time", ctl_json_time(d->published_time),
	                      "next_rotation", ctl_json_time(d->published ? d->published_time +
	                                                     x->rotate_interval : 0),
	                      "reason", ctl_json_string(d->reason), "tries", (json_int_t)d->tries,
	                      "next_try", ctl_json_time(d->next_try));
	char host[DNAME_STR_MAX + 8], why[ACME_PROBLEM_MAX + 200], renewal[ACME_PROBLEM_MAX + 200];
	acme_why(x, d, host, sizeof(host), why, sizeof(why), renewal, sizeof(renewal));
	json_object_set_new(o, "certificate_waiting", ctl_json_string(*why ? why : NULL));
	json_object_set_new(o, "certificate_renewal_error", ctl_json_string(*renewal ? renewal
	                                                                             : NULL));
	json_object_set_new(o, "endpoints", endpoints_json(d));
	json_object_set_new(o, "grace", grace_json(d));
	json_object_set_new(o, "mx_extra", string_list(d->extra, d->nextra));
	json_object_set_new(o, "rua", string_list(d->rua, d->nrua));
	json_object_set_new(o, "policy", ctl_json_stringn(body ? (const char *)body : "",
	                                                  body ? blen : 0));
	return o;
}

static int show(const struct sts_domain *d, void *arg)
{
	struct status_ctx *x = arg;
	const uint8_t *body = NULL;
	size_t blen = 0;
	if (sts_record_body(x->t, d->domain, &body, &blen, NULL) != 0)
		body = NULL;
	if (x->o.c->json) {
		ctl_out_item(&x->o, show_json(x, d, body, blen));
	} else {
		show_text(x, d, body, blen);
		ctl_out_item(&x->o, NULL);
	}
	return 0;
}

int cmd_mtasts_status(struct ctl *c)
{
	uint8_t domain[DNAME_MAX];
	char name[DNAME_STR_MAX];
	struct store_txn t;
	struct sts_domain *d = NULL;
	struct status_ctx x = { .t = &t, .rotate_interval = c->cfg.sts_rotate_interval };
	find_publisher(c, &x);
	int rc, ec = EXIT_OK;
	if (c->nargs && ctl_zone_name(c, c->args[0], domain))
		return EXIT_USAGE;
	if ((rc = ctl_read(c, &t)) != 0)
		return rc;
	/* One domain is read before anything is printed, so its absence is the only output. */
	if (c->nargs && (d = malloc(sizeof(*d))) == NULL)
		rc = LS_ESTORE;
	else if (c->nargs)
		rc = sts_record_get(&t, domain, d);
	if (rc == 0) {
		ctl_out_list_begin(&x.o, c, "domains");
		rc = d ? show(d, &x) : sts_record_each(&t, show, &x);
		ctl_out_list_end(&x.o);
		ctl_out_put(&x.o, "publisher", json_pack("{s:b,s:o,s:o}", "running", !x.no_retry,
		            "dnsd_pid", x.dnsd_pid ? json_integer(x.dnsd_pid) : json_null(),
		            "reason", ctl_json_string(x.no_retry)));
		ec = ctl_out_end(&x.o);
	}
	store_abort(&t);
	free(d);
	if (rc == LS_ENOTFOUND)
		return ctl_fail(c, rc, "MTA-STS was never enabled for %s", ctl_domain(name, domain));
	if (rc)
		return ctl_fail(c, rc, "cannot read the MTA-STS state");
	if (c->nargs == 0 && x.o.n == 0 && !c->json)
		printf("no domain has MTA-STS (enable it: zonectl mta-sts enable DOMAIN)\n");
	return ec;
}
