/* What the stored TLS reports say, per domain and day: the numbers `zonectl tlsrpt summary`
 * and `tlsrpt list` print, and `mta-sts mode enforce` weighs. */
#ifndef LS_TLSRPT_SUMMARY_H
#define LS_TLSRPT_SUMMARY_H

#include <stdint.h>
#include <jansson.h>
#include "shared/store/store.h"

#define TLSRPT_UNKNOWN "unknown"     /* the bucket for a missing MX, IP or policy version */

/* Days since 1970-01-01 (UTC) of t. */
int32_t tlsrpt_summary_day(int64_t t);
/*
 * The summary of domain (every domain with reports when NULL) for the days from from_day on:
 * {"domains":[{"domain","current_version","days":[{"day","reports","organizations":[],
 * "successful","failed","failed_in_details","difference","result_types":{},"mx":{},
 * "sending_ips":{},"older_policy_sessions","unknown_policy_sessions"}]}]}, days oldest first.
 * Returns 0 and *out (free with json_decref()), or an error.
 */
int tlsrpt_summary_get(struct store_txn *t, const char *domain, int32_t from_day, json_t **out);
/* The reports counted for domain: {"reports":[{"id","organization","report_id","start","end",
 * "received","successful","failed","misaddressed"}]}, oldest first. */
int tlsrpt_summary_list(struct store_txn *t, const char *domain, json_t **out);

/* What the reports say about switching a domain to enforce. */
struct tlsrpt_enforce {
	size_t reports;           /* reports counted for the domain in the days looked at */
	uint64_t blocking;        /* failed sessions that enforce would turn into failed deliveries */
	char why[512];            /* the first of them, one line; "" when none */
};

/*
 * Reads the rows of domain (text form, lower case) from from_day on into out: failures that
 * block are those of an MX host the current policy still names, and those about the policy
 * host itself (sts-policy-fetch-error, sts-policy-invalid, sts-webpki-invalid), which name
 * no MX. Returns 0 or an error.
 */
int tlsrpt_summary_enforce(struct store_txn *t, const char *domain, int32_t from_day,
                           struct tlsrpt_enforce *out);

#define TLSRPT_ALERT_MAX 256    /* bytes of one alert's text */

/*
 * The alerts a summary (tlsrpt_summary_get()) holds for its days from from_day on: each
 * failure type absent the day before, and each day whose failed sessions pass percent of its
 * sessions; fn gets domain, day ("YYYY-MM-DD") and a one-line text. Returns how many.
 */
int tlsrpt_summary_alerts(json_t *sum, unsigned percent, int32_t from_day,
                          void (*fn)(const char *domain, const char *day, const char *text,
                                     void *ctx),
                          void *ctx);

#endif
