/* Helpers of the API handlers: body parsing, names, zone objects, managed names. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "httpsd/api/api_util.h"
#include "shared/dns/rrtext.h"
#include "shared/store/zone_walk.h"
#include "shared/sts/sts_record.h"
#include "shared/util/err.h"

bool api_util_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i];
		size_t k;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			k = 1, cp = c & 0x1f, min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2, cp = c & 0x0f, min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (i + k >= n)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

json_t *api_util_body(struct api_call *c, struct api_reply *r)
{
	json_error_t e;
	if (!api_util_utf8(c->body ? c->body : "", c->body_len)) {
		api_reply_error(r, 422, "the body is not UTF-8");
		return NULL;
	}
	json_t *v = json_loadb(c->body ? c->body : "", c->body_len, JSON_REJECT_DUPLICATES, &e);
	if (v == NULL) {
		api_reply_error(r, 400, "malformed JSON at line %d, column %d: %s", e.line, e.column,
		                e.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		api_reply_error(r, 422, "the body must be a JSON object");
		return NULL;
	}
	return v;
}

int api_util_zone_name(const char *text, uint8_t out[DNAME_MAX])
{
	static const uint8_t root[1] = { 0 };
	if (*text == 0 || strlen(text) >= DNAME_STR_MAX || dname_parse(out, text, root) < 0)
		return -1;
	dname_lower(out);
	return 0;
}

const char *api_util_name(char out[DNAME_STR_MAX], const uint8_t *name)
{
	return dname_format(out, name);
}

/* Records in walk order, grouped into PowerDNS rrsets. */
struct group {
	json_t *rrsets, *cur;
	uint8_t owner[DNAME_MAX];
	uint16_t type;
	int err;
};

static int add_record(const struct rr *rr, void *ctx)
{
	struct group *g = ctx;
	char name[DNAME_STR_MAX], tn[16];
	char *text = rr_format(rr);
	if (text == NULL)
		return g->err = -ENOMEM;
	/* "owner TTL IN TYPE RDATA" with single tabs: the content is the fifth field on. */
	const char *content = text;
	for (int i = 0; i < 4 && content; i++) {
		content = strchr(content, '\t');
		content = content ? content + 1 : NULL;
	}
	if (g->cur == NULL || g->type != rr->type || !dname_equal(g->owner, rr->owner)) {
		g->cur = json_pack("{s:[],s:s,s:[],s:I,s:s}", "comments", "name",
		                   api_util_name(name, rr->owner), "records", "ttl",
		                   (json_int_t)rr->ttl, "type", rr_type_name(rr->type, tn, sizeof(tn)));
		json_array_append_new(g->rrsets, g->cur);
		memcpy(g->owner, rr->owner, (size_t)dname_wire_len(rr->owner, DNAME_MAX));
		g->type = rr->type;
	}
	json_array_append_new(json_object_get(g->cur, "records"),
	                      json_pack("{s:s,s:b}", "content", content ? content : "",
	                                "disabled", 0));
	free(text);
	return 0;
}

json_t *api_util_zone(struct store_txn *t, const struct zone_info *z, bool list, bool rrsets,
                      int *err)
{
	char name[DNAME_STR_MAX], url[DNAME_STR_MAX + 64];
	uint32_t serial = 0;
	int rc = zone_serial(t, z, &serial);
	if (rc) {
		*err = rc;
		return NULL;
	}
	api_util_name(name, z->apex);
	snprintf(url, sizeof(url), API_PREFIX "/zones/%s", name);
	json_t *o = json_pack("{s:s,s:s,s:b,s:I,s:s,s:s,s:I,s:[],s:s,s:I,s:I,s:s}",
	                      "account", "", "catalog", "", "dnssec", 0,
	                      "edited_serial", (json_int_t)serial, "id", name, "kind", "Native",
	                      "last_check", (json_int_t)0, "masters", "name", name,
	                      "notified_serial", (json_int_t)serial, "serial", (json_int_t)serial,
	                      "url", url);
	if (o == NULL || list)
		return o;
	json_object_set_new(o, "api_rectify", json_false());
	json_object_set_new(o, "master_tsig_key_ids", json_array());
	json_object_set_new(o, "nsec3narrow", json_false());
	json_object_set_new(o, "nsec3param", json_string(""));
	json_object_set_new(o, "slave_tsig_key_ids", json_array());
	json_object_set_new(o, "soa_edit", json_string(""));
	json_object_set_new(o, "soa_edit_api", json_string("DEFAULT"));
	struct group g = { json_array(), NULL, { 0 }, 0, 0 };
	if (rrsets && (rc = zone_walk(t, z, NULL, 0, add_record, &g)) != 0) {
		json_decref(g.rrsets);
		json_decref(o);
		*err = g.err ? g.err : rc;
		return NULL;
	}
	json_object_set_new(o, "rrsets", g.rrsets);
	return o;
}

