/* PowerDNS-compatible zone endpoints over the store; edits go through zone_ops / zone_edit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "httpsd/api/api_rrsets.h"
#include "httpsd/api/api_util.h"
#include "httpsd/api/api_zones.h"
#include "shared/store/zone_ops.h"
#include "shared/store/zone_walk.h"
#include "shared/util/err.h"

void api_zones_list(struct api_call *c, struct api_reply *r)
{
	struct store_txn t = { 0 };
	struct zone_info *zones = NULL;
	size_t n = 0;
	uint8_t only[DNAME_MAX];
	char want[API_PARAM_MAX];
	bool filter = api_request_param(c->req, "zone", want) >= 0;
	if (filter && api_util_zone_name(want, only) != 0) {
		api_reply_json(r, 200, json_array());
		return;
	}
	int rc = store_begin(c->env->st, false, 0, &t);
	if (rc == 0)
		rc = zone_list(&t, &zones, &n);
	json_t *list = json_array();
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!api_token_allows(&c->tk, zones[i].apex) ||
		    (filter && !dname_equal(only, zones[i].apex)))
			continue;
		json_t *z = api_util_zone(&t, &zones[i], true, false, &rc);
		if (z)
			json_array_append_new(list, z);
	}
	if (t.txn)
		store_abort(&t);
	free(zones);
	if (rc) {
		json_decref(list);
		api_reply_error(r, 500, "cannot list the zones: %s", ls_strerror(rc));
		return;
	}
	api_reply_json(r, 200, list);
}

void api_zones_get(struct api_call *c, const char *seg, struct api_reply *r)
{
	struct store_txn t;
	struct zone_info z;
	char v[API_PARAM_MAX];
	int rc = 0;
	if (api_util_zone_open(c, seg, &t, &z, r) != 0)
		return;
	bool rrsets = !(api_request_param(c->req, "rrsets", v) >= 0 && strcmp(v, "false") == 0);
	json_t *o = api_util_zone(&t, &z, false, rrsets, &rc);
	store_abort(&t);
	if (o == NULL)
		api_reply_error(r, 500, "cannot read the zone: %s", ls_strerror(rc));
	else
		api_reply_json(r, 200, o);
}

/* Native and Master are what Lockstep is; Slave and others are not. */
static bool kind_ok(json_t *kind)
{
	const char *k = json_string_value(kind);
	return kind == NULL || (k && (strcmp(k, "Native") == 0 || strcmp(k, "Master") == 0));
}

void api_zones_create(struct api_call *c, struct api_reply *r)
{
	json_t *b = api_util_body(c, r), *ns, *rrsets;
	char *names[API_ZONE_NS_MAX];
	uint8_t apex[DNAME_MAX];
	struct diag d;
	struct zone_result res = { 0 };
	struct store_txn t;
	struct zone_info z;
	size_t nns = 0;
	if (b == NULL)
		return;
	diag_init(&d);
	const char *name = json_string_value(json_object_get(b, "name"));
	ns = json_object_get(b, "nameservers");
	rrsets = json_object_get(b, "rrsets");
	if (name == NULL || api_util_zone_name(name, apex) != 0) {
		api_reply_error(r, 422, "name must be a domain name (a string)");
		goto out;
	}
	if (!kind_ok(json_object_get(b, "kind"))) {
		api_reply_error(r, 422, "kind must be Native or Master");
		goto out;
	}
	if (ns && (!json_is_array(ns) || json_array_size(ns) > API_ZONE_NS_MAX)) {
		api_reply_error(r, 422, "nameservers must be an array of at most %d names",
		                API_ZONE_NS_MAX);
		goto out;
	}
	for (size_t i = 0; ns && i < json_array_size(ns); i++) {
		const char *s = json_string_value(json_array_get(ns, i));
		if (s == NULL || strpbrk(s, " \t\r\n;()\"")) {
			api_reply_error(r, 422, "nameservers[%zu] is not a name", i);
			goto out;
		}
		names[nns++] = (char *)s;
	}
	if (nns == 0) {
		api_reply_error(r, 422, "nameservers: give at least one (the zone needs NS records)");
		goto out;
	}
	if (rrsets && !json_is_array(rrsets)) {
		api_reply_error(r, 422, "rrsets must be an array");
		goto out;
	}
	if (!api_token_allows(&c->tk, apex)) {
		api_reply_error(r, 403, "token %s may not use zone %s", c->tk.name, name);
		goto out;
	}
	int rc = zone_ops_create(c->env->st, apex, names, nns, c->env->cfg->serial_policy,
	                         c->env->cfg->default_ttl, "api POST zones", &d, &res);
	zone_result_free(&res);
	if (rc == LS_EEXIST) {
		api_reply_error(r, 409, "Conflict: zone %s exists already", name);
		goto out;
	}
	if (rc) {
		api_util_diag(r, 422, &d, ls_strerror(rc));
		goto out;
	}
	if (rrsets && json_array_size(rrsets)) {
		api_rrsets_apply(c, apex, rrsets, "api POST zones", r);
		if (r->status != 204) {
			zone_ops_delete(c->env->st, apex);    /* all or nothing, as the client expects */
			goto out;
		}
	}
	if ((rc = store_begin(c->env->st, false, 0, &t)) == 0) {
		if ((rc = zone_get(&t, apex, &z)) == 0) {
			json_t *o = api_util_zone(&t, &z, false, true, &rc);
			if (o)
				api_reply_json(r, 201, o);
		}
		store_abort(&t);
	}
	if (rc)
		api_reply_error(r, 500, "cannot read the new zone: %s", ls_strerror(rc));
out:
	diag_free(&d);
	json_decref(b);
}

