/* One watch result row: codes, MX set, and its stored form (tag, version, compact JSON). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/watch/watch_row.h"

int watch_row_add_code(struct watch_row *r, const char *code, enum alert_level level)
{
	for (unsigned i = 0; i < r->ncodes; i++)
		if (strcmp(r->codes[i].code, code) == 0) {
			if (level > r->codes[i].level)
				r->codes[i].level = level;
			return 0;
		}
	if (r->ncodes == WATCH_CODES_MAX || strlen(code) >= WATCH_CODE_MAX)
		return LS_ETOOBIG;
	snprintf(r->codes[r->ncodes].code, WATCH_CODE_MAX, "%s", code);
	r->codes[r->ncodes++].level = level;
	return 0;
}

const struct watch_code *watch_row_code(const struct watch_row *r, const char *code)
{
	for (unsigned i = 0; i < r->ncodes; i++)
		if (strcmp(r->codes[i].code, code) == 0)
			return &r->codes[i];
	return NULL;
}

void watch_row_mx_text(const struct watch_row *r, char *out, size_t cap)
{
	size_t off = 0;
	*out = 0;
	for (unsigned i = 0; i < r->nmx && off < cap; i++) {
		int n = snprintf(out + off, cap - off, "%s%s", i ? " " : "", r->mx[i].host);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

bool watch_row_same_mx(const struct watch_row *a, const struct watch_row *b)
{
	if (a->nmx != b->nmx)
		return false;
	for (unsigned i = 0; i < a->nmx; i++)
		if (strcmp(a->mx[i].host, b->mx[i].host) != 0)
			return false;
	return true;
}

int watch_row_status(const struct watch_row *r)
{
	int s = -1;
	for (unsigned i = 0; i < r->ncodes; i++)
		if ((int)r->codes[i].level > s)
			s = (int)r->codes[i].level;
	return s;
}

json_t *watch_row_json(const struct watch_row *r)
{
	json_t *codes = json_array(), *mx = json_array(), *events = json_array();
	for (unsigned i = 0; codes && i < r->ncodes; i++)
		json_array_append_new(codes, json_pack("{s:s, s:s}", "code", r->codes[i].code,
		                                       "level", alert_level_name(r->codes[i].level)));
	for (unsigned i = 0; mx && i < r->nmx; i++)
		json_array_append_new(mx, json_pack("{s:s, s:I}", "host", r->mx[i].host,
		                                    "cert_not_after", (json_int_t)r->mx[i].cert_not_after));
	for (unsigned i = 0; events && i < r->nevents; i++)
		json_array_append_new(events, json_string(r->events[i]));
	return json_pack("{s:I, s:b, s:b, s:s, s:s, s:s, s:I, s:o, s:o, s:I, s:s, s:o}",
	                 "time", (json_int_t)r->time, "txt", r->txt, "fetched", r->fetched,
	                 "id", r->id, "hash", r->hash, "mode", r->mode,
	                 "max_age", (json_int_t)r->max_age, "mx", mx ? mx : json_null(),
	                 "codes", codes ? codes : json_null(),
	                 "sts_cert_not_after", (json_int_t)r->sts_cert_not_after,
	                 "fetch_error", r->fetch_error, "events", events ? events : json_null());
}

static int text(const json_t *j, const char *key, char *out, size_t cap)
{
	const json_t *v = json_object_get(j, key);
	if (!json_is_string(v) || json_string_length(v) >= cap)
		return LS_EPARSE;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

int watch_row_from_json(const json_t *j, struct watch_row *r)
{
	memset(r, 0, sizeof(*r));
	json_int_t time, max_age, sts;
	int txt, fetched;
	json_t *codes, *mx, *events;
	if (json_unpack((json_t *)j, "{s:I, s:b, s:b, s:I, s:o, s:o, s:I, s:o}", "time", &time,
	                "txt", &txt, "fetched", &fetched, "max_age", &max_age, "mx", &mx,
	                "codes", &codes, "sts_cert_not_after", &sts, "events", &events) != 0 ||
	    text(j, "id", r->id, sizeof(r->id)) || text(j, "hash", r->hash, sizeof(r->hash)) ||
	    text(j, "mode", r->mode, sizeof(r->mode)) ||
	    text(j, "fetch_error", r->fetch_error, sizeof(r->fetch_error)) ||
	    !json_is_array(mx) || !json_is_array(codes) || !json_is_array(events) ||
	    json_array_size(mx) > WATCH_MX_MAX || json_array_size(codes) > WATCH_CODES_MAX ||
	    json_array_size(events) > WATCH_EVENTS_MAX)
		return LS_EPARSE;
	r->time = time;
	r->txt = txt;
	r->fetched = fetched;
	r->max_age = max_age;
	r->sts_cert_not_after = sts;
	size_t i;
	json_t *v;
	json_array_foreach(mx, i, v) {
		json_int_t na;
		if (text(v, "host", r->mx[i].host, WATCH_HOST_MAX) ||
		    json_unpack(v, "{s:I}", "cert_not_after", &na) != 0)
			return LS_EPARSE;
		r->mx[i].cert_not_after = na;
	}
	r->nmx = (unsigned)json_array_size(mx);
	json_array_foreach(codes, i, v) {
		char level[16];
		if (text(v, "code", r->codes[i].code, WATCH_CODE_MAX) ||
		    text(v, "level", level, sizeof(level)) ||
		    alert_level_parse(level, &r->codes[i].level))
			return LS_EPARSE;
	}
	r->ncodes = (unsigned)json_array_size(codes);
	json_array_foreach(events, i, v) {
		if (!json_is_string(v) || json_string_length(v) >= sizeof(r->events[0]))
			return LS_EPARSE;
		memcpy(r->events[i], json_string_value(v), json_string_length(v) + 1);
	}
	r->nevents = (unsigned)json_array_size(events);
	return 0;
}

int watch_row_encode(const struct watch_row *r, char **out, size_t *len)
{
	json_t *j = watch_row_json(r);
	char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (body == NULL)
		return -ENOMEM;
	size_t n = strlen(body);
	char *v = malloc(n + 2);
	if (v == NULL) {
		free(body);
		return -ENOMEM;
	}
	v[0] = WATCH_ROW_TAG;
	v[1] = WATCH_ROW_VERSION;
	memcpy(v + 2, body, n);
	free(body);
	*out = v;
	*len = n + 2;
	return 0;
}

int watch_row_decode(const void *val, size_t len, struct watch_row *r)
{
	const char *p = val;
	if (len < 3 || p[0] != WATCH_ROW_TAG || p[1] < 1)
		return LS_EPARSE;
	json_t *j = json_loadb(p + 2, len - 2, JSON_REJECT_DUPLICATES, NULL);
	int rc = j ? watch_row_from_json(j, r) : LS_EPARSE;
	json_decref(j);
	return rc;
}