void api_util_diag(struct api_reply *r, int status, const struct diag *d, const char *fallback)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->v[i].sev == DIAG_ERROR) {
			api_reply_error(r, status, "%s", d->v[i].text);
			return;
		}
	api_reply_error(r, status, "%s", fallback);
}

/* Whether owner is label(s) prefix + domain for a domain with MTA-STS on or being removed. */
static bool managed_under(struct store_txn *t, const uint8_t *owner, int labels,
                          const char *const *prefix, uint8_t domain[DNAME_MAX])
{
	const uint8_t *p = owner;
	for (int i = 0; i < labels; i++) {
		size_t l = p[0];
		if (l == 0 || l != strlen(prefix[i]) || strncasecmp((const char *)p + 1, prefix[i], l))
			return false;
		p += l + 1;
	}
	struct sts_domain *d = malloc(sizeof(*d));
	bool on = false;
	if (d && sts_record_get(t, p, d) == 0 && d->state != STS_REMOVED) {
		memcpy(domain, p, (size_t)dname_wire_len(p, DNAME_MAX));
		on = true;
	}
	free(d);
	return on;
}

bool api_util_managed(struct store_txn *t, const uint8_t *owner, uint8_t domain[DNAME_MAX])
{
	static const char *const sts[] = { "_mta-sts" }, *const host[] = { "mta-sts" },
	                         *const tls[] = { "_smtp", "_tls" },
	                         *const acme[] = { "_acme-challenge", "mta-sts" };
	return managed_under(t, owner, 1, sts, domain) || managed_under(t, owner, 1, host, domain) ||
	       managed_under(t, owner, 2, tls, domain) || managed_under(t, owner, 2, acme, domain);
}

int api_util_zone_open(struct api_call *c, const char *segment, struct store_txn *t,
                       struct zone_info *z, struct api_reply *r)
{
	uint8_t apex[DNAME_MAX];
	if (api_util_zone_name(segment, apex) != 0) {
		api_reply_error(r, 404, "Could not find domain '%s'", segment);
		return -1;
	}
	if (!api_token_allows(&c->tk, apex)) {
		api_reply_error(r, 403, "token %s may not use zone %s", c->tk.name, segment);
		return -1;
	}
	int rc = store_begin(c->env->st, false, 0, t);
	if (rc) {
		api_reply_error(r, 500, "cannot read the store: %s", ls_strerror(rc));
		return -1;
	}
	rc = zone_get(t, apex, z);
	if (rc) {
		store_abort(t);
		if (rc == LS_ENOZONE)
			api_reply_error(r, 404, "Could not find domain '%s'", segment);
		else
			api_reply_error(r, 500, "cannot read the store: %s", ls_strerror(rc));
		return -1;
	}
	return 0;
}

int api_util_zone_find(struct api_call *c, const char *segment, struct zone_info *z,
                       struct api_reply *r)
{
	struct store_txn t;
	if (api_util_zone_open(c, segment, &t, z, r) != 0)
		return -1;
	store_abort(&t);
	return 0;
}
