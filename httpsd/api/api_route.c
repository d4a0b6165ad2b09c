/* The API's routes: static files without a token, everything under /api with one. */
#include <string.h>
#include "httpsd/api/api_assets.h"
#include "httpsd/api/api_mtasts.h"
#include "httpsd/api/api_route.h"
#include "httpsd/api/api_search.h"
#include "httpsd/api/api_zones.h"
#include "shared/store/history.h"
#include "shared/util/err.h"

#define SEG_MAX 8                    /* path segments we look at */
#define API_VERSION_TEXT "4.7.3"     /* the PowerDNS version whose API this one follows */

static json_t *server(void)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
	                 "autoprimaries_url", API_PREFIX "/autoprimaries{/autoprimary}",
	                 "config_url", API_PREFIX "/config{/config_setting}",
	                 "daemon_type", "authoritative", "id", "localhost", "type", "Server",
	                 "url", API_PREFIX, "version", API_VERSION_TEXT,
	                 "zones_url", API_PREFIX "/zones{/zone}");
}

static bool method_is(struct api_call *c, struct api_reply *r, const char *allow,
                      enum api_method a, enum api_method b)
{
	enum api_method m = c->req->method == API_HEAD ? API_GET : c->req->method;
	if (m == a || m == b)
		return true;
	r->allow = allow;
	api_reply_error(r, 405, "method not allowed here (%s)", allow);
	return false;
}

/* Static files: the page and the OpenAPI description, for anyone (they hold no secret). */
static bool assets(struct api_call *c, struct api_reply *r)
{
	const char *p = c->req->path;
	if (strcmp(p, "/ui") == 0) {
		r->location = "/ui/";
		api_reply_empty(r, 301);
		return true;
	}
	if (strncmp(p, "/ui/", 4) != 0 && strcmp(p, "/api/openapi.json") != 0)
		return false;
	if (!method_is(c, r, "GET, HEAD", API_GET, API_GET))
		return true;
	const struct api_asset *a = api_asset_find(p);
	if (a == NULL)
		api_reply_error(r, 404, "no such file");
	else
		api_reply_body(r, 200, a->content_type, (char *)a->data, a->len, false);
	return true;
}

/* Splits the path after API_PREFIX into segments (pointers into buf). */
static size_t split(char *buf, char *seg[SEG_MAX])
{
	size_t n = 0;
	for (char *s = strtok(buf, "/"); s && n < SEG_MAX; s = strtok(NULL, "/"))
		seg[n++] = s;
	return n;
}

static void zone_routes(struct api_call *c, char **seg, size_t n, struct api_reply *r)
{
	const char *all = "GET, PATCH, PUT, DELETE";
	if (n == 1) {
		switch (c->req->method) {
		case API_GET: case API_HEAD: api_zones_get(c, seg[0], r); return;
		case API_PATCH: api_zones_patch(c, seg[0], r); return;
		case API_PUT: api_zones_put(c, seg[0], r); return;
		case API_DELETE: api_zones_delete(c, seg[0], r); return;
		default: method_is(c, r, all, API_GET, API_GET); return;
		}
	}
	if (n == 2 && strcmp(seg[1], "notify") == 0) {
		if (method_is(c, r, "PUT", API_PUT, API_PUT))
			api_zones_notify(c, seg[0], r);
		return;
	}
	if (n == 2 && strcmp(seg[1], "export") == 0) {
		if (method_is(c, r, "GET, HEAD", API_GET, API_GET))
			api_zones_export(c, seg[0], r);
		return;
	}
	if ((n == 2 || n == 3) && strcmp(seg[1], "mta-sts") == 0) {
		const char *name = n == 3 ? seg[2] : NULL;
		switch (c->req->method) {
		case API_GET: case API_HEAD: api_mtasts_get(c, seg[0], name, r); return;
		case API_PUT: api_mtasts_put(c, seg[0], name, r); return;
		case API_DELETE: api_mtasts_delete(c, seg[0], name, r); return;
		default: method_is(c, r, "GET, PUT, DELETE", API_GET, API_GET); return;
		}
	}
	api_reply_error(r, 404, "Not Found");
}

