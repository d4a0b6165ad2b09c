/* The MTA-STS resource: state read from the store, changes through sts_ops_*. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "httpsd/api/api_mtasts.h"
#include "httpsd/api/api_util.h"
#include "shared/rpt/tlsrpt_summary.h"
#include "shared/sts/sts_ops.h"
#include "shared/sts/sts_record.h"
#include "shared/tls/cert.h"
#include "shared/util/err.h"
#include "shared/util/log.h"
#include "shared/watch/watch_store.h"

static json_t *time_or_null(int64_t t)
{
	char buf[32];
	struct tm tm;
	time_t tt = (time_t)t;
	if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
		return json_null();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static json_t *text_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static const char *state_name(const struct sts_domain *d, bool found)
{
	if (!found || d->state == STS_REMOVED)
		return "off";
	if (d->state == STS_REMOVING)
		return "removing";
	if (d->version != d->published)
		return d->tries || d->reason[0] ? "waiting" : "pending";
	return "published";
}

#define TLSRPT_DAYS 14               /* days of TLS reports the resource shows */

/* {"not_after"} of the certificate httpsd serves for mta-sts.<domain>, or null without one. */
static json_t *certificate(struct api_env *env, const char *name)
{
	char host[DNAME_STR_MAX + 8];
	struct cert_info ci;
	snprintf(host, sizeof(host), "mta-sts.%s", name);
	if (cert_info_get(env->state, host, &ci) != 0 || ci.error)
		return json_null();
	return json_pack("{s:o}", "not_after", time_or_null(ci.not_after));
}

/* {"days": [{"day", "success", "failure"}]} of the last TLSRPT_DAYS days with reports, oldest
 * first (tlsrpt_summary.h), or null when there are none. */
static json_t *tlsrpt(struct store_txn *t, const char *name, int64_t now)
{
	json_t *sum = NULL, *days;
	int32_t from = tlsrpt_summary_day(now) - TLSRPT_DAYS + 1;
	if (tlsrpt_summary_get(t, name, from, &sum) != 0)
		return json_null();
	json_t *dom = json_array_get(json_object_get(sum, "domains"), 0);
	json_t *list = json_object_get(dom, "days"), *out = json_array();
	size_t i;
	json_array_foreach(list, i, days)
		json_array_append_new(out, json_pack("{s:O,s:O,s:O}", "day",
		                      json_object_get(days, "day"), "success",
		                      json_object_get(days, "successful"), "failure",
		                      json_object_get(days, "failed")));
	json_decref(sum);
	if (json_array_size(out) == 0) {
		json_decref(out);
		return json_null();
	}
	return json_pack("{s:o}", "days", out);
}

/* The resource of domain as the store holds it now: NULL on a store error (in *err). */
/* The domain's last stored watch result (zonectl watch, STORE_WATCH): its status as
 * `zonectl watch` names it (ok, or the highest level of its problems), the problem codes with
 * their levels, and when it ran; null before its first run. */
static json_t *check(struct store_txn *t, const char *bare)
{
	struct watch_row *row = malloc(sizeof(*row));
	json_t *o = NULL;
	if (row && watch_store_row_last(t, bare, row) == 0) {
		json_t *codes = json_array();
		for (unsigned i = 0; i < row->ncodes; i++)
			json_array_append_new(codes, json_pack("{s:s,s:s}", "code", row->codes[i].code,
			                      "level", alert_level_name(row->codes[i].level)));
		int st = watch_row_status(row);
		o = json_pack("{s:s,s:o,s:o}",
		              "status", st < 0 ? "ok" : alert_level_name((enum alert_level)st),
		              "problems", codes, "time", time_or_null(row->time));
	}
	free(row);
	return o ? o : json_null();
}

