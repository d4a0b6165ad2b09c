/* An alert's webhook: one JSON POST over http:// or https://, within a bounded time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "shared/sts/sts_fetch.h"
#include "shared/util/alert_webhook.h"
#include "shared/util/err.h"

bool alert_webhook_valid(const char *url)
{
	struct sts_fetch_url u;
	return sts_fetch_url_parse(url, &u) == 0;
}

int alert_webhook_post(const char *url, const char *body, size_t len, const char *ca,
                       int timeout_ms, char *err, size_t errlen)
{
	struct sts_fetch_url u;
	struct sts_fetch *f = NULL;
	struct sts_fetch_req q = { "POST", url, "application/json", body, len, timeout_ms,
	                           "lockstep-alert", true };
	struct http_response h;
	char *answer = NULL;
	size_t alen;
	int rc;
	if (sts_fetch_url_parse(url, &u) != 0) {
		snprintf(err, errlen, "not an http[s]:// URL");
		return LS_EPARSE;
	}
	/* A trust store only for https: loading the system's costs milliseconds a post. */
	if (u.tls && (rc = sts_fetch_open(&f, ca && *ca ? ca : ALERT_SYSTEM_CA, err, errlen)) != 0)
		return rc;
	rc = sts_fetch_request(f, &q, &h, &answer, &alen, err, errlen);
	if (rc == 0 && (h.status < 200 || h.status > 299)) {
		snprintf(err, errlen, "HTTP status %d", h.status);
		rc = -EPROTO;
	}
	free(answer);
	sts_fetch_close(f);
	return rc;
}
