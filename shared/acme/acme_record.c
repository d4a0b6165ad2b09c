/* STORE_ACME: the ACME state of each certificate name, tagged and versioned, as JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "shared/util/err.h"
#include "shared/acme/acme_record.h"

#define WINDOW_KEY "\001orders"     /* sorts before every host name */
#define HOUR 3600

static const char *const names[] = { "none", "queued", "ordering", "validating", "issued",
                                     "renewing", "failed" };

const char *acme_state_name(enum acme_state s)
{
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

static enum acme_state state_of(const char *s)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return (enum acme_state)i;
	return ACME_FAILED;
}

/* The string fields, by offset: one table for both directions. */
#define S(f) { #f, offsetof(struct acme_cert, f), sizeof(((struct acme_cert *)0)->f) }
static const struct field { const char *name; size_t off, size; } strings[] = {
	S(directory), S(order), S(authz), S(challenge), S(challenge_type), S(token), S(keyauth),
	S(replaces), S(serial), S(problem_type), S(problem_detail),
};
#define I(f) { #f, offsetof(struct acme_cert, f), 0 }
static const struct field ints[] = {
	I(queued_at), I(next_try), I(renew_at), I(ordered_at), I(not_after), I(last_error_log),
	I(renew_base), I(ari_start), I(ari_end), I(ari_next),
};

static json_t *to_json(const struct acme_cert *c)
{
	json_t *o = json_pack("{s:s,s:b,s:b,s:b,s:b,s:I}", "state", acme_state_name(c->state),
	                      "had_cert", c->had_cert, "txt", c->txt, "alpn", c->alpn,
	                      "force", c->force, "tries", (json_int_t)c->tries);
	for (size_t i = 0; o && i < sizeof(strings) / sizeof(strings[0]); i++)
		json_object_set_new(o, strings[i].name, json_string((const char *)c + strings[i].off));
	for (size_t i = 0; o && i < sizeof(ints) / sizeof(ints[0]); i++)
		json_object_set_new(o, ints[i].name,
		                    json_integer(*(const int64_t *)((const char *)c + ints[i].off)));
	return o;
}

static void from_json(json_t *o, struct acme_cert *c)
{
	c->state = state_of(json_string_value(json_object_get(o, "state")) ?: "");
	c->had_cert = json_is_true(json_object_get(o, "had_cert"));
	c->txt = json_is_true(json_object_get(o, "txt"));
	c->alpn = json_is_true(json_object_get(o, "alpn"));
	c->force = json_is_true(json_object_get(o, "force"));
	c->tries = (uint32_t)json_integer_value(json_object_get(o, "tries"));
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		snprintf((char *)c + strings[i].off, strings[i].size, "%s",
		         json_string_value(json_object_get(o, strings[i].name)) ?: "");
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		*(int64_t *)((char *)c + ints[i].off) = json_integer_value(json_object_get(o,
		                                                           ints[i].name));
}

static json_t *decode(const void *val, size_t vlen)
{
	const uint8_t *p = val;
	if (vlen < 2 || p[0] != ACME_RECORD_TAG || p[1] < 1)
		return NULL;
	return json_loadb((const char *)p + 2, vlen - 2, 0, NULL);
}

const char *acme_record_check(const void *key, size_t klen, const void *val, size_t vlen)
{
	json_t *o = decode(val, vlen);
	bool window = klen == strlen(WINDOW_KEY) && memcmp(key, WINDOW_KEY, klen) == 0;
	bool good = window ? json_is_array(o) : json_is_object(o);
	json_decref(o);
	return good ? NULL : "not an ACME state";
}

static void put_json(struct store_txn *t, const char *key, json_t *o)
{
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (text == NULL) {
		store_fail(t, -ENOMEM);
		return;
	}
	size_t n = strlen(text);
	uint8_t *v = malloc(n + 2);
	if (v == NULL) {
		free(text);
		store_fail(t, -ENOMEM);
		return;
	}
	v[0] = ACME_RECORD_TAG;
	v[1] = ACME_RECORD_VERSION;
	memcpy(v + 2, text, n);
	store_put(t, STORE_ACME, key, strlen(key), v, n + 2, 0);
	free(v);
	free(text);
}

int acme_record_get(struct store_txn *t, const char *host, struct acme_cert *out)
{
	MDB_val v;
	int rc = store_get(t, STORE_ACME, host, strlen(host), &v);
	memset(out, 0, sizeof(*out));
	if (rc)
		return rc;
	json_t *o = decode(v.mv_data, v.mv_size);
	if (!json_is_object(o)) {
		json_decref(o);
		return LS_EPARSE;
	}
	snprintf(out->host, sizeof(out->host), "%s", host);
	from_json(o, out);
	json_decref(o);
	return 0;
}

void acme_record_put(struct store_txn *t, const struct acme_cert *c)
{
	json_t *o = to_json(c);
	put_json(t, c->host, o);
	json_decref(o);
}

void acme_record_del(struct store_txn *t, const char *host)
{
	store_del(t, STORE_ACME, host, strlen(host));
}

int acme_record_each(struct store_txn *t, int (*fn)(const struct acme_cert *c, void *ctx),
                     void *ctx)
{
	MDB_cursor *cur;
	MDB_val k, v;
	struct acme_cert *c = malloc(sizeof(*c));
	int rc = c ? store_cursor(t, STORE_ACME, &cur) : -ENOMEM;
	if (rc) {
		free(c);
		return rc == LS_ENOTFOUND ? 0 : rc;
	}
	for (int op = MDB_FIRST; (rc = mdb_cursor_get(cur, &k, &v, op)) == 0; op = MDB_NEXT) {
		if (k.mv_size == 0 || k.mv_size >= ACME_HOST_MAX || *(char *)k.mv_data == '\001')
			continue;
		json_t *o = decode(v.mv_data, v.mv_size);
		if (!json_is_object(o)) {
			json_decref(o);
			continue;
		}
		memset(c, 0, sizeof(*c));
		memcpy(c->host, k.mv_data, k.mv_size);
		from_json(o, c);
		json_decref(o);
		if ((rc = fn(c, ctx)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	free(c);
	return rc == MDB_NOTFOUND ? 0 : rc > 0 ? store_errno(rc) : rc;
}

/* The order times of the last hour, oldest first; a new reference. */
static json_t *window(struct store_txn *t, int64_t now)
{
	MDB_val v;
	json_t *old = store_get(t, STORE_ACME, WINDOW_KEY, strlen(WINDOW_KEY), &v) == 0 ?
	              decode(v.mv_data, v.mv_size) : NULL;
	json_t *w = json_array(), *x;
	size_t i;
	json_array_foreach(old, i, x)
		if (json_integer_value(x) > now - HOUR)
			json_array_append(w, x);
	json_decref(old);
	return w;
}

int acme_record_orders(struct store_txn *t, int64_t now, uint32_t *n)
{
	json_t *w = window(t, now);
	*n = (uint32_t)json_array_size(w);
	json_decref(w);
	return t->err;
}

void acme_record_order_add(struct store_txn *t, int64_t now)
{
	json_t *w = window(t, now);
	while (json_array_size(w) >= ACME_WINDOW_MAX)
		json_array_remove(w, 0);
	json_array_append_new(w, json_integer(now));
	put_json(t, WINDOW_KEY, w);
	json_decref(w);
}

int acme_record_save(struct store *st, const struct acme_cert *c)
{
	struct store_txn t;
	int rc = store_begin(st, true, 8192, &t);
	if (rc)
		return rc;
	acme_record_put(&t, c);
	return store_commit(&t);
}