/* Everything under /api/v1/servers/localhost, once the token is known. */
static void server_routes(struct api_call *c, char **seg, size_t n, struct api_reply *r)
{
	if (n == 0) {
		if (method_is(c, r, "GET", API_GET, API_GET))
			api_reply_json(r, 200, server());
	} else if (strcmp(seg[0], "zones") == 0 && n == 1) {
		if (c->req->method == API_POST)
			api_zones_create(c, r);
		else if (method_is(c, r, "GET, POST", API_GET, API_POST))
			api_zones_list(c, r);
	} else if (strcmp(seg[0], "zones") == 0) {
		zone_routes(c, seg + 1, n - 1, r);
	} else if (strcmp(seg[0], "search-data") == 0 && n == 1) {
		if (method_is(c, r, "GET", API_GET, API_GET))
			api_search_data(c, r);
	} else if (strcmp(seg[0], "statistics") == 0 && n == 1) {
		if (method_is(c, r, "GET", API_GET, API_GET))
			api_search_statistics(c, r);
	} else {
		api_reply_error(r, 404, "Not Found");
	}
}

/* The token: 0 when c->tk is set, else the answer (401, 429, 500) is in r. */
static int authenticate(struct api_call *c, struct api_reply *r)
{
	struct store_txn t;
	int rc = store_begin(c->env->st, false, 0, &t);
	if (rc == 0) {
		rc = api_auth_check(&c->env->auth, &t, c->peer, c->req->key.p, c->req->key.len,
		                    c->now, &c->tk);
		store_abort(&t);
	}
	if (rc == 0) {
		snprintf(c->who, sizeof(c->who), "token %s", c->tk.name);
		history_set_actor(c->who);
		return 0;
	}
	if (rc == 401)
		api_reply_error(r, 401, "Unauthorized: send a token as X-API-Key or "
		                "Authorization: Bearer");
	else if (rc == 429)
		api_reply_error(r, 429, "too many failed authentications from this address; try "
		                "again in a minute");
	else
		api_reply_error(r, 500, "cannot read the tokens: %s", ls_strerror(rc));
	return -1;
}

void api_route(struct api_call *c, struct api_reply *r)
{
	char buf[API_PATH_MAX], *seg[SEG_MAX];
	const char *p = c->req->path;
	if (assets(c, r))
		return;
	if (strcmp(p, "/api") != 0 && strncmp(p, "/api/", 5) != 0) {
		api_reply_error(r, 404, "Not Found");
		return;
	}
	if (authenticate(c, r) != 0)
		return;
	bool write = c->req->method != API_GET && c->req->method != API_HEAD;
	if (write && c->tk.read_only) {
		api_reply_error(r, 403, "token %s is read-only", c->tk.name);
		return;
	}
	if (strcmp(p, "/api") == 0 || strcmp(p, "/api/") == 0) {
		if (method_is(c, r, "GET", API_GET, API_GET))
			api_reply_json(r, 200, json_pack("[{s:s,s:i}]", "url", "/api/v1", "version", 1));
		return;
	}
	if (strcmp(p, "/api/v1/servers") == 0) {
		if (method_is(c, r, "GET", API_GET, API_GET))
			api_reply_json(r, 200, json_pack("[o]", server()));
		return;
	}
	size_t pl = strlen(API_PREFIX);
	if (strncmp(p, API_PREFIX, pl) != 0 || (p[pl] != 0 && p[pl] != '/')) {
		api_reply_error(r, 404, "Not Found");
		return;
	}
	snprintf(buf, sizeof(buf), "%s", p + pl);
	size_t n = split(buf, seg);
	server_routes(c, seg, n, r);
}

bool api_route_wait(struct api_call *c, struct api_reply *r)
{
	return api_mtasts_wait(c, r);
}
