/*
 * One SMTP TLS report (RFC 8460 section 4) read from its JSON: lenient where real senders
 * differ (missing addresses, mx-host as a string or an array, no failure-details), strict where
 * a wrong value would be counted wrongly (counts, dates, the report's identity).
 */
#ifndef LS_TLSRPT_PARSE_H
#define LS_TLSRPT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TLSRPT_TEXT_MAX 256          /* one name, id, address or result type */
#define TLSRPT_POLICIES_MAX 1024     /* policies in one report */
#define TLSRPT_DETAILS_MAX 20000     /* failure-details in one report, all policies */
#define TLSRPT_MX_MAX 8              /* mx-host entries kept per policy */
#define TLSRPT_POLICY_TEXT_MAX 65536 /* bytes of one policy-string, normalised */
#define TLSRPT_COUNT_MAX 9007199254740991LL   /* 2^53 - 1: exact in every JSON reader */

struct tlsrpt_detail {
	char result_type[64];                 /* lower case; cut when longer */
	char sending_ip[64];                  /* "" when the sender gave none */
	char receiving_mx[TLSRPT_TEXT_MAX];   /* lower case, no trailing dot; "" when none */
	char receiving_ip[64];
	uint64_t count;
};

struct tlsrpt_policy {
	char type[32];                        /* "sts", "tlsa", "no-policy-found" */
	char domain[TLSRPT_TEXT_MAX];         /* policy-domain, lower case, no dot; "" when none */
	char mx[TLSRPT_MX_MAX][TLSRPT_TEXT_MAX];
	unsigned nmx;
	char *lines;                          /* policy-string normalised (tlsrpt_parse_lines), or NULL */
	uint64_t success, failure;            /* the summary's totals */
	struct tlsrpt_detail *details;
	size_t ndetails;
};

struct tlsrpt_report {
	char org[TLSRPT_TEXT_MAX];
	char report_id[TLSRPT_TEXT_MAX];
	int64_t start, end;                   /* date-range, seconds since the epoch */
	struct tlsrpt_policy *policies;
	size_t npolicies;
};

/*
 * Parses the report in json (len bytes). On success *out is the report (free with
 * tlsrpt_report_free()); else LS_EPARSE with why (one line, "policies[2].summary: ..."),
 * LS_ETOOBIG past a limit above, or -ENOMEM.
 */
int tlsrpt_parse(const char *json, size_t len, struct tlsrpt_report **out, char *why,
                 size_t whylen);
void tlsrpt_report_free(struct tlsrpt_report *r);
/*
 * A policy text as a set of lines: each line trimmed, "key:value" made "key: value" (lower
 * case), empty lines dropped, sorted, duplicates removed, joined with "\n". Senders reorder
 * and re-space the lines; equal sets give equal strings. Free with free(); NULL for no line or
 * no memory.
 */
char *tlsrpt_parse_lines(const char *const *lines, size_t n);
/* The same for a policy body (CRLF or LF lines). */
char *tlsrpt_parse_body(const char *body, size_t len);
/* True when host (lower case, no trailing dot) is one the "mx:" lines of the policy body
 * (len bytes) name: equal, or "*.suffix" with exactly one more label (RFC 8461 4.1). */
bool tlsrpt_parse_names_mx(const char *body, size_t len, const char *host);
/* RFC 3339 date-time (no zone: UTC) to seconds since the epoch. Returns 0 or LS_EPARSE. */
int tlsrpt_parse_time(const char *text, int64_t *out);

#endif
