/* Summing the stored summary rows of TLS reports per domain and day. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "shared/util/err.h"
#include "shared/dns/dname.h"
#include "shared/sts/sts_record.h"
#include "shared/rpt/tlsrpt_parse.h"
#include "shared/rpt/tlsrpt_store.h"
#include "shared/rpt/tlsrpt_summary.h"

#define DAY 86400

int32_t tlsrpt_summary_day(int64_t t)
{
	return (int32_t)((t >= 0 ? t : t - DAY + 1) / DAY);
}

struct sum {
	struct store_txn *t;
	json_t *domains;            /* array, in the order rows come (domain, then day) */
	json_t *dom, *day;          /* the current ones */
	char dom_name[TLSRPT_DOMAIN_MAX];
	int32_t day_no;
	int64_t current;            /* the domain's policy version now, -1 when not enabled */
	uint64_t last_id;
};

static void add(json_t *obj, const char *key, json_int_t n)
{
	json_t *v = json_object_get(obj, key[0] ? key : TLSRPT_UNKNOWN);
	if (v)
		json_integer_set(v, json_integer_value(v) + n);
	else
		json_object_set_new(obj, key[0] ? key : TLSRPT_UNKNOWN, json_integer(n));
}

static int64_t current_version(struct store_txn *t, const char *domain)
{
	uint8_t name[DNAME_MAX];
	static const uint8_t root[1] = { 0 };
	struct sts_domain *d = malloc(sizeof(*d));
	int64_t v = -1;
	if (d && dname_parse(name, domain, root) > 0 && sts_record_get(t, name, d) == 0 &&
	    d->state == STS_ACTIVE)
		v = (int64_t)d->version;
	free(d);
	return v;
}

static json_t *new_day(int32_t day)
{
	char text[16];
	time_t t = (time_t)day * DAY;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(text, sizeof(text), "%Y-%m-%d", &tm);
	return json_pack("{s:s,s:i,s:[],s:i,s:i,s:i,s:i,s:{},s:{},s:{},s:i,s:i}", "day", text,
	                 "reports", 0, "organizations", "successful", 0, "failed", 0,
	                 "failed_in_details", 0, "difference", 0, "result_types", "mx",
	                 "sending_ips", "older_policy_sessions", 0, "unknown_policy_sessions", 0);
}

static void bump(json_t *o, const char *key, json_int_t n)
{
	json_object_set_new(o, key, json_integer(json_integer_value(json_object_get(o, key)) + n));
}

static int row_fn(const char *domain, int32_t day, uint64_t id, json_t *row, void *ctx)
{
	struct sum *s = ctx;
	if (s->dom == NULL || strcmp(domain, s->dom_name) != 0) {
		snprintf(s->dom_name, sizeof(s->dom_name), "%s", domain);
		s->current = current_version(s->t, domain);
		s->dom = json_pack("{s:s,s:o,s:[]}", "domain", domain, "current_version",
		                   s->current < 0 ? json_null() : json_integer(s->current), "days");
		json_array_append_new(s->domains, s->dom);
		s->day = NULL;
		s->last_id = 0;
	}
	if (s->day == NULL || day != s->day_no) {
		s->day = new_day(day);
		s->day_no = day;
		s->last_id = 0;
		json_array_append_new(json_object_get(s->dom, "days"), s->day);
	}
	if (s->day == NULL)
		return -ENOMEM;
	if (id != s->last_id)
		bump(s->day, "reports", 1);
	s->last_id = id;
	json_t *orgs = json_object_get(s->day, "organizations"), *org = json_object_get(row, "org");
	bool seen = false;
	size_t i;
	json_t *o;
	json_array_foreach(orgs, i, o)
		seen = seen || json_equal(o, org);
	if (!seen)
		json_array_append(orgs, org);
	json_int_t ok = json_integer_value(json_object_get(row, "success"));
	json_int_t failed = json_integer_value(json_object_get(row, "failure"));
	json_int_t in_details = 0;
	bump(s->day, "successful", ok);
	bump(s->day, "failed", failed);
	json_t *d, *ver = json_object_get(row, "version");
	json_array_foreach(json_object_get(row, "details"), i, d) {
		json_int_t n = json_integer_value(json_object_get(d, "count"));
		in_details += n;
		add(json_object_get(s->day, "result_types"),
		    json_string_value(json_object_get(d, "type")) ?: "", n);
		add(json_object_get(s->day, "mx"), json_string_value(json_object_get(d, "mx")) ?: "", n);
		add(json_object_get(s->day, "sending_ips"),
		    json_string_value(json_object_get(d, "ip")) ?: "", n);
	}
	bump(s->day, "failed_in_details", in_details);
	bump(s->day, "difference", failed - in_details);
	if (json_is_null(ver))
		bump(s->day, "unknown_policy_sessions", ok + failed);
	else if (s->current >= 0 && json_integer_value(ver) < s->current)
		bump(s->day, "older_policy_sessions", ok + failed);
	return 0;
}

