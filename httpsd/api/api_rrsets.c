/* PATCH rrsets: strict checks of every field first, then one edit with every change. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "httpsd/api/api_rrsets.h"
#include "httpsd/api/api_util.h"
#include "shared/dns/rr_parser.h"
#include "shared/dns/rrtext.h"
#include "shared/store/zone_edit.h"
#include "shared/util/arena.h"
#include "shared/util/err.h"

#define TTL_MAX 2147483647           /* RFC 2181 8: a TTL is below 2^31 */
#define LINE_MAX_ 65536              /* bytes of one record's text */

struct op {
	uint8_t owner[DNAME_MAX];
	uint16_t type;
	struct rr *rrs;
	size_t nrr;
};

struct patch {
	struct op *ops;
	size_t n;
	struct arena a;
	struct rr_parser p;
};

static int patch_fn(struct zone_txn *zt, void *arg, struct diag *d)
{
	struct patch *pt = arg;
	int bad = 0;
	for (size_t i = 0; i < pt->n; i++) {
		struct op *o = &pt->ops[i];
		int rc = zone_txn_del_rrset(zt, o->owner, o->type);
		if (rc && rc != LS_ENOTFOUND)
			return rc;
		for (size_t k = 0; k < o->nrr; k++) {
			rc = zone_txn_add(zt, &o->rrs[k], d);
			if (rc == LS_EINVAL_ZONE)
				bad = rc;
			else if (rc)
				return rc;
		}
	}
	return bad;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* One record's content parsed as zonectl parses a record line. 0, or the reason in err. */
static int parse_record(struct patch *pt, const char *name, json_int_t ttl, const char *type,
                        const char *content, struct rr *out, char *err, size_t errlen)
{
	size_t len = strlen(name) + strlen(type) + strlen(content) + 40;
	char *text = malloc(len);
	if (text == NULL)
		return -ENOMEM;
	snprintf(text, len, "%s %lld IN %s %s", name, (long long)ttl, type, content);
	int rc = rr_parse(&pt->p, text, out, err, errlen);
	free(text);
	return rc;
}

/* Checks rrset i into op; returns 0, or 422 with the reason in r. */
static int check_rrset(struct api_call *c, struct patch *pt, const uint8_t *apex, json_t *rs,
                       size_t i, struct op *op, struct api_reply *r)
{
	const char *given = json_string_value(json_object_get(rs, "name"));
	char name[DNAME_STR_MAX + 1];
	const char *type = json_string_value(json_object_get(rs, "type"));
	const char *change = json_string_value(json_object_get(rs, "changetype"));
	json_t *ttl = json_object_get(rs, "ttl"), *records = json_object_get(rs, "records");
	char err[256], domain[DNAME_STR_MAX];
	uint8_t sts[DNAME_MAX];
	if (!json_is_object(rs) || given == NULL || type == NULL || change == NULL) {
		api_reply_error(r, 422, "rrsets[%zu]: needs name, type and changetype (strings)", i);
		return 422;
	}
	/* Names are absolute in this API, with or without the final dot. */
	size_t nl = strlen(given);
	snprintf(name, sizeof(name), "%s%s", given, nl && given[nl - 1] == '.' ? "" : ".");
	if (!printable(name) || !printable(type) || nl == 0 || nl >= DNAME_STR_MAX - 1 ||
	    dname_parse(op->owner, name, apex) < 0) {
		api_reply_error(r, 422, "rrsets[%zu]: '%s' is not a domain name", i, name);
		return 422;
	}
	dname_lower(op->owner);
	if (!dname_is_sub(op->owner, apex)) {
		api_reply_error(r, 422, "RRset %s IN %s: Name is out of zone", name, type);
		return 422;
	}
	if ((op->type = rr_type_parse(type)) == 0) {
		api_reply_error(r, 422, "RRset %s: unknown type '%s'", name, type);
		return 422;
	}
	bool replace = strcmp(change, "REPLACE") == 0;
	if (!replace && strcmp(change, "DELETE") != 0) {
		api_reply_error(r, 422, "RRset %s IN %s: changetype must be REPLACE or DELETE", name,
		                type);
		return 422;
	}
	struct store_txn t;
	bool managed = false;
	if (store_begin(c->env->st, false, 0, &t) == 0) {
		managed = api_util_managed(&t, op->owner, sts);
		store_abort(&t);
	}
	if (managed) {
		char zone[DNAME_STR_MAX];
		api_util_name(domain, sts);
		api_reply_error(r, 422, "RRset %s IN %s is managed by MTA-STS for %s: use "
		                API_PREFIX "/zones/%s/mta-sts%s%s", name, type, domain,
		                api_util_name(zone, apex), dname_equal(sts, apex) ? "" : "/",
		                dname_equal(sts, apex) ? "" : domain);
		return 422;
	}
	if (!replace)
		return 0;
	size_t n = json_is_array(records) ? json_array_size(records) : 0;
	if (records != NULL && !json_is_array(records)) {
		api_reply_error(r, 422, "RRset %s IN %s: records must be an array", name, type);
		return 422;
	}
	if (n > RRSET_MAX_RECORDS) {
		api_reply_error(r, 422, "RRset %s IN %s: more than %d records", name, type,
		                RRSET_MAX_RECORDS);
		return 422;
	}
	if (n && (!json_is_integer(ttl) || json_integer_value(ttl) < 0 ||
	          json_integer_value(ttl) > TTL_MAX)) {
		api_reply_error(r, 422, "RRset %s IN %s: ttl must be an integer from 0 to %d", name,
		                type, TTL_MAX);
		return 422;
	}
	if (n && (op->rrs = arena_alloc(&pt->a, n * sizeof(*op->rrs))) == NULL) {
		api_reply_error(r, 500, "out of memory");
		return 500;
	}
	for (size_t k = 0; k < n; k++) {
		json_t *rec = json_array_get(records, k), *dis = json_object_get(rec, "disabled");
		const char *content = json_string_value(json_object_get(rec, "content"));
		if (!json_is_object(rec) || content == NULL) {
			api_reply_error(r, 422, "RRset %s IN %s: records[%zu] needs content (a string)",
			                name, type, k);
			return 422;
		}
		if (dis != NULL && !json_is_boolean(dis)) {
			api_reply_error(r, 422, "RRset %s IN %s: records[%zu].disabled must be a boolean",
			                name, type, k);
			return 422;
		}
		if (json_is_true(dis)) {
			api_reply_error(r, 422, "RRset %s IN %s: disabled records are not supported; "
			                "leave the record out", name, type);
			return 422;
		}
		if (!printable(content) || strlen(content) > LINE_MAX_) {
			api_reply_error(r, 422, "Record %s/%s: content holds a line break or control "
			                "character", name, type);
			return 422;
		}
		int rc = parse_record(pt, name, json_integer_value(ttl), type, content, &op->rrs[k],
		                      err, sizeof(err));
		if (rc) {
			api_reply_error(r, 422, "Record %s/%s '%s': %s", name, type, content,
			                rc == -ENOMEM ? "out of memory" : err);
			return 422;
		}
		if (op->rrs[k].type != op->type || !dname_equal(op->rrs[k].owner, op->owner)) {
			api_reply_error(r, 422, "Record %s/%s '%s': content is more than one field of "
			                "RDATA", name, type, content);
			return 422;
		}
	}
	op->nrr = n;
	return 0;
}

void api_rrsets_apply(struct api_call *c, const uint8_t *apex, json_t *rrsets,
                      const char *source, struct api_reply *r)
{
	struct patch pt = { 0 };
	struct diag d;
	struct zone_result res = { 0 };
	size_t n = json_array_size(rrsets);
	diag_init(&d);
	arena_init(&pt.a);
	if (!json_is_array(rrsets)) {
		api_reply_error(r, 422, "rrsets must be an array");
		goto out;
	}
	if (n > API_PATCH_MAX_RRSETS) {
		api_reply_error(r, 422, "more than %d rrsets in one request", API_PATCH_MAX_RRSETS);
		goto out;
	}
	if (rr_parser_init(&pt.p, &pt.a, apex, c->env->cfg->default_ttl) != 0 ||
	    (n && (pt.ops = calloc(n, sizeof(*pt.ops))) == NULL)) {
		api_reply_error(r, 500, "out of memory");
		goto out_parser;
	}
	for (size_t i = 0; i < n; i++)
		if (check_rrset(c, &pt, apex, json_array_get(rrsets, i), i, &pt.ops[i], r) != 0)
			goto out_parser;
	pt.n = n;
	struct zone_edit e = { apex, NULL, 0, n * 512, source, patch_fn, &pt };
	int rc = n == 0 ? LS_ENOCHANGE
	         : c->batch ? zone_batch_run(c->batch, &e, &d, &res)
	                    : zone_edit_run(c->env->st, &e, &d, &res);
	zone_result_free(&res);     /* LS_ENOCHANGE keeps the transaction too */
	if (rc == 0 || rc == LS_ENOCHANGE)
		api_reply_empty(r, 204);
	else if (rc == LS_ENOZONE)
		api_reply_error(r, 404, "the zone is gone");
	else if (rc == LS_EINVAL_ZONE || rc == LS_EPARSE || rc == LS_ETOOBIG)
		api_util_diag(r, 422, &d, ls_strerror(rc));
	else if (c->batch)
		c->batch_rc = rc;     /* the map is full or the store failed: the group runs again */
	else
		api_reply_error(r, 500, "the edit failed: %s", ls_strerror(rc));
out_parser:
	rr_parser_free(&pt.p);
out:
	free(pt.ops);
	arena_free(&pt.a);
	diag_free(&d);
}
