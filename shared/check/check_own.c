/* Own-domain checks: secondaries, httpsd endpoints and the publish state against the store. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/clock.h"
#include "shared/util/config.h"
#include "shared/util/err.h"
#include "shared/dns/dname.h"
#include "shared/store/secondary.h"
#include "shared/acme/acme_record.h"
#include "shared/acme/acme_run.h"
#include "shared/sts/sts_fetch.h"
#include "shared/sts/sts_record.h"
#include "shared/check/check_ctx.h"
#include "shared/check/check_dns.h"
#include "shared/check/check_policy.h"
#include "shared/check/check_own.h"

struct own {
	struct sts_domain d;
	uint8_t *body;                                       /* the current policy, a copy */
	size_t len;
	char secondaries[CHECK_OWN_SECONDARIES][SECONDARY_TEXT_MAX];
	size_t n_sec;
	char cert_host[300];                                 /* mta-sts.<domain>, lower case */
	char cert_why[ACME_PROBLEM_MAX + 200];               /* why it has no certificate yet */
};

static int take_secondary(const struct secondary *s, void *ctx)
{
	struct own *w = ctx;
	if (w->n_sec < CHECK_OWN_SECONDARIES)
		secondary_format(s, w->secondaries[w->n_sec++], SECONDARY_TEXT_MAX);
	return 0;
}

/* Why mta-sts.<domain> waits for its first certificate, as `zonectl mta-sts status` says it;
 * a name ACME does not handle (or that has one) waits for nothing. */
