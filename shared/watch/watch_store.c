/* STORE_WATCH: watched domains, result rows, open problems and the alert outbox. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shared/dns/wire.h"
#include "shared/util/err.h"
#include "shared/watch/watch_store.h"

#define KEY_MAX (1 + WATCH_HOST_MAX + 1 + 16)
#define ROW_SUFFIX 16   /* a row key ends with its time and a sequence: runs in one second differ */

int watch_store_name(const char *in, char out[WATCH_HOST_MAX])
{
	size_t n = strlen(in);
	if (n && in[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return LS_EPARSE;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (!(isalnum(c) || c == '-' || c == '.' || c == '_') || (c == '.' && (i == 0 || in[i - 1] == '.')))
			return LS_EPARSE;
		out[i] = (char)tolower(c);
	}
	out[n] = 0;
	return 0;
}

/* tag + domain (+ 0 + 8-byte time or sequence when more is given). */
static size_t key(uint8_t *k, char tag, const char *domain, bool more, uint64_t n)
{
	size_t len = strlen(domain);
	k[0] = (uint8_t)tag;
	memcpy(k + 1, domain, len);
	if (!more)
		return len + 1;
	k[len + 1] = 0;
	wire_put32(k + len + 2, (uint32_t)(n >> 32));
	wire_put32(k + len + 6, (uint32_t)n);
	return len + 10;
}

/* Stores tag, version 1 and j's compact text (j taken). */
static void put_json(struct store_txn *t, const uint8_t *k, size_t klen, char tag, json_t *j)
{
	char *body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (body == NULL) {
		store_fail(t, -ENOMEM);
		return;
	}
	size_t n = strlen(body);
	char *v = malloc(n + 2);
	if (v == NULL) {
		free(body);
		store_fail(t, -ENOMEM);
		return;
	}
	v[0] = tag;
	v[1] = 1;
	memcpy(v + 2, body, n);
	store_put(t, STORE_WATCH, k, klen, v, n + 2, 0);
	free(v);
	free(body);
}

/* The JSON of a tagged value (new reference), or NULL. */
static json_t *get_json(const void *val, size_t len, char tag)
{
	const char *p = val;
	if (len < 3 || p[0] != tag || p[1] < 1)
		return NULL;
	return json_loadb(p + 2, len - 2, JSON_REJECT_DUPLICATES, NULL);
}

static int text(const json_t *j, const char *k, char *out, size_t cap)
{
	const json_t *v = json_object_get(j, k);
	if (v == NULL) {
		*out = 0;
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) >= cap)
		return LS_EPARSE;
	memcpy(out, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static json_t *entry_json(const struct watch_entry *e)
{
	json_t *ct = json_array();
	for (unsigned i = 0; ct && i < e->nconnect; i++)
		json_array_append_new(ct, json_string(e->connect_to[i]));
	return json_pack("{s:s, s:i, s:s, s:s, s:o, s:i, s:b, s:b, s:I, s:I, s:I}",
	                 "domain", e->domain, "every", (int)e->every, "resolver", e->resolver,
	                 "ca", e->ca, "connect_to", ct ? ct : json_null(), "timeout", (int)e->timeout,
	                 "implicit", e->implicit, "off", e->off, "added", (json_int_t)e->added,
	                 "next", (json_int_t)e->next, "last", (json_int_t)e->last);
}

static int entry_from(const json_t *j, struct watch_entry *e)
{
	memset(e, 0, sizeof(*e));
	int every, timeout, implicit, off;
	json_int_t added, next, last;
	json_t *ct;
	if (json_unpack((json_t *)j, "{s:i, s:o, s:i, s:b, s:b, s:I, s:I, s:I}", "every", &every,
	                "connect_to", &ct, "timeout", &timeout, "implicit", &implicit, "off", &off,
	                "added", &added, "next", &next, "last", &last) != 0 ||
	    text(j, "domain", e->domain, sizeof(e->domain)) ||
	    text(j, "resolver", e->resolver, sizeof(e->resolver)) ||
	    text(j, "ca", e->ca, sizeof(e->ca)) || !json_is_array(ct) ||
	    json_array_size(ct) > WATCH_CONNECT_MAX || every < 0 || timeout < 0)
		return LS_EPARSE;
	size_t i;
	json_t *v;
	json_array_foreach(ct, i, v) {
		if (!json_is_string(v) || json_string_length(v) >= WATCH_TEXT_MAX)
			return LS_EPARSE;
		memcpy(e->connect_to[i], json_string_value(v), json_string_length(v) + 1);
	}
	e->nconnect = (unsigned)json_array_size(ct);
	e->every = (uint32_t)every;
	e->timeout = (uint32_t)timeout;
	e->implicit = implicit;
	e->off = off;
	e->added = added;
	e->next = next;
	e->last = last;
	return 0;
}

/* A tagged value through its JSON reader. */
static int decode(const void *val, size_t len, char tag, int (*from)(const json_t *j, void *out),
                  void *out)
{
	json_t *j = get_json(val, len, tag);
	int rc = j ? from(j, out) : LS_EPARSE;
	json_decref(j);
	return rc;
}

static int entry_from_any(const json_t *j, void *out) { return entry_from(j, out); }

static int decode_entry(const void *val, size_t len, struct watch_entry *e)
{
	return decode(val, len, WATCH_ENTRY_TAG, entry_from_any, e);
}

/* Calls fn for every key that starts with prefix, in key order; stops at fn's non-zero. */
static int walk(struct store_txn *t, const uint8_t *prefix, size_t plen,
                int (*fn)(const MDB_val *k, const MDB_val *v, void *ctx), void *ctx)
{
	MDB_cursor *c;
	int rc = store_cursor(t, STORE_WATCH, &c);
	if (rc)
		return rc == LS_ENOTFOUND ? 0 : rc;
	MDB_val k = { plen, (void *)prefix }, v;
	int mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	rc = 0;
	while (mrc == 0 && k.mv_size >= plen && memcmp(k.mv_data, prefix, plen) == 0) {
		if ((rc = fn(&k, &v, ctx)) != 0)
			break;
		mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
	}
	if (rc == 0 && mrc && mrc != MDB_NOTFOUND)
		rc = store_errno(mrc);
	mdb_cursor_close(c);
	return rc;
}

int watch_store_get(struct store_txn *t, const char *domain, struct watch_entry *out)
{
	uint8_t k[KEY_MAX];
	MDB_val v;
	int rc = store_get(t, STORE_WATCH, k, key(k, WATCH_ENTRY_TAG, domain, false, 0), &v);
	if (rc)
		return rc;
	return decode_entry(v.mv_data, v.mv_size, out);
}

void watch_store_put(struct store_txn *t, const struct watch_entry *e)
{
	uint8_t k[KEY_MAX];
	put_json(t, k, key(k, WATCH_ENTRY_TAG, e->domain, false, 0), WATCH_ENTRY_TAG, entry_json(e));
}

/* Deletes every key that starts with prefix. */
static void del_prefix(struct store_txn *t, const uint8_t *prefix, size_t plen)
{
	MDB_cursor *c;
	if (store_cursor(t, STORE_WATCH, &c) != 0)
		return;
	MDB_val k = { plen, (void *)prefix }, v;
	int rc;
	/* Seek again after each delete: where a deleted cursor stands at the end is not portable. */
	while ((rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE)) == 0 && k.mv_size >= plen &&
	       memcmp(k.mv_data, prefix, plen) == 0) {
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			break;
		k = (MDB_val){ plen, (void *)prefix };
	}
	if (rc && rc != MDB_NOTFOUND)
		store_fail(t, store_errno(rc));
	mdb_cursor_close(c);
}

void watch_store_del(struct store_txn *t, const char *domain)
{
	uint8_t k[KEY_MAX];
	size_t n = key(k, WATCH_ENTRY_TAG, domain, false, 0);
	store_del(t, STORE_WATCH, k, n);
	k[0] = WATCH_OPEN_TAG;
	store_del(t, STORE_WATCH, k, n);
	k[0] = WATCH_ROW_TAG;
	k[n] = 0;
	del_prefix(t, k, n + 1);
}

struct each {
	int (*entry)(const struct watch_entry *e, void *ctx);
	int (*row)(const struct watch_row *r, void *ctx);
	int (*event)(uint64_t seq, const struct alert_event *e, void *ctx);
	void *ctx;
	union {
		struct watch_entry e;
		struct watch_row r;
		struct alert_event ev;
	} u;
};

static int each_entry(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct each *x = arg;
	(void)k;
	int rc = decode_entry(v->mv_data, v->mv_size, &x->u.e);
	return rc ? rc : x->entry(&x->u.e, x->ctx);
}

/* Runs walk() with a struct each on the heap (a row is large). */
static int walk_each(struct store_txn *t, const uint8_t *prefix, size_t plen,
                     int (*fn)(const MDB_val *k, const MDB_val *v, void *ctx),
                     const struct each *proto)
{
	struct each *x = malloc(sizeof(*x));
	if (x == NULL)
		return -ENOMEM;
	*x = *proto;
	int rc = walk(t, prefix, plen, fn, x);
	free(x);
	return rc;
}

int watch_store_each(struct store_txn *t, int (*fn)(const struct watch_entry *e, void *ctx),
                     void *ctx)
{
	uint8_t tag = WATCH_ENTRY_TAG;
	struct each x = { .entry = fn, .ctx = ctx };
	return walk_each(t, &tag, 1, each_entry, &x);
}

void watch_store_row_put(struct store_txn *t, const char *domain, const struct watch_row *r)
{
	uint8_t k[KEY_MAX];
	char *v;
	size_t len;
	int rc = watch_row_encode(r, &v, &len);
	if (rc) {
		store_fail(t, rc);
		return;
	}
	uint64_t seq;
	if (store_next_id(t, "watch-row", &seq) != 0) {
		free(v);
		return;
	}
	size_t n = key(k, WATCH_ROW_TAG, domain, true, (uint64_t)r->time);
	wire_put32(k + n, (uint32_t)(seq >> 32));
	wire_put32(k + n + 4, (uint32_t)seq);
	store_put(t, STORE_WATCH, k, n + 8, v, len, 0);
	free(v);
}

int watch_store_row_last(struct store_txn *t, const char *domain, struct watch_row *out)
{
	uint8_t k[KEY_MAX];
	size_t n = key(k, WATCH_ROW_TAG, domain, true, UINT64_MAX);
	memset(k + n, 0xff, 8);
	n += 8;
	MDB_cursor *c;
	int rc = store_cursor(t, STORE_WATCH, &c);
	if (rc)
		return rc;
	MDB_val mk = { n, k }, v;
	int mrc = mdb_cursor_get(c, &mk, &v, MDB_SET_RANGE);
	mrc = mrc == 0 ? mdb_cursor_get(c, &mk, &v, MDB_PREV) : mdb_cursor_get(c, &mk, &v, MDB_LAST);
	if (mrc == 0 && mk.mv_size == n && memcmp(mk.mv_data, k, n - ROW_SUFFIX) == 0)
		rc = watch_row_decode(v.mv_data, v.mv_size, out);
	else
		rc = mrc == 0 || mrc == MDB_NOTFOUND ? LS_ENOTFOUND : store_errno(mrc);
	mdb_cursor_close(c);
	return rc;
}

static int each_row(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct each *x = arg;
	if (k->mv_size < 2 + ROW_SUFFIX)
		return LS_EPARSE;
	int rc = watch_row_decode(v->mv_data, v->mv_size, &x->u.r);
	return rc ? rc : x->row(&x->u.r, x->ctx);
}

int watch_store_rows(struct store_txn *t, const char *domain,
                     int (*fn)(const struct watch_row *r, void *ctx), void *ctx)
{
	uint8_t k[KEY_MAX];
	size_t n = key(k, WATCH_ROW_TAG, domain, true, 0);
	struct each x = { .row = fn, .ctx = ctx };
	return walk_each(t, k, n - 8, each_row, &x);
}

int watch_store_prune(struct store_txn *t, int64_t before, size_t max, size_t *n)
{
	*n = 0;
	MDB_cursor *c;
	int rc = store_cursor(t, STORE_WATCH, &c);
	if (rc)
		return rc == LS_ENOTFOUND ? 0 : rc;
	uint8_t tag = WATCH_ROW_TAG;
	MDB_val k = { 1, &tag }, v;
	int mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
	while (mrc == 0 && *n < max && ((const uint8_t *)k.mv_data)[0] == WATCH_ROW_TAG) {
		const uint8_t *p = k.mv_data;
		bool old = false;
		if (k.mv_size >= 2 + ROW_SUFFIX) {
			uint64_t when = (uint64_t)wire_get32(p + k.mv_size - 16) << 32 |
			                wire_get32(p + k.mv_size - 12);
			old = (int64_t)when < before;
		}
		if (old) {
			uint8_t at[KEY_MAX];
			size_t len = k.mv_size < sizeof(at) ? k.mv_size : sizeof(at);
			memcpy(at, k.mv_data, len);
			if ((mrc = mdb_cursor_del(c, 0)) != 0)
				break;
			(*n)++;
			k = (MDB_val){ len, at };     /* the next key: seek past the deleted one */
			mrc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
		} else {
			mrc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
		}
	}
	mdb_cursor_close(c);
	return mrc && mrc != MDB_NOTFOUND ? store_fail(t, store_errno(mrc)) : 0;
}

static json_t *open_json(const struct watch_open_set *s)
{
	json_t *a = json_array();
	for (unsigned i = 0; a && i < s->n; i++) {
		const struct watch_open *p = &s->v[i];
		json_array_append_new(a, json_pack("{s:s, s:s, s:I, s:I, s:s, s:s}", "code", p->code,
		                                   "level", alert_level_name(p->level),
		                                   "opened", (json_int_t)p->opened,
		                                   "sent", (json_int_t)p->sent, "id", p->id,
		                                   "hash", p->hash));
	}
	return a;
}

static int open_from(const json_t *a, struct watch_open_set *s)
{
	memset(s, 0, sizeof(*s));
	if (!json_is_array(a) || json_array_size(a) > WATCH_OPEN_MAX)
		return LS_EPARSE;
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) {
		struct watch_open *p = &s->v[i];
		char level[16];
		json_int_t opened, sent;
		if (json_unpack(v, "{s:I, s:I}", "opened", &opened, "sent", &sent) != 0 ||
		    text(v, "code", p->code, sizeof(p->code)) || !*p->code ||
		    text(v, "level", level, sizeof(level)) || alert_level_parse(level, &p->level) ||
		    text(v, "id", p->id, sizeof(p->id)) || text(v, "hash", p->hash, sizeof(p->hash)))
			return LS_EPARSE;
		p->opened = opened;
		p->sent = sent;
	}
	s->n = (unsigned)json_array_size(a);
	return 0;
}

