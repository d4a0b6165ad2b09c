/* An alert's webhook: one JSON POST over http:// or https://, with a bounded time. */
#ifndef LS_ALERT_WEBHOOK_H
#define LS_ALERT_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>

#define ALERT_SYSTEM_CA "/etc/ssl/certs/ca-certificates.crt"

/* True when url is http[s]://HOST[:PORT][/PATH] (IPv6 hosts in brackets). */
bool alert_webhook_valid(const char *url);
/*
 * POSTs body (Content-Type: application/json) to url through sts_fetch_request(); https
 * verifies the server against ca (a PEM file; NULL or "" for ALERT_SYSTEM_CA) and the URL's
 * host name. Everything, from the name lookup to the answer's head, within timeout_ms. 0 for
 * a 2xx answer, else a negative code with the reason in err.
 */
int alert_webhook_post(const char *url, const char *body, size_t len, const char *ca,
                       int timeout_ms, char *err, size_t errlen);

#endif
