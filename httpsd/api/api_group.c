/* The group commit: one write transaction for the PATCHes ready together, one sync. */
#include <string.h>
#include "httpsd/api/api_group.h"
#include "shared/store/zone_edit.h"
#include "shared/util/clock.h"

bool api_group_joins(const struct api_req *req)
{
	return api_counters_kind(req) == API_KIND_RRSETS;
}


static bool changed(const struct api_reply *r)
{
	return r->status >= 200 && r->status < 300;
}

/* Whether a successful answer to q means a commit (notify and a zone's PUT write nothing). */
static bool commits(const struct api_req *q)
{
	enum api_kind kind = api_counters_kind(q);
	return kind == API_KIND_RRSETS || kind == API_KIND_MTASTS ||
	       (kind == API_KIND_ZONES && (q->method == API_POST || q->method == API_DELETE));
}

/* One call in a transaction of its own, timed when it wrote. */
static void one(struct api_call *c, struct api_reply *r, struct api_counters *k)
{
	double t0 = clock_mono_s();
	api_route(c, r);
	if (changed(r) && commits(c->req))
		api_counters_commit(k, clock_mono_s() - t0, 1);
}

/* The calls that join, answered again each in a transaction of its own. */
static void alone(struct api_call **calls, struct api_reply **replies, size_t n,
                  struct api_counters *k)
{
	for (size_t i = 0; i < n; i++) {
		if (!api_group_joins(calls[i]->req))
			continue;
		api_reply_free(replies[i]);
		memset(replies[i], 0, sizeof(*replies[i]));
		one(calls[i], replies[i], k);
	}
}

void api_group_run(struct api_call **calls, struct api_reply **replies, size_t n,
                   struct api_counters *k)
{
	struct zone_batch b;
	struct store *st = NULL;
	size_t joined = 0, hint = 0;
	for (size_t i = 0; i < n; i++) {
		if (api_group_joins(calls[i]->req)) {
			joined++;
			hint += calls[i]->body_len + API_GROUP_HINT;
			st = calls[i]->env->st;
		} else {
			one(calls[i], replies[i], k);     /* its own transaction, as before */
		}
	}
	if (joined < 2) {
		alone(calls, replies, n, k);
		return;
	}
	/* A map too small for the guess ends in LS_EMAPFULL: then each alone grows it. */
	if (hint > ZONE_BATCH_HINT_MAX)
		hint = ZONE_BATCH_HINT_MAX;
	double t0 = clock_mono_s();
	bool ok = zone_batch_begin(st, hint, &b) == 0;
	for (size_t i = 0; ok && i < n; i++) {
		if (!api_group_joins(calls[i]->req))
			continue;
		calls[i]->batch = &b;
		calls[i]->batch_rc = 0;
		api_route(calls[i], replies[i]);
		calls[i]->batch = NULL;
		ok = calls[i]->batch_rc == 0;
	}
	if (ok && b.edits == 0) {
		zone_batch_abort(&b);     /* every one refused or unchanged: nothing to sync */
		return;
	}
	if (ok && zone_batch_commit(&b) == 0) {
		size_t landed = 0;
		for (size_t i = 0; i < n; i++)
			landed += api_group_joins(calls[i]->req) && changed(replies[i]);
		api_counters_commit(k, clock_mono_s() - t0, landed);
		return;
	}
	/* The map filled or the store failed: nothing of the batch is written; each again alone
	 * (zone_edit_run grows the map). */
	zone_batch_abort(&b);
	alone(calls, replies, n, k);
}
