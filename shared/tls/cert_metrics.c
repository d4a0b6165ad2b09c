/* Certificate expiry for /metrics, from the same listing `zonectl cert list` shows. */
#include <stdio.h>
#include "shared/tls/cert.h"
#include "shared/tls/cert_metrics.h"

struct listing {
	struct metrics_buf *b;
	char name[128];
	uint64_t unusable;
};

static int one(const struct cert_info *info, void *ctx)
{
	struct listing *l = ctx;
	if (info->error) {
		l->unusable++;
		return 0;
	}
	metrics_double(l->b, l->name, (const char *[]){ "name", info->host, NULL },
	               (double)info->not_after);
	return 0;
}

int cert_metrics_write(struct cert_metrics *cm, struct metrics_buf *b, const char *prefix,
                       const char *state_dir, int64_t now)
{
	if (cm->at == 0 || now - cm->at >= CERT_METRICS_TTL || now < cm->at) {
		struct metrics_buf fresh = { 0 };
		struct listing l = { &fresh, "", 0 };
		char unusable[128];
		snprintf(l.name, sizeof(l.name), "%s_certificate_expiry_seconds", prefix);
		snprintf(unusable, sizeof(unusable), "%s_certificates_unusable", prefix);
		metrics_family(&fresh, l.name, "gauge",
		               "Unix time at which the certificate served for this name expires.");
		int rc = cert_list(state_dir, one, &l);
		metrics_family(&fresh, unusable, "gauge",
		               "Names under STATE/certs whose files cannot be served (see zonectl cert "
		               "list).");
		metrics_u64(&fresh, unusable, NULL, l.unusable);
		if (rc == 0)
			rc = metrics_buf_error(&fresh);
		if (rc) {
			metrics_buf_free(&fresh);
			return rc;
		}
		metrics_buf_free(&cm->text);
		cm->text = fresh;
		cm->at = now;
	}
	metrics_buf_append(b, cm->text.p ? cm->text.p : "", cm->text.len);
	return metrics_buf_error(b);
}

void cert_metrics_free(struct cert_metrics *cm)
{
	metrics_buf_free(&cm->text);
	cm->at = 0;
}
