/* The group commit: one write transaction for the PATCHes ready together, one sync. */
#include <string.h>
#include "httpsd/api/api_group.h"
#include "shared/store/zone_edit.h"

bool api_group_joins(const struct api_req *req)
{
	static const char zones[] = API_PREFIX "/zones/";
	if (req->method != API_PATCH || strncmp(req->path, zones, sizeof(zones) - 1) != 0)
		return false;
	const char *zone = req->path + sizeof(zones) - 1, *slash = strchr(zone, '/');
	return *zone && zone[0] != '/' && (slash == NULL || slash[1] == 0);
}

/* The calls that join, answered again each in a transaction of its own. */
static void alone(struct api_call **calls, struct api_reply **replies, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!api_group_joins(calls[i]->req))
			continue;
		api_reply_free(replies[i]);
		memset(replies[i], 0, sizeof(*replies[i]));
		api_route(calls[i], replies[i]);
	}
}

void api_group_run(struct api_call **calls, struct api_reply **replies, size_t n,
                   size_t *syncs)
{
	struct zone_batch b;
	struct store *st = NULL;
	size_t joined = 0, hint = 0;
	for (size_t i = 0; i < n; i++) {
		if (api_group_joins(calls[i]->req)) {
			joined++;
			hint += calls[i]->body_len * 4 + API_GROUP_HINT;
			st = calls[i]->env->st;
		} else {
			api_route(calls[i], replies[i]);     /* its own transaction, as before */
		}
	}
	if (joined < 2) {
		alone(calls, replies, n);
		return;
	}
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
		(*syncs)++;
		return;
	}
	/* The map filled or the store failed: nothing of the batch is written; each again alone
	 * (zone_edit_run grows the map). */
	zone_batch_abort(&b);
	alone(calls, replies, n);
}
