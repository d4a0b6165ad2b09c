/* Certificate expiry for /metrics: facts kept off the event loop, rendered from memory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "shared/tls/cert_metrics.h"

static void facts_free(struct cert_fact *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i].host);
	free(f);
}

int cert_metrics_init(struct cert_metrics *cm, const char *state_dir, uint32_t max_names)
{
	memset(cm, 0, sizeof(*cm));
	if ((cm->state_dir = strdup(state_dir)) == NULL)
		return -ENOMEM;
	cm->max_names = max_names;
	pthread_mutex_init(&cm->mu, NULL);
	pthread_cond_init(&cm->cv, NULL);
	cm->ready = true;
	return 0;
}

int cert_metrics_refresh(struct cert_metrics *cm, int64_t now)
{
	char **hosts;
	size_t n, j = 0;
	int rc = cert_hosts(cm->state_dir, &hosts, &n);
	if (rc)
		return rc;
	struct cert_fact *fresh = n ? calloc(n, sizeof(*fresh)) : NULL;
	if (n && fresh == NULL) {
		cert_hosts_free(hosts, n);
		return -ENOMEM;
	}
	/* Only this thread changes cm->facts, so reading them unlocked here is safe. */
	for (size_t i = 0; i < n; i++) {
		struct cert_fact *f = &fresh[i];
		f->host = hosts[i];
		hosts[i] = NULL;
		if (cert_stamp_get(cm->state_dir, f->host, &f->stamp) != 0)
			continue;
		while (j < cm->n && strcmp(cm->facts[j].host, f->host) < 0)
			j++;
		if (j < cm->n && strcmp(cm->facts[j].host, f->host) == 0 &&
		    cert_stamp_equal(&cm->facts[j].stamp, &f->stamp)) {
			f->not_after = cm->facts[j].not_after;
			f->usable = cm->facts[j].usable;
			continue;
		}
		struct cert_info info;
		cm->reads++;
		if (cert_info_get(cm->state_dir, f->host, &info) == 0) {
			f->not_after = info.not_after;
			f->usable = info.error == 0;
		}
	}
	cert_hosts_free(hosts, n);
	pthread_mutex_lock(&cm->mu);
	struct cert_fact *old = cm->facts;
	size_t nold = cm->n;
	cm->facts = fresh;
	cm->n = n;
	cm->at = now;
	pthread_mutex_unlock(&cm->mu);
	facts_free(old, nold);
	return 0;
}

static void *loop(void *arg)
{
	struct cert_metrics *cm = arg;
	pthread_mutex_lock(&cm->mu);
	while (!cm->stop) {
		pthread_mutex_unlock(&cm->mu);
		cert_metrics_refresh(cm, (int64_t)time(NULL));   /* a failure keeps the old facts */
		pthread_mutex_lock(&cm->mu);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += CERT_METRICS_TTL;
		while (!cm->stop && pthread_cond_timedwait(&cm->cv, &cm->mu, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&cm->mu);
	return NULL;
}

int cert_metrics_start(struct cert_metrics *cm, const char *state_dir, uint32_t max_names)
{
	int rc = cert_metrics_init(cm, state_dir, max_names);
	if (rc)
		return rc;
	if ((rc = pthread_create(&cm->thread, NULL, loop, cm)) != 0)
		return -rc;
	cm->running = true;
	return 0;
}

/* One gauge family with one sample. */
static void gauge(struct metrics_buf *b, const char *prefix, const char *suffix,
                  const char *help, double v)
{
	char name[128];
	snprintf(name, sizeof(name), "%s_%s", prefix, suffix);
	metrics_family(b, name, "gauge", help);
	metrics_double(b, name, NULL, v);
}

int cert_metrics_write(struct cert_metrics *cm, struct metrics_buf *b, const char *prefix,
                       int64_t now)
{
	char name[128];
	uint64_t usable = 0, unusable = 0, soon = 0, expired = 0, shown = 0;
	int64_t earliest = 0;
	if (!cm->ready)
		return metrics_buf_error(b);
	pthread_mutex_lock(&cm->mu);
	int64_t at = cm->at;
	if (at) {
		snprintf(name, sizeof(name), "%s_certificate_expiry_seconds", prefix);
		metrics_family(b, name, "gauge",
		               "Unix time at which the certificate served for this name expires.");
	}
	for (size_t i = 0; at && i < cm->n; i++) {
		const struct cert_fact *f = &cm->facts[i];
		if (!f->usable) {
			unusable++;
			continue;
		}
		usable++;
		if (earliest == 0 || f->not_after < earliest)
			earliest = f->not_after;
		if (f->not_after < now)
			expired++;
		else if (f->not_after < now + CERT_METRICS_SOON_DAYS * 86400)
			soon++;
		if (shown < cm->max_names) {
			shown++;
			metrics_double(b, name, (const char *[]){ "name", f->host, NULL },
			               (double)f->not_after);
		}
	}
	pthread_mutex_unlock(&cm->mu);
	if (at) {
		gauge(b, prefix, "certificate_names_omitted",
		      "Usable certificates left out of _certificate_expiry_seconds (metrics-cert-names).",
		      (double)(usable - shown));
		gauge(b, prefix, "certificates", "Names under STATE/certs with a usable certificate.",
		      (double)usable);
		gauge(b, prefix, "certificates_unusable",
		      "Names under STATE/certs whose files cannot be served (see zonectl cert list).",
		      (double)unusable);
		gauge(b, prefix, "certificate_expiry_earliest_seconds",
		      "Unix time at which the first usable certificate expires; 0 when none.",
		      (double)earliest);
		gauge(b, prefix, "certificates_expiring",
		      "Usable certificates with less than 14 days left, not yet expired.", (double)soon);
		gauge(b, prefix, "certificates_expired", "Usable certificates already expired.",
		      (double)expired);
	}
	gauge(b, prefix, "certificates_refresh_time_seconds",
	      "Unix time at which STATE/certs was last looked at; 0: not yet.", (double)at);
	return metrics_buf_error(b);
}

void cert_metrics_free(struct cert_metrics *cm)
{
	if (!cm->ready)
		return;
	if (cm->running) {
		pthread_mutex_lock(&cm->mu);
		cm->stop = true;
		pthread_cond_signal(&cm->cv);
		pthread_mutex_unlock(&cm->mu);
		pthread_join(cm->thread, NULL);
		cm->running = false;
	}
	facts_free(cm->facts, cm->n);
	cm->facts = NULL;
	cm->n = 0;
	free(cm->state_dir);
	cm->state_dir = NULL;
	pthread_mutex_destroy(&cm->mu);
	pthread_cond_destroy(&cm->cv);
	cm->ready = false;
}