static json_t *resource(struct api_env *env, const uint8_t *domain, int *err)
{
	struct store_txn t;
	struct sts_domain *d = calloc(1, sizeof(*d));
	char name[DNAME_STR_MAX];
	const uint8_t *body = NULL;
	size_t blen = 0;
	json_t *o = NULL;
	if (d == NULL) {
		*err = -ENOMEM;
		return NULL;
	}
	int rc = store_begin(env->st, false, 0, &t);
	if (rc)
		goto out;
	rc = sts_record_get(&t, domain, d);
	bool found = rc == 0;
	if (rc && rc != LS_ENOTFOUND)
		goto out_txn;
	rc = 0;
	bool on = found && d->state != STS_REMOVED;
	if (on && sts_record_body(&t, domain, &body, &blen, NULL) != 0)
		body = NULL;
	json_t *extra = json_array(), *rua = json_array(), *eps = json_array();
	for (unsigned i = 0; on && i < d->nextra; i++)
		json_array_append_new(extra, json_string(d->extra[i]));
	for (unsigned i = 0; on && i < d->nrua; i++)
		json_array_append_new(rua, json_string(d->rua[i]));
	for (unsigned i = 0; on && i < d->nfetch; i++)
		json_array_append_new(eps, json_pack("{s:s,s:o,s:o}", "address", d->fetch[i].endpoint,
		                      "served_version", d->fetch[i].ok
		                      ? json_integer((json_int_t)d->version) : json_null(),
		                      "last_fetch", time_or_null(d->fetch[i].time)));
	char bare[DNAME_STR_MAX];
	api_util_name(bare, domain);
	bare[strlen(bare) - 1] = 0;     /* the form certificates and reports are kept under */
	o = json_pack("{s:s,s:b,s:o,s:o,s:o,s:o,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:o}",
	              "name", api_util_name(name, domain),
	              "enabled", on && d->state == STS_ACTIVE,
	              "mode", on ? json_string(sts_mode_name(d->mode)) : json_null(),
	              "max_age", on ? json_integer(d->max_age) : json_null(),
	              "mx_extra", extra, "rua", rua,
	              "id", on ? text_or_null(d->id) : json_null(),
	              "policy", body ? json_stringn((const char *)body, blen) : json_null(),
	              "state", state_name(d, found),
	              "reason", on && d->version != d->published ? text_or_null(d->reason)
	                                                         : json_null(),
	              "endpoints", eps,
	              "certificate", on ? certificate(env, bare) : json_null(),
	              "tlsrpt", on ? tlsrpt(&t, bare, (int64_t)time(NULL)) : json_null(),
	              "check", check(&t, bare));
	if (o == NULL)
		rc = -ENOMEM;
out_txn:
	store_abort(&t);
out:
	free(d);
	*err = rc;
	return o;
}

/* The domain a request names: {name} (within the zone) or the apex. 0, or the answer in r. */
static int target(struct api_call *c, const char *seg, const char *name, uint8_t out[DNAME_MAX],
                  struct api_reply *r)
{
	struct zone_info z;
	if (api_util_zone_find(c, seg, &z, r) != 0)
		return -1;
	if (name == NULL) {
		memcpy(out, z.apex, sizeof(z.apex));
		return 0;
	}
	if (api_util_zone_name(name, out) != 0 || !dname_is_sub(out, z.apex)) {
		api_reply_error(r, 404, "'%s' is not a name in zone %s", name, seg);
		return -1;
	}
	return 0;
}

static void answer(struct api_call *c, const uint8_t *domain, int status, struct api_reply *r)
{
	int err = 0;
	json_t *o = resource(c->env, domain, &err);
	if (o == NULL)
		api_reply_error(r, 500, "cannot read the MTA-STS state: %s", ls_strerror(err));
	else
		api_reply_json(r, status, o);
}

void api_mtasts_get(struct api_call *c, const char *seg, const char *name, struct api_reply *r)
{
	uint8_t domain[DNAME_MAX];
	if (target(c, seg, name, domain, r) == 0)
		answer(c, domain, 200, r);
}

/* The strings of a JSON array into out (borrowed from v). 0, or -1 when v is not one. */
static int strings(json_t *v, const char **out, unsigned max, unsigned *n)
{
	if (!json_is_array(v) || json_array_size(v) > max)
		return -1;
	*n = 0;
	for (size_t i = 0; i < json_array_size(v); i++) {
		const char *s = json_string_value(json_array_get(v, i));
		if (s == NULL || strlen(s) >= STS_TEXT_MAX || strpbrk(s, "\r\n;\""))
			return -1;
		out[(*n)++] = s;
	}
	return 0;
}

/* The PUT body into s: 0, or 422 in r. */
static int settings(json_t *b, struct sts_settings *s, struct api_reply *r)
{
	const char *key;
	json_t *v;
	memset(s, 0, sizeof(*s));
	json_object_foreach(b, key, v) {
		if (strcmp(key, "mode") == 0) {
			if (!json_is_string(v) || sts_mode_parse(json_string_value(v), &s->mode) != 0) {
				api_reply_error(r, 422, "mode must be testing, enforce or none");
				return 422;
			}
			s->mode_set = true;
		} else if (strcmp(key, "max_age") == 0) {
			if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > STS_MAX_AGE_MAX) {
				api_reply_error(r, 422, "max_age must be an integer from 0 to %d",
				                STS_MAX_AGE_MAX);
				return 422;
			}
			s->max_age = (uint32_t)json_integer_value(v);
			s->max_age_set = true;
		} else if (strcmp(key, "mx_extra") == 0) {
			if (strings(v, s->extra, STS_EXTRA_MAX, &s->nextra) != 0) {
				api_reply_error(r, 422, "mx_extra must be an array of at most %d patterns",
				                STS_EXTRA_MAX);
				return 422;
			}
			s->extra_set = true;
		} else if (strcmp(key, "rua") == 0) {
			if (strings(v, s->rua, STS_RUA_MAX, &s->nrua) != 0) {
				api_reply_error(r, 422, "rua must be an array of at most %d URIs", STS_RUA_MAX);
				return 422;
			}
			s->rua_set = true;
		} else {
			api_reply_error(r, 422, "unknown field '%s' (mode, max_age, mx_extra, rua)", key);
			return 422;
		}
	}
	return 0;
}