static void cert_read(struct store_txn *t, const char *domain, struct own *w)
{
	struct acme_cert a;
	snprintf(w->cert_host, sizeof(w->cert_host), "mta-sts.%s", domain);
	for (char *p = w->cert_host; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	size_t n = strlen(w->cert_host);
	if (n > 0 && w->cert_host[n - 1] == '.')
		w->cert_host[n - 1] = 0;
	if (acme_record_get(t, w->cert_host, &a) != 0 || a.had_cert)
		return;
	acme_run_why(&a, acme_run_position(t, w->cert_host), w->cert_why, sizeof(w->cert_why));
}

/* The domain's record, body and secondaries; 1 when the domain is not enabled here. */
static int own_read(struct store *st, const char *domain, struct own *w)
{
	uint8_t name[DNAME_MAX];
	struct store_txn t;
	const uint8_t *body;
	int rc;
	char abs[300];
	snprintf(abs, sizeof(abs), "%s.", domain);
	if (dname_parse(name, abs, NULL) <= 0)
		return 1;
	if ((rc = store_begin(st, false, 0, &t)) != 0)
		return rc;
	rc = sts_record_get(&t, name, &w->d);
	if (rc == LS_ENOTFOUND || (rc == 0 && w->d.state != STS_ACTIVE)) {
		rc = 1;
	} else if (rc == 0 && sts_record_body(&t, name, &body, &w->len, NULL) == 0) {
		if ((w->body = malloc(w->len ? w->len : 1)) == NULL)
			rc = -ENOMEM;
		else
			memcpy(w->body, body, w->len);
	}
	if (rc == 0)
		rc = secondary_list(&t, w->d.zone_id, take_secondary, w);
	if (rc == 0)
		cert_read(&t, domain, w);
	store_abort(&t);
	return rc;
}

/* state-waiting: a newer policy than the published one, not yet published, or the
 * mta-sts host's certificate not issued yet. */
static void judge_state(const struct own *w, const char *domain, struct check_result *r)
{
	if (w->cert_why[0])
		check_result_add(r, "state-waiting", w->cert_host,
		                 "see `zonectl mta-sts status` and `zonectl cert status HOST`; the ACME "
		                 "client retries by itself",
		                 "waiting: certificate for %s: %s", w->cert_host, w->cert_why);
	if (w->d.version == w->d.published)
		return;
	check_result_add(r, "state-waiting", domain,
	                 "see `zonectl mta-sts status`; the publish step retries by itself",
	                 "policy version %llu waits to be published (id stays %s): %s",
	                 (unsigned long long)w->d.version, w->d.id[0] ? w->d.id : "none",
	                 w->d.reason[0] ? w->d.reason : "not tried yet");
}

/* secondary-stale: each secondary asked for the _mta-sts id, as senders behind it see it. */
static void judge_secondaries(const struct own *w, const char *domain,
                              const struct check_opts *o, int64_t deadline,
                              struct check_result *r)
{
	char name[300], txt[4][CHECK_DNS_TXT_MAX], why[256], id[64];
	snprintf(name, sizeof(name), "_mta-sts.%s", domain);
	for (size_t i = 0; i < w->n_sec && w->d.id[0] && !(o->cancel && atomic_load(o->cancel));
	     i++) {
		struct check_dns *d = NULL;
		size_t n = 0;
		bool cname;
		id[0] = 0;
		int rc = check_dns_open(&d, w->secondaries[i], deadline, why, sizeof(why));
		check_dns_set_cancel(d, o->cancel);
		if (rc == 0)
			rc = check_dns_txt(d, name, txt, 4, &n, &cname, why, sizeof(why));
		check_dns_close(d);
		for (size_t k = 0; rc == 0 && k < n && !id[0]; k++)
			if (check_policy_txt(txt[k], id, sizeof(id), why, sizeof(why)) != 0)
				id[0] = 0;
		if (rc == 0 && strcmp(id, w->d.id) == 0)
			continue;
		check_result_add(r, "secondary-stale", w->secondaries[i],
		                 "check the secondary's transfers (NOTIFY, IXFR/AXFR, TSIG)",
		                 "serves id %s, the primary %s%s%s", rc ? "nothing" : id[0] ? id : "none",
		                 w->d.id, rc ? ": " : "", rc ? why : "");
	}
}

/* endpoint-stale: each httpsd endpoint the publish step verifies serves the current body. */
static int judge_endpoints(const struct own *w, const char *domain, const struct config *cfg,
                           int64_t deadline, struct check_result *r, char *err, size_t errlen)
{
	char host[300], list[1024], why[256];
	struct sts_fetch *f = NULL;
	uint8_t *got = malloc(STS_FETCH_BODY_MAX);
	int rc = 0;
	if (cfg == NULL || cfg->sts_endpoints == NULL || w->body == NULL)
		goto out;
	if (got == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	/* The endpoints are checked as the publish step checks them: its trust store. */
	if ((rc = sts_fetch_open(&f, cfg->sts_trust_store ? cfg->sts_trust_store :
	                         CHECK_SYSTEM_CA, err, errlen)) != 0)
		goto out;
	snprintf(host, sizeof(host), "mta-sts.%s", domain);
	snprintf(list, sizeof(list), "%s", cfg->sts_endpoints);
	char *save = NULL;
	for (char *ep = strtok_r(list, " \t,", &save); ep; ep = strtok_r(NULL, " \t,", &save)) {
		size_t len = 0;
		int64_t left = deadline - clock_mono_ms();
		int frc = sts_fetch_get(f, ep, host, left > 0 ? (int)left : 1, got, STS_FETCH_BODY_MAX,
		                        &len, why, sizeof(why));
		if (frc == 0 && len == w->len && memcmp(got, w->body, len) == 0)
			continue;
		check_result_add(r, "endpoint-stale", ep,
		                 "check that httpsd runs on this endpoint and reads this store",
		                 frc ? "does not serve the current policy: %s"
		                     : "serves another policy body than the current one%s",
		                 frc ? why : "");
	}
out:
	sts_fetch_close(f);
	free(got);
	return rc;
}

int check_own(const char *domain, const struct check_opts *o, int64_t deadline,
              struct check_result *r, char *err, size_t errlen)
{
	struct own *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return -ENOMEM;
	int rc = own_read(o->own_store, domain, w);
	if (rc == 1) {
		rc = 0;   /* not ours: the outside checks are all there is */
	} else if (rc == 0) {
		check_result_ran(r, "own");
		judge_state(w, domain, r);
		judge_secondaries(w, domain, o, deadline, r);
		if (!(o->cancel && atomic_load(o->cancel)))
			rc = judge_endpoints(w, domain, o->cfg, deadline, r, err, errlen);
	} else {
		snprintf(err, errlen, "the store: %s", ls_strerror(rc));
	}
	free(w->body);
	free(w);
	return rc;
}
