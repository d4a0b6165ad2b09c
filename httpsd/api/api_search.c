/* search-data over the zones a token may see, and dnsd's counters as PowerDNS statistics. */
#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dnsd/stats.h"
#include "httpsd/api/api_counters.h"
#include "httpsd/api/api_search.h"
#include "httpsd/api/api_util.h"
#include "shared/dns/rrtext.h"
#include "shared/store/zone_walk.h"
#include "shared/util/err.h"

struct search {
	const char *q;
	json_t *out;
	size_t max;
	const char *zone;
};

/* PowerDNS's patterns: '*' (any run) and '?' (one character), case-insensitive, over the
 * whole text; nothing else is special. One star is remembered at a time, so the cost is at
 * most the pattern's length times the text's, whatever the pattern. */
static bool glob(const char *p, const char *s, size_t n)
{
	const char *star = NULL, *end = s + n, *resume = NULL;
	while (s < end) {
		if (*p == '?' || (*p && *p != '*' && tolower((unsigned char)*p) ==
		                                        tolower((unsigned char)*s))) {
			p++, s++;
		} else if (*p == '*') {
			star = p++;
			resume = s;
		} else if (star) {
			p = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*p == '*')
		p++;
	return *p == 0;
}

/* A name matches with or without its final dot. */
static bool match(const char *q, const char *text)
{
	size_t n = strlen(text);
	return glob(q, text, n) || (n > 1 && text[n - 1] == '.' && glob(q, text, n - 1));
}

static int search_rr(const struct rr *rr, void *ctx)
{
	struct search *s = ctx;
	char name[DNAME_STR_MAX], tn[16];
	if (json_array_size(s->out) >= s->max)
		return 1;
	char *text = rr_format(rr);
	if (text == NULL)
		return -ENOMEM;
	const char *content = text;
	for (int i = 0; i < 4 && content; i++) {
		content = strchr(content, '\t');
		content = content ? content + 1 : NULL;
	}
	api_util_name(name, rr->owner);
	if (match(s->q, name) || (content && match(s->q, content)))
		json_array_append_new(s->out, json_pack("{s:s,s:b,s:s,s:s,s:I,s:s,s:s,s:s}",
		                      "content", content ? content : "", "disabled", 0, "name", name,
		                      "object_type", "record", "ttl", (json_int_t)rr->ttl,
		                      "type", rr_type_name(rr->type, tn, sizeof(tn)),
		                      "zone", s->zone, "zone_id", s->zone));
	free(text);
	return 0;
}

void api_search_data(struct api_call *c, struct api_reply *r)
{
	char q[API_PARAM_MAX], maxs[API_PARAM_MAX], zone[DNAME_STR_MAX];
	struct store_txn t = { 0 };
	struct zone_info *zones = NULL;
	size_t n = 0;
	if (api_request_param(c->req, "q", q) < 1) {
		api_reply_error(r, 422, "q: give a pattern ('*' and '?' are wildcards)");
		return;
	}
	struct search s = { q, json_array(), API_SEARCH_MAX_DEFAULT, zone };
	if (api_request_param(c->req, "max", maxs) >= 0) {
		char *end;
		unsigned long m = strtoul(maxs, &end, 10);
		if (*maxs < '0' || *maxs > '9' || *end || m < 1 || m > API_SEARCH_MAX) {
			json_decref(s.out);
			api_reply_error(r, 422, "max must be a number from 1 to %d", API_SEARCH_MAX);
			return;
		}
		s.max = m;
	}
	int rc = store_begin(c->env->st, false, 0, &t);
	if (rc == 0)
		rc = zone_list(&t, &zones, &n);
	for (size_t i = 0; rc == 0 && i < n && json_array_size(s.out) < s.max; i++) {
		if (!api_token_allows(&c->tk, zones[i].apex))
			continue;
		api_util_name(zone, zones[i].apex);
		if (match(q, zone))
			json_array_append_new(s.out, json_pack("{s:s,s:s,s:s}", "name", zone,
			                      "object_type", "zone", "zone_id", zone));
		rc = zone_walk(&t, &zones[i], NULL, 0, search_rr, &s);
		if (rc == 1)
			rc = 0;
	}
	store_abort(&t);
	free(zones);
	if (rc) {
		json_decref(s.out);
		api_reply_error(r, 500, "cannot search: %s", ls_strerror(rc));
		return;
	}
	api_reply_json(r, 200, s.out);
}

void api_search_statistics(struct api_call *c, struct api_reply *r)
{
	char path[4096], line[256], name[128];
	unsigned long long v;
	json_t *out = json_array();
	snprintf(path, sizeof(path), "%s/%s", c->env->state, STATS_FILE);
	FILE *f = fopen(path, "r");
	/* No file: dnsd has not run here yet; no counters is the truthful answer. */
	for (size_t n = 0; f && n < API_STATS_MAX && fgets(line, sizeof(line), f); n++) {
		if (sscanf(line, "%127s %llu", name, &v) != 2)
			continue;
		snprintf(line, sizeof(line), "%llu", v);
		json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "name", name, "type",
		                                     "StatisticItem", "value", line));
	}
	if (f)
		fclose(f);
	api_counters_statistics(c->env->counters, out);
	api_reply_json(r, 200, out);
}