/* With a demo CA (make run, tests) mta-sts.<domain> gets its certificate, as zonectl does. */
static void demo_cert(struct api_call *c, const uint8_t *domain)
{
	char host[DNAME_STR_MAX + 8], name[DNAME_STR_MAX], err[256];
	if (!cert_demo_exists(c->env->state))
		return;
	api_util_name(name, domain);
	name[strlen(name) - 1] = 0;
	snprintf(host, sizeof(host), "mta-sts.%s", name);
	if (cert_demo_ensure(c->env->state, host, err, sizeof(err)) != 0)
		log_warning("api: no demo certificate for %s: %s", host, err);
}

/* An sts_ops result: 0 when it changed (or needed no change), else the answer in r. */
static int outcome(int rc, const struct diag *d, struct api_reply *r)
{
	if (rc == 0 || rc == LS_ENOCHANGE)
		return 0;
	if (rc == LS_ENOZONE)
		api_reply_error(r, 404, "the zone is gone");
	else if (rc == LS_EINVAL_ZONE || rc == LS_EPARSE || rc == LS_ECONFIG)
		api_util_diag(r, 422, d, ls_strerror(rc));
	else
		api_reply_error(r, 500, "MTA-STS: %s", ls_strerror(rc));
	return -1;
}

void api_mtasts_put(struct api_call *c, const char *seg, const char *name, struct api_reply *r)
{
	uint8_t domain[DNAME_MAX];
	struct sts_settings s;
	struct zone_result res = { 0 };
	struct diag d;
	char w[API_PARAM_MAX];
	if (target(c, seg, name, domain, r) != 0)
		return;
	long wait = 0;
	if (api_request_param(c->req, "wait", w) >= 0) {
		char *end;
		wait = strtol(w, &end, 10);
		if (*w < '0' || *w > '9' || *end || wait > API_WAIT_MAX) {
			api_reply_error(r, 422, "wait must be a number of seconds from 0 to %d",
			                API_WAIT_MAX);
			return;
		}
	}
	json_t *b = c->body_len ? api_util_body(c, r) : json_object();
	if (b == NULL)
		return;
	diag_init(&d);
	if (settings(b, &s, r) != 0)
		goto out;
	int rc = sts_ops_enable(c->env->st, domain, &s, &c->env->svc, &d, &res);
	zone_result_free(&res);     /* LS_ENOCHANGE keeps the transaction too */
	if (rc == 0) {
		demo_cert(c, domain);
	} else if (rc == LS_EEXIST) {
		diag_free(&d);
		diag_init(&d);
		bool any = s.mode_set || s.max_age_set || s.extra_set || s.rua_set;
		rc = any ? sts_ops_set(c->env->st, domain, &s, &d, &res) : LS_ENOCHANGE;
		zone_result_free(&res);
	}
	if (outcome(rc, &d, r) != 0)
		goto out;
	if (wait > 0) {
		c->wait = true;
		memcpy(c->wait_domain, domain, sizeof(c->wait_domain));
		c->wait_until = c->now + wait;
		if (api_mtasts_wait(c, r))
			c->wait = false;
	} else {
		answer(c, domain, 200, r);
	}
out:
	diag_free(&d);
	json_decref(b);
}

bool api_mtasts_wait(struct api_call *c, struct api_reply *r)
{
	struct store_txn t;
	struct sts_domain *d = malloc(sizeof(*d));
	bool done = true;
	if (d && store_begin(c->env->st, false, 0, &t) == 0) {
		if (sts_record_get(&t, c->wait_domain, d) == 0 && d->state == STS_ACTIVE &&
		    d->version != d->published)
			done = false;
		store_abort(&t);
	}
	free(d);
	if (!done && c->now < c->wait_until)
		return false;
	answer(c, c->wait_domain, 200, r);
	return true;
}

void api_mtasts_delete(struct api_call *c, const char *seg, const char *name,
                       struct api_reply *r)
{
	uint8_t domain[DNAME_MAX];
	struct zone_result res = { 0 };
	struct diag d;
	char v[API_PARAM_MAX];
	if (target(c, seg, name, domain, r) != 0)
		return;
	bool now = api_request_param(c->req, "now", v) >= 0 && strcmp(v, "true") == 0;
	diag_init(&d);
	int rc = sts_ops_disable(c->env->st, domain, now, &d, &res);
	zone_result_free(&res);
	if (rc == LS_ENOTFOUND) {
		char n[DNAME_STR_MAX];
		api_reply_error(r, 404, "MTA-STS is not on for %s", api_util_name(n, domain));
	} else if (outcome(rc, &d, r) == 0) {
		answer(c, domain, 200, r);
	}
	diag_free(&d);
}
