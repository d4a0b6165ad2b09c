/* The CA's JSON objects (directory, order, authorization, problem) into bounded structs. */
#include <stdio.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/acme/acme_json.h"

#define B64URL "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

/* o[k] as a string into out[cap]: false when absent, not a string or too long. */
static bool get(json_t *o, const char *k, char *out, size_t cap)
{
	const char *v = json_string_value(json_object_get(o, k));
	size_t n = v ? strlen(v) : 0;
	if (v == NULL || n >= cap) {
		*out = 0;
		return false;
	}
	memcpy(out, v, n + 1);
	return true;
}

static bool https_url(const char *s)
{
	return strncmp(s, "https://", 8) == 0 && s[8] && strcspn(s, " \t\r\n\"") == strlen(s);
}

/* An optional URL member: absent is fine (""), present must be https://. */
static bool url(json_t *o, const char *k, char *out)
{
	if (json_object_get(o, k) == NULL) {
		*out = 0;
		return true;
	}
	return get(o, k, out, ACME_URL_MAX) && https_url(out);
}

int acme_json_problem(json_t *o, struct acme_problem *p)
{
	bool t = get(o, "type", p->type, sizeof(p->type));
	const char *d = json_string_value(json_object_get(o, "detail"));
	/* a long detail is cut, not dropped: it is for people */
	snprintf(p->detail, sizeof(p->detail), "%s", d ? d : "");
	return t || d ? 0 : LS_EPARSE;
}

int acme_json_directory(json_t *o, const char *u, struct acme_directory_info *out, char *err,
                        size_t errlen)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->url, sizeof(out->url), "%s", u);
	if (!json_is_object(o)) {
		snprintf(err, errlen, "%s: the directory is not a JSON object", u);
		return LS_EPARSE;
	}
	if (!url(o, "newNonce", out->new_nonce) || !url(o, "newAccount", out->new_account) ||
	    !url(o, "newOrder", out->new_order) || !url(o, "renewalInfo", out->renewal_info) ||
	    !*out->new_nonce || !*out->new_account || !*out->new_order) {
		snprintf(err, errlen, "%s: the directory lacks https:// URLs for newNonce, "
		         "newAccount or newOrder", u);
		return LS_EPARSE;
	}
	json_t *meta = json_object_get(o, "meta");
	out->eab_required = json_is_true(json_object_get(meta, "externalAccountRequired"));
	json_t *p = json_object_get(meta, "profiles");
	out->profiles = json_is_object(p) ? json_incref(p) : NULL;
	return 0;
}

void acme_json_directory_free(struct acme_directory_info *d)
{
	json_decref(d->profiles);
	memset(d, 0, sizeof(*d));
}

int acme_json_order(json_t *o, struct acme_order_view *v)
{
	size_t i;
	json_t *a;
	memset(v, 0, sizeof(*v));
	if (!get(o, "status", v->status, sizeof(v->status)) || !url(o, "finalize", v->finalize) ||
	    !url(o, "certificate", v->certificate))
		return LS_EPARSE;
	json_t *list = json_object_get(o, "authorizations");
	if (json_array_size(list) > ACME_AUTHZ_MAX)
		return LS_EPARSE;
	json_array_foreach(list, i, a) {
		const char *s = json_string_value(a);
		if (s == NULL || strlen(s) >= ACME_URL_MAX || !https_url(s))
			return LS_EPARSE;
		memcpy(v->authz[v->nauthz++], s, strlen(s) + 1);
	}
	acme_json_problem(json_object_get(o, "error"), &v->error);
	return 0;
}

int acme_json_authz(json_t *o, const char *type, struct acme_authz_view *v)
{
	size_t i;
	json_t *ch;
	memset(v, 0, sizeof(*v));
	if (!get(o, "status", v->status, sizeof(v->status)))
		return LS_EPARSE;
	json_array_foreach(json_object_get(o, "challenges"), i, ch) {
		if (!get(ch, "type", v->ch_type, sizeof(v->ch_type)) || strcmp(v->ch_type, type) != 0)
			continue;
		if (!get(ch, "url", v->ch_url, sizeof(v->ch_url)) || !https_url(v->ch_url) ||
		    !get(ch, "status", v->ch_status, sizeof(v->ch_status)))
			return LS_EPARSE;
		/* RFC 8555 8.1: the token is base64url; it goes into records and certificates. */
		if (!get(ch, "token", v->token, sizeof(v->token)) || !*v->token ||
		    strspn(v->token, B64URL) != strlen(v->token))
			return LS_EPARSE;
		acme_json_problem(json_object_get(ch, "error"), &v->error);
		v->found = true;
		return 0;
	}
	v->ch_type[0] = 0;
	return 0;
}