int tlsrpt_summary_get(struct store_txn *t, const char *domain, int32_t from_day, json_t **out)
{
	struct sum s = { .t = t, .domains = json_array() };
	if (s.domains == NULL)
		return -ENOMEM;
	int rc = tlsrpt_store_rows(t, domain, from_day, row_fn, &s);
	if (rc) {
		json_decref(s.domains);
		return rc;
	}
	*out = json_pack("{s:o}", "domains", s.domains);
	return *out ? 0 : -ENOMEM;
}

struct list {
	const char *domain;
	json_t *reports;
};

static int list_fn(const struct tlsrpt_entry *e, void *ctx)
{
	struct list *l = ctx;
	size_t i;
	json_t *d;
	bool mine = false;
	json_array_foreach(json_object_get(e->facts, "domains"), i, d)
		mine = mine || strcmp(json_string_value(d) ?: "", l->domain) == 0;
	if (!mine)
		return 0;
	json_t *f = e->facts;
	json_array_append_new(l->reports, json_pack("{s:I,s:O,s:O,s:O,s:O,s:I,s:O,s:O,s:O}",
	                      "id", (json_int_t)e->id, "organization", json_object_get(f, "org"),
	                      "report_id", json_object_get(f, "report_id"),
	                      "start", json_object_get(f, "start"), "end", json_object_get(f, "end"),
	                      "received", (json_int_t)e->received,
	                      "successful", json_object_get(f, "success"),
	                      "failed", json_object_get(f, "failure"),
	                      "misaddressed", json_object_get(f, "misaddressed")));
	return 0;
}

int tlsrpt_summary_list(struct store_txn *t, const char *domain, json_t **out)
{
	struct list l = { domain, json_array() };
	int rc = l.reports ? tlsrpt_store_each(t, list_fn, &l) : -ENOMEM;
	if (rc) {
		json_decref(l.reports);
		return rc;
	}
	*out = json_pack("{s:o}", "reports", l.reports);
	return *out ? 0 : -ENOMEM;
}

struct enforce {
	struct tlsrpt_enforce *out;
	const char *body;          /* the current policy, or NULL */
	size_t blen;
	uint64_t last_id;
};

/* Failures about fetching or trusting the policy itself: they name no MX. */
static bool policy_host_type(const char *type)
{
	return strcmp(type, "sts-policy-fetch-error") == 0 ||
	       strcmp(type, "sts-policy-invalid") == 0 || strcmp(type, "sts-webpki-invalid") == 0;
}

