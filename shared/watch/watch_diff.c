/* Events are diffs of two watch rows, made exact by the domain's open problems. */
#include <stdio.h>
#include <string.h>
#include "shared/watch/watch_diff.h"

struct out {
	const char *domain;
	int64_t now;
	struct alert_event *ev;
	size_t cap, n;
};

static struct alert_event *emit(struct out *o, const char *code, enum alert_level level,
                                enum alert_state state, const char *before, const char *after)
{
	if (o->n == o->cap)
		return NULL;
	struct alert_event *e = &o->ev[o->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->domain, sizeof(e->domain), "%s", o->domain);
	snprintf(e->code, sizeof(e->code), "%s", code);
	e->level = level;
	e->state = state;
	snprintf(e->before, sizeof(e->before), "%s", before ? before : "");
	snprintf(e->after, sizeof(e->after), "%s", after ? after : "");
	e->time = o->now;
	return e;
}

static struct watch_open *find(struct watch_open_set *s, const char *code)
{
	for (unsigned i = 0; i < s->n; i++)
		if (strcmp(s->v[i].code, code) == 0)
			return &s->v[i];
	return NULL;
}

static struct watch_open *add(struct watch_open_set *s, const char *code, enum alert_level level,
                              int64_t now)
{
	if (s->n == WATCH_OPEN_MAX)
		return NULL;
	struct watch_open *p = &s->v[s->n++];
	memset(p, 0, sizeof(*p));
	snprintf(p->code, sizeof(p->code), "%s", code);
	p->level = level;
	p->opened = p->sent = now;
	return p;
}

static void drop(struct watch_open_set *s, struct watch_open *p)
{
	*p = s->v[--s->n];
}

/* A problem still there: sent again once a day. */
static void still_open(struct out *o, struct watch_open *p, const char *after)
{
	if (o->now - p->sent < WATCH_REPEAT_S)
		return;
	p->sent = o->now;
	emit(o, p->code, p->level, ALERT_OPEN, NULL, after);
}

static bool is_fetch_code(const char *code)
{
	return strncmp(code, "policy-fetch-", 13) == 0;
}

/* The fetch codes of cur and why the fetch failed: they travel inside the unreachable event. */
static void fetch_detail(const struct watch_row *cur, char *out, size_t cap)
{
	size_t off = 0;
	*out = 0;
	for (unsigned i = 0; i < cur->ncodes && off < cap; i++)
		if (is_fetch_code(cur->codes[i].code)) {
			int k = snprintf(out + off, cap - off, "%s%s", off ? " " : "", cur->codes[i].code);
			off += k > 0 ? (size_t)k : 0;
		}
	if (*cur->fetch_error && off < cap)
		snprintf(out + off, cap - off, "%s%s", off ? ": " : "", cur->fetch_error);
}

static void unreachable(struct out *o, const struct watch_row *prev, const struct watch_row *cur,
                        struct watch_open_set *open)
{
	bool now_bad = cur->txt && !cur->fetched;
	struct watch_open *p = find(open, WATCH_UNREACHABLE);
	if (now_bad && p == NULL) {
		add(open, WATCH_UNREACHABLE, ALERT_ERROR, o->now);
		struct alert_event *e = emit(o, WATCH_UNREACHABLE, ALERT_ERROR, ALERT_OPEN,
		                             prev && prev->fetched ? prev->id : NULL, cur->id);
		if (e)
			fetch_detail(cur, e->detail, sizeof(e->detail));
	} else if (now_bad) {
		size_t before = o->n;
		still_open(o, p, cur->id);
		if (o->n > before)
			fetch_detail(cur, o->ev[before].detail, sizeof(o->ev[before].detail));
	} else if (p) {
		emit(o, WATCH_UNREACHABLE, ALERT_ERROR, ALERT_RESOLVED, NULL,
		     cur->fetched ? cur->id : "no _mta-sts record");
		drop(open, p);
	}
}

/* The seed of all bugs: the body changed and the id did not, so senders never refetch. It
 * clears when the id changes or the body returns to the one the id was published with. */