static int open_from_any(const json_t *j, void *out) { return open_from(j, out); }

static int decode_open(const void *val, size_t len, struct watch_open_set *s)
{
	return decode(val, len, WATCH_OPEN_TAG, open_from_any, s);
}

int watch_store_open_get(struct store_txn *t, const char *domain, struct watch_open_set *out)
{
	uint8_t k[KEY_MAX];
	MDB_val v;
	int rc = store_get(t, STORE_WATCH, k, key(k, WATCH_OPEN_TAG, domain, false, 0), &v);
	if (rc == LS_ENOTFOUND) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	return rc ? rc : decode_open(v.mv_data, v.mv_size, out);
}

void watch_store_open_put(struct store_txn *t, const char *domain,
                          const struct watch_open_set *s)
{
	uint8_t k[KEY_MAX];
	size_t n = key(k, WATCH_OPEN_TAG, domain, false, 0);
	if (s->n == 0)
		store_del(t, STORE_WATCH, k, n);
	else
		put_json(t, k, n, WATCH_OPEN_TAG, open_json(s));
}

void watch_store_outbox_put(struct store_txn *t, const struct alert_event *e)
{
	uint8_t k[9];
	uint64_t seq;
	if (store_next_id(t, "watch-outbox", &seq) != 0)
		return;
	k[0] = WATCH_OUTBOX_TAG;
	wire_put32(k + 1, (uint32_t)(seq >> 32));
	wire_put32(k + 5, (uint32_t)seq);
	put_json(t, k, sizeof(k), WATCH_OUTBOX_TAG, alert_json(e));
	/* Nobody sending (no dnsd): the queue keeps the newest WATCH_OUTBOX_MAX. */
	if (seq > WATCH_OUTBOX_MAX)
		watch_store_outbox_del(t, seq - WATCH_OUTBOX_MAX);
}