static int enforce_fn(const char *domain, int32_t day, uint64_t id, json_t *row, void *ctx)
{
	struct enforce *e = ctx;
	size_t i;
	json_t *d;
	if (id != e->last_id)
		e->out->reports++;
	e->last_id = id;
	json_array_foreach(json_object_get(row, "details"), i, d) {
		const char *type = json_string_value(json_object_get(d, "type")) ?: "";
		const char *mx = json_string_value(json_object_get(d, "mx")) ?: "";
		json_int_t n = json_integer_value(json_object_get(d, "count"));
		bool host = policy_host_type(type);
		if (n <= 0 || (!host && !(mx[0] && e->body &&
		                          tlsrpt_parse_names_mx(e->body, e->blen, mx))))
			continue;
		if (e->out->blocking == 0)
			snprintf(e->out->why, sizeof(e->out->why), "%lld session%s %s failed with %s "
			         "(%s)", (long long)n, n == 1 ? "" : "s", host ? "to the policy host" :
			         mx, type, json_string_value(json_object_get(row, "org")) ?: "?");
		e->out->blocking += (uint64_t)n;
	}
	(void)domain, (void)day;
	return 0;
}

int tlsrpt_summary_enforce(struct store_txn *t, const char *domain, int32_t from_day,
                           struct tlsrpt_enforce *out)
{
	static const uint8_t root[1] = { 0 };
	uint8_t name[DNAME_MAX];
	const uint8_t *body;
	size_t len;
	struct enforce e = { out, NULL, 0, 0 };
	memset(out, 0, sizeof(*out));
	if (dname_parse(name, domain, root) > 0 && sts_record_body(t, name, &body, &len, NULL) == 0) {
		e.body = (const char *)body;
		e.blen = len;
	}
	return tlsrpt_store_rows(t, domain, from_day, enforce_fn, &e);
}

/* The UTC day number of a "YYYY-MM-DD" text. */
static int32_t day_of(const char *text)
{
	int64_t t;
	char full[32];
	snprintf(full, sizeof(full), "%sT00:00:00Z", text ? text : "");
	return tlsrpt_parse_time(full, &t) == 0 ? tlsrpt_summary_day(t) : INT32_MIN;
}

static bool has_key(json_t *obj, const char *key)
{
	return json_object_get(obj, key) != NULL;
}

int tlsrpt_summary_alerts(json_t *sum, unsigned percent, int32_t from_day,
                          void (*fn)(const char *domain, const char *day, const char *text,
                                     void *ctx),
                          void *ctx)
{
	size_t i, k;
	json_t *d, *day;
	char text[TLSRPT_ALERT_MAX];
	int n = 0;
	json_array_foreach(json_object_get(sum, "domains"), i, d) {
		const char *domain = json_string_value(json_object_get(d, "domain")) ?: "";
		json_t *prev = NULL;
		json_array_foreach(json_object_get(d, "days"), k, day) {
			const char *date = json_string_value(json_object_get(day, "day"));
			int32_t no = day_of(date);
			json_t *before = prev && day_of(json_string_value(json_object_get(prev, "day"))) ==
			                 no - 1 ? json_object_get(prev, "result_types") : NULL;
			prev = day;
			if (no < from_day)
				continue;
			const char *type;
			json_t *v;
			json_object_foreach(json_object_get(day, "result_types"), type, v) {
				if (before && has_key(before, type))
					continue;
				snprintf(text, sizeof(text), "failure type %s (%lld sessions), absent the day "
				         "before", type, (long long)json_integer_value(v));
				fn(domain, date, text, ctx);
				n++;
			}
			json_int_t ok = json_integer_value(json_object_get(day, "successful"));
			json_int_t bad = json_integer_value(json_object_get(day, "failed"));
			if (bad > 0 && (uint64_t)bad * 100 > (uint64_t)percent * (uint64_t)(ok + bad)) {
				snprintf(text, sizeof(text), "%lld of %lld sessions failed (%.2f%%, over "
				         "tlsrpt.alert-percent %u%%)", (long long)bad, (long long)(ok + bad),
				         100.0 * (double)bad / (double)(ok + bad), percent);
				fn(domain, date, text, ctx);
				n++;
			}
		}
	}
	return n;
}