/* The zone and the request's JSON body: NULL with the answer in r. */
static json_t *zone_and_body(struct api_call *c, const char *seg, struct zone_info *z,
                             struct api_reply *r)
{
	return api_util_zone_find(c, seg, z, r) == 0 ? api_util_body(c, r) : NULL;
}

void api_zones_put(struct api_call *c, const char *seg, struct api_reply *r)
{
	struct zone_info z;
	json_t *b = zone_and_body(c, seg, &z, r);
	if (b == NULL)
		return;
	if (!kind_ok(json_object_get(b, "kind")))
		api_reply_error(r, 422, "kind must be Native or Master");
	else
		api_reply_empty(r, 204);     /* the metadata PowerDNS keeps has no meaning here */
	json_decref(b);
}

void api_zones_patch(struct api_call *c, const char *seg, struct api_reply *r)
{
	struct zone_info z;
	json_t *b = zone_and_body(c, seg, &z, r);
	if (b == NULL)
		return;
	json_t *rrsets = json_object_get(b, "rrsets");
	if (rrsets == NULL)
		api_reply_error(r, 422, "the body needs rrsets");
	else
		api_rrsets_apply(c, z.apex, rrsets, "api PATCH", r);
	json_decref(b);
}

void api_zones_delete(struct api_call *c, const char *seg, struct api_reply *r)
{
	struct zone_info z;
	if (api_util_zone_find(c, seg, &z, r) != 0)
		return;
	int rc = zone_ops_delete(c->env->st, z.apex);
	if (rc == 0)
		api_reply_empty(r, 204);
	else if (rc == LS_ENOZONE)
		api_reply_error(r, 404, "Could not find domain '%s'", seg);
	else
		api_reply_error(r, 500, "cannot delete the zone: %s", ls_strerror(rc));
}

void api_zones_notify(struct api_call *c, const char *seg, struct api_reply *r)
{
	struct zone_info z;
	if (api_util_zone_find(c, seg, &z, r) != 0)
		return;
	/* dnsd sends NOTIFY after every commit (it tails the history): nothing more to do. */
	api_reply_json(r, 200, json_pack("{s:s}", "result", "Notification queued"));
}

void api_zones_export(struct api_call *c, const char *seg, struct api_reply *r)
{
	struct store_txn t;
	struct zone_info z;
	char *text = NULL;
	size_t len = 0;
	if (api_util_zone_open(c, seg, &t, &z, r) != 0)
		return;
	FILE *f = open_memstream(&text, &len);
	int rc = f ? zone_export(&t, &z, f) : -ENOMEM;
	store_abort(&t);
	if (f && fclose(f) != 0 && rc == 0)
		rc = -ENOMEM;
	if (rc) {
		free(text);
		api_reply_error(r, 500, "cannot export the zone: %s", ls_strerror(rc));
		return;
	}
	api_reply_body(r, 200, "text/plain; charset=us-ascii", text, len, true);
}