static int event_from_any(const json_t *j, void *out) { return alert_from_json(j, out); }

static int decode_event(const void *val, size_t len, struct alert_event *e)
{
	return decode(val, len, WATCH_OUTBOX_TAG, event_from_any, e);
}

static int each_event(const MDB_val *k, const MDB_val *v, void *arg)
{
	struct each *x = arg;
	const uint8_t *p = k->mv_data;
	if (k->mv_size != 9)
		return LS_EPARSE;
	int rc = decode_event(v->mv_data, v->mv_size, &x->u.ev);
	return rc ? rc : x->event((uint64_t)wire_get32(p + 1) << 32 | wire_get32(p + 5), &x->u.ev,
	                          x->ctx);
}

int watch_store_outbox_each(struct store_txn *t,
                            int (*fn)(uint64_t seq, const struct alert_event *e, void *ctx),
                            void *ctx)
{
	uint8_t tag = WATCH_OUTBOX_TAG;
	struct each x = { .event = fn, .ctx = ctx };
	return walk_each(t, &tag, 1, each_event, &x);
}

void watch_store_outbox_del(struct store_txn *t, uint64_t seq)
{
	uint8_t k[9];
	k[0] = WATCH_OUTBOX_TAG;
	wire_put32(k + 1, (uint32_t)(seq >> 32));
	wire_put32(k + 5, (uint32_t)seq);
	store_del(t, STORE_WATCH, k, sizeof(k));
}

const char *watch_store_check(const void *kp, size_t klen, const void *val, size_t vlen)
{
	const uint8_t *k = kp;
	if (klen < 2)
		return "a key too short for the watch table";
	union {
		struct watch_entry e;
		struct watch_row r;
		struct watch_open_set s;
		struct alert_event ev;
	} *u = malloc(sizeof(*u));
	if (u == NULL)
		return "out of memory";
	const char *why = NULL;
	switch (k[0]) {
	case WATCH_ENTRY_TAG:
		why = decode_entry(val, vlen, &u->e) ? "a watched domain that does not decode" : NULL;
		break;
	case WATCH_ROW_TAG:
		why = klen < 2 + ROW_SUFFIX || watch_row_decode(val, vlen, &u->r) ?
		      "a watch result that does not decode" : NULL;
		break;
	case WATCH_OPEN_TAG:
		why = decode_open(val, vlen, &u->s) ? "open problems that do not decode" : NULL;
		break;
	case WATCH_OUTBOX_TAG:
		why = klen != 9 || decode_event(val, vlen, &u->ev) ? "a queued alert that does not decode" : NULL;
		break;
	default:
		why = "a key of no known kind in the watch table";
	}
	free(u);
	return why;
}
