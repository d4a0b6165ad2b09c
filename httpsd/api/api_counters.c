/* The API's counters in shared memory: relaxed atomics, written by the API process, read by
 * httpsd's /metrics and by the API's statistics endpoint. */
#include <string.h>
#include <sys/mman.h>
#include "httpsd/api/api_counters.h"
#include "httpsd/api/api_route.h"

#define ADD(x, v) atomic_fetch_add_explicit(&(x), (v), memory_order_relaxed)
#define GET(x) atomic_load_explicit(&(x), memory_order_relaxed)

static const char *const kinds[API_KIND_N] = { "server", "zones", "rrsets", "mta-sts",
                                               "search", "static", "other" };
static const char *const classes[API_CLASSES] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
/* Seconds: a commit with its sync is about a millisecond on an idle disk. */
static const double bounds[API_COMMIT_BUCKETS] = { 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02,
                                                   0.05, 0.1, 0.5 };

struct api_counters *api_counters_map(void)
{
	void *p = mmap(NULL, sizeof(struct api_counters), PROT_READ | PROT_WRITE,
	               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;     /* anonymous memory is zero */
}

void api_counters_unmap(struct api_counters *k)
{
	if (k)
		munmap(k, sizeof(*k));
}

enum api_kind api_counters_kind(const struct api_req *req)
{
	static const char zones[] = API_PREFIX "/zones";
	const char *p = req->path;
	if (strncmp(p, "/ui", 3) == 0 || strcmp(p, "/api/openapi.json") == 0)
		return API_KIND_STATIC;
	if (strcmp(p, "/api") == 0 || strcmp(p, "/api/") == 0 || strcmp(p, "/api/v1/servers") == 0 ||
	    strcmp(p, API_PREFIX) == 0 || strcmp(p, API_PREFIX "/") == 0)
		return API_KIND_SERVER;
	if (strncmp(p, API_PREFIX "/search-data", sizeof(API_PREFIX "/search-data") - 1) == 0 ||
	    strncmp(p, API_PREFIX "/statistics", sizeof(API_PREFIX "/statistics") - 1) == 0)
		return API_KIND_SEARCH;
	if (strncmp(p, zones, sizeof(zones) - 1) != 0)
		return API_KIND_OTHER;
	p += sizeof(zones) - 1;
	if (*p == 0 || (p[0] == '/' && p[1] == 0))
		return API_KIND_ZONES;
	if (*p++ != '/')
		return API_KIND_OTHER;
	const char *slash = strchr(p, '/');
	if (slash && strncmp(slash, "/mta-sts", 8) == 0 && (slash[8] == 0 || slash[8] == '/'))
		return API_KIND_MTASTS;
	if (req->method == API_PATCH && (slash == NULL || slash[1] == 0))
		return API_KIND_RRSETS;
	return API_KIND_ZONES;
}

void api_counters_request(struct api_counters *k, const struct api_req *req, int status)
{
	if (k == NULL || status < 100 || status > 599)
		return;
	ADD(k->requests[api_counters_kind(req)][status / 100 - 1], 1);
	if (status == 401)
		ADD(k->auth_failures, 1);
	else if (status == 429)
		ADD(k->rate_limited, 1);
}

void api_counters_commit(struct api_counters *k, double seconds, size_t requests)
{
	if (k == NULL)
		return;
	size_t b = 0;
	while (b < API_COMMIT_BUCKETS && seconds > bounds[b])
		b++;
	ADD(k->commits, 1);
	ADD(k->committed, requests);
	ADD(k->commit_us, (uint_fast64_t)(seconds * 1e6));
	ADD(k->commit_hist[b], 1);
}

void api_counters_render(const struct api_counters *k, struct metrics_buf *b)
{
	struct api_counters *m = (struct api_counters *)k;     /* atomic loads want non-const */
	uint64_t hist[API_COMMIT_BUCKETS + 1];
	metrics_family(b, "httpsd_api_requests_total", "counter",
	               "API answers, by what was asked (kind) and status class.");
	for (size_t i = 0; i < API_KIND_N; i++)
		for (size_t c = 0; c < API_CLASSES; c++)
			metrics_u64(b, "httpsd_api_requests_total",
			            (const char *[]){ "kind", kinds[i], "class", classes[c], NULL },
			            GET(m->requests[i][c]));
	metrics_family(b, "httpsd_api_auth_failures_total", "counter",
	               "API requests without a valid token (401).");
	metrics_u64(b, "httpsd_api_auth_failures_total", NULL, GET(m->auth_failures));
	metrics_family(b, "httpsd_api_rate_limited_total", "counter",
	               "API requests refused with 429: too many failed authentications from "
	               "their address.");
	metrics_u64(b, "httpsd_api_rate_limited_total", NULL, GET(m->rate_limited));
	metrics_family(b, "httpsd_api_committed_requests_total", "counter",
	               "API write requests made durable (a group commit carries several).");
	metrics_u64(b, "httpsd_api_committed_requests_total", NULL, GET(m->committed));
	for (size_t i = 0; i <= API_COMMIT_BUCKETS; i++)
		hist[i] = GET(m->commit_hist[i]);
	metrics_family(b, "httpsd_api_commit_seconds", "histogram",
	               "Durable write commits of the API, from the transaction's start to its "
	               "sync; one per group commit.");
	metrics_histogram(b, "httpsd_api_commit_seconds", NULL, bounds, hist, API_COMMIT_BUCKETS,
	                  (double)GET(m->commit_us) / 1e6);
	metrics_family(b, "httpsd_api_reloads_total", "counter",
	               "API processes started by a SIGHUP with a good configuration.");
	metrics_u64(b, "httpsd_api_reloads_total", NULL, GET(m->reloads));
}

static void item(json_t *out, const char *name, uint64_t v)
{
	char text[32];
	snprintf(text, sizeof(text), "%llu", (unsigned long long)v);
	json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "name", name, "type",
	                                     "StatisticItem", "value", text));
}

void api_counters_statistics(const struct api_counters *k, json_t *out)
{
	struct api_counters *m = (struct api_counters *)k;
	char name[64];
	if (m == NULL)
		return;
	for (size_t c = 0; c < API_CLASSES; c++) {
		uint64_t n = 0;
		for (size_t i = 0; i < API_KIND_N; i++)
			n += GET(m->requests[i][c]);
		snprintf(name, sizeof(name), "api-requests-%s", classes[c]);
		item(out, name, n);
	}
	item(out, "api-auth-failures", GET(m->auth_failures));
	item(out, "api-rate-limited", GET(m->rate_limited));
	item(out, "api-commits", GET(m->commits));
	item(out, "api-committed-requests", GET(m->committed));
	item(out, "api-commit-usec", GET(m->commit_us));
}