/* Returns true when the problem was resolved by a new id (that id change is then no news). */
static bool changed_same_id(struct out *o, const struct watch_row *prev,
                            const struct watch_row *cur, struct watch_open_set *open)
{
	struct watch_open *p = find(open, WATCH_CHANGED_SAME_ID);
	if (p) {
		if (!cur->fetched) {
			still_open(o, p, NULL);
		} else if (strcmp(cur->id, p->id) != 0 || strcmp(cur->hash, p->hash) == 0) {
			bool new_id = strcmp(cur->id, p->id) != 0;
			emit(o, WATCH_CHANGED_SAME_ID, ALERT_ERROR, ALERT_RESOLVED, p->hash, cur->hash);
			drop(open, p);
			return new_id;
		} else {
			still_open(o, p, cur->hash);
		}
		return false;
	}
	if (prev && prev->fetched && cur->fetched && *cur->id && strcmp(prev->id, cur->id) == 0 &&
	    strcmp(prev->hash, cur->hash) != 0) {
		if ((p = add(open, WATCH_CHANGED_SAME_ID, ALERT_ERROR, o->now)) != NULL) {
			snprintf(p->id, sizeof(p->id), "%s", cur->id);
			snprintf(p->hash, sizeof(p->hash), "%s", prev->hash);
		}
		emit(o, WATCH_CHANGED_SAME_ID, ALERT_ERROR, ALERT_OPEN, prev->hash, cur->hash);
	}
	return false;
}

static void once_events(struct out *o, const struct watch_row *prev, const struct watch_row *cur,
                        bool own, bool id_fixed)
{
	char a[ALERT_VALUE_MAX], b[ALERT_VALUE_MAX];
	if (prev == NULL || !prev->fetched || !cur->fetched)
		return;
	bool same_policy = strcmp(prev->hash, cur->hash) == 0;
	if (same_policy && !id_fixed && *prev->id && *cur->id && strcmp(prev->id, cur->id) != 0)
		emit(o, "id-changed-policy-unchanged", ALERT_INFO, ALERT_ONCE, prev->id, cur->id);
	if (strcmp(prev->mode, "enforce") == 0 &&
	    (strcmp(cur->mode, "testing") == 0 || strcmp(cur->mode, "none") == 0))
		emit(o, "mode-rollback", ALERT_WARN, ALERT_ONCE, prev->mode, cur->mode);
	if (prev->max_age >= 0 && cur->max_age >= 0 && cur->max_age < prev->max_age) {
		snprintf(b, sizeof(b), "%lld", (long long)prev->max_age);
		snprintf(a, sizeof(a), "%lld", (long long)cur->max_age);
		emit(o, "max-age-decreased", ALERT_WARN, ALERT_ONCE, b, a);
	}
	if (same_policy && !watch_row_same_mx(prev, cur)) {
		watch_row_mx_text(prev, b, sizeof(b));
		watch_row_mx_text(cur, a, sizeof(a));
		emit(o, "mx-changed-policy-unchanged", own ? ALERT_ERROR : ALERT_WARN, ALERT_ONCE, b, a);
	}
}

/* The check's own problem codes: each opens once and resolves when it clears; fetch codes
 * while the policy is unreachable are explained by that event and stay quiet. */
static void codes(struct out *o, const struct watch_row *cur, struct watch_open_set *open)
{
	bool unreach = cur->txt && !cur->fetched;
	for (unsigned i = 0; i < cur->ncodes; i++) {
		const struct watch_code *c = &cur->codes[i];
		if (unreach && is_fetch_code(c->code))
			continue;
		struct watch_open *p = find(open, c->code);
		if (p) {
			p->level = c->level;
			still_open(o, p, NULL);
		} else if (add(open, c->code, c->level, o->now)) {
			emit(o, c->code, c->level, ALERT_OPEN, NULL, NULL);
		}
	}
	for (unsigned i = 0; i < open->n;) {
		struct watch_open *p = &open->v[i];
		if (strcmp(p->code, WATCH_UNREACHABLE) == 0 || strcmp(p->code, WATCH_CHANGED_SAME_ID) == 0 ||
		    watch_row_code(cur, p->code) || (unreach && is_fetch_code(p->code))) {
			i++;
			continue;
		}
		emit(o, p->code, p->level, ALERT_RESOLVED, NULL, NULL);
		drop(open, p);   /* the last one moved here: look at i again */
	}
}

void watch_diff(const char *domain, const struct watch_row *prev, const struct watch_row *cur,
                bool own, struct watch_open_set *open, struct alert_event *ev, size_t cap,
                size_t *n)
{
	struct out o = { domain, cur->time, ev, cap, 0 };
	unreachable(&o, prev, cur, open);
	bool id_fixed = changed_same_id(&o, prev, cur, open);
	once_events(&o, prev, cur, own, id_fixed);
	codes(&o, cur, open);
	*n = o.n;
}
