/* zonectl mta-sts status: where each domain's policy and id stand, and why a step waits. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/err.h"
#include "shared/sts_publish.h"

struct status_ctx {
	struct ctl *c;
	struct store_txn *t;
	uint32_t rotate_interval;
	int64_t now;
	unsigned shown;
};

static const char *state_text(const struct sts_domain *d)
{
	if (d->state == STS_REMOVED)
		return "removed";
	if (d->version != d->published)
		return d->published ? "waiting to publish a new policy" : "waiting to publish";
	return d->state == STS_REMOVING ? "removing (mode none published)" : "published";
}

static void show_text(struct status_ctx *x, const struct sts_domain *d, const uint8_t *body,
                      size_t blen)
{
	char name[DNAME_STR_MAX], t1[32], t2[32];
	printf("%s\n", ctl_domain(name, d->domain));
	printf("  state:    %s\n", state_text(d));
	if (d->state == STS_REMOVED)
		return;
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

static void show_json(struct status_ctx *x, const struct sts_domain *d, const uint8_t *body,
                      size_t blen)
{
	char name[DNAME_STR_MAX], text[STS_BODY_MAX + 1];
	printf("%s{\"domain\":", x->shown ? "," : "");
	json_str(stdout, ctl_domain(name, d->domain));
	printf(",\"state\":");
	json_str(stdout, d->state == STS_REMOVED ? "removed" : d->state == STS_REMOVING ? "removing"
	                 : d->version != d->published ? "waiting" : "published");
	printf(",\"mode\":\"%s\",\"max_age\":%u,\"version\":%llu,\"published_version\":%llu,"
	       "\"id\":", sts_mode_name(d->mode), d->max_age, (unsigned long long)d->version,
	       (unsigned long long)d->published);
	json_str(stdout, d->id);
	printf(",\"published_time\":%lld,\"next_rotation\":%lld,\"reason\":",
	       (long long)d->published_time,
	       (long long)(d->published ? d->published_time + x->rotate_interval : 0));
	json_str(stdout, d->reason);
	printf(",\"tries\":%u,\"next_try\":%lld,\"endpoints\":[", d->tries, (long long)d->next_try);
	for (unsigned i = 0; i < d->nfetch; i++) {
		printf("%s{\"endpoint\":", i ? "," : "");
		json_str(stdout, d->fetch[i].endpoint);
		printf(",\"ok\":%s,\"time\":%lld,\"error\":", d->fetch[i].ok ? "true" : "false",
		       (long long)d->fetch[i].time);
		json_str(stdout, d->fetch[i].error);
		printf("}");
	}
	printf("],\"grace\":[");
	for (unsigned i = 0; i < d->ngrace; i++) {
		printf("%s{\"name\":", i ? "," : "");
		json_str(stdout, ctl_domain(name, d->grace[i].name));
		printf(",\"until\":%lld,\"hold\":%u}", (long long)d->grace[i].until, d->grace[i].hold);
	}
	printf("],\"mx_extra\":[");
	for (unsigned i = 0; i < d->nextra; i++) {
		printf("%s", i ? "," : "");
		json_str(stdout, d->extra[i]);
	}
	printf("],\"rua\":[");
	for (unsigned i = 0; i < d->nrua; i++) {
		printf("%s", i ? "," : "");
		json_str(stdout, d->rua[i]);
	}
	printf("],\"policy\":");
	memcpy(text, body ? (const char *)body : "", body ? blen : 0);
	text[body ? blen : 0] = 0;
	json_str(stdout, text);
	printf("}");
}

static int show(const struct sts_domain *d, void *arg)
{
	struct status_ctx *x = arg;
	const uint8_t *body = NULL;
	size_t blen = 0;
	if (sts_record_body(x->t, d->domain, &body, &blen, NULL) != 0)
		body = NULL;
	if (x->c->json)
		show_json(x, d, body, blen);
	else
		show_text(x, d, body, blen);
	x->shown++;
	return 0;
}

int cmd_mtasts_status(struct ctl *c)
{
	uint8_t domain[DNAME_MAX];
	char name[DNAME_STR_MAX];
	struct store_txn t;
	struct sts_domain *d = NULL;
	struct status_ctx x = { c, &t, c->cfg.sts_rotate_interval, (int64_t)time(NULL), 0 };
	int rc;
	if (c->nargs && ctl_zone_name(c, c->args[0], domain))
		return EXIT_USAGE;
	if ((rc = ctl_read(c, &t)) != 0)
		return rc;
	if (c->json)
		printf("{\"domains\":[");
	if (c->nargs == 0) {
		rc = sts_record_each(&t, show, &x);
	} else if ((d = malloc(sizeof(*d))) == NULL) {
		rc = LS_ESTORE;
	} else if ((rc = sts_record_get(&t, domain, d)) == 0) {
		rc = show(d, &x);
	}
	if (c->json)
		printf("]}\n");
	store_abort(&t);
	free(d);
	if (rc == LS_ENOTFOUND)
		return ctl_fail(c, rc, "MTA-STS was never enabled for %s", ctl_domain(name, domain));
	if (rc)
		return ctl_fail(c, rc, "cannot read the MTA-STS state");
	if (c->nargs == 0 && x.shown == 0 && !c->json)
		printf("no domain has MTA-STS (enable it: zonectl mta-sts enable DOMAIN)\n");
	return EXIT_OK;
}
