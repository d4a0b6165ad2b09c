/* zonectl watch add|del|list|history|run: domains checked again and again, with alerts. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/check/check.h"
#include "shared/check/check_connect.h"
#include "shared/util/addr.h"
#include "shared/util/err.h"
#include "shared/watch/watch_run.h"
#include "shared/watch/watch_store.h"

/* A usage error of this command (help.c would make the command table use us back). */
static int usage(struct ctl *c, const char *fmt, const char *arg)
{
	fprintf(stderr, "zonectl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: zonectl %s %s\n", c->cmd->name, c->cmd->usage);
	return EXIT_USAGE;
}

static int name_arg(struct ctl *c, const char *arg, char out[WATCH_HOST_MAX])
{
	if (watch_store_name(arg, out) == 0)
		return 0;
	return usage(c, "'%s' is not a domain name", arg);
}

/* A number option within lo..hi (0 when not given); an exit code when it is not one. */
static int number(struct ctl *c, const char *opt, const char *text, uint32_t lo, uint32_t hi,
                  uint32_t *out)
{
	char *end;
	*out = 0;
	if (text == NULL)
		return 0;
	unsigned long v = strtoul(text, &end, 10);
	if (*text == '-' || end == text || *end || v < lo || v > hi) {
		fprintf(stderr, "zonectl: --%s must be a whole number from %u to %u (not '%s')\n",
		        opt, lo, hi, text);
		return EXIT_USAGE;
	}
	*out = (uint32_t)v;
	return 0;
}

int cmd_watch_add(struct ctl *c)
{
	struct watch_entry e, old;
	struct store_txn t;
	int rc;
	memset(&e, 0, sizeof(e));
	if ((rc = name_arg(c, c->args[0], e.domain)) != 0 ||
	    (rc = number(c, "every", c->every, WATCH_EVERY_MIN, WATCH_EVERY_MAX, &e.every)) != 0 ||
	    (rc = number(c, "timeout", c->timeout, 1, 600, &e.timeout)) != 0)
		return rc;
	int family;
	uint8_t addr[16];
	uint16_t port;
	if (c->resolver && (strlen(c->resolver) >= sizeof(e.resolver) ||
	                    addr_parse(c->resolver, 53, &family, addr, &port) != 0))
		return usage(c, "--resolver '%s' is not ADDR[:PORT]", c->resolver);
	if (c->ca && (strlen(c->ca) >= sizeof(e.ca) || *c->ca != '/'))
		return usage(c, "--ca '%s' must be an absolute path", c->ca);
	if (c->ca && access(c->ca, R_OK) != 0)
		return ctl_fail_msg(c, EXIT_NOTFOUND, "--ca %s: %s", c->ca, strerror(errno));
	if (c->nconnect_to > WATCH_CONNECT_MAX)
		return usage(c, "--connect-to is given too often (at most %s)", "8");
	char why[256];
	if (check_connect_parse(c->connect_to, c->nconnect_to, why, sizeof(why)) != 0)
		return usage(c, "%s", why);
	for (unsigned i = 0; i < c->nconnect_to; i++) {
		if (strlen(c->connect_to[i]) >= WATCH_TEXT_MAX)
			return usage(c, "--connect-to '%s' is too long", c->connect_to[i]);
		snprintf(e.connect_to[i], WATCH_TEXT_MAX, "%s", c->connect_to[i]);
	}
	e.nconnect = c->nconnect_to;
	snprintf(e.resolver, sizeof(e.resolver), "%s", c->resolver ? c->resolver : "");
	snprintf(e.ca, sizeof(e.ca), "%s", c->ca ? c->ca : "");
	int64_t now = (int64_t)time(NULL);
	e.added = now;
	e.next = watch_first_run(e.domain, now);
	if ((rc = ctl_open(c, true)) != 0)
		return rc;
	if ((rc = store_begin(c->st, true, 0, &t)) != 0)
		return ctl_fail(c, rc, "cannot write the store");
	bool again = watch_store_get(&t, e.domain, &old) == 0 && !old.off;
	if (again) {
		e.added = old.added;
		e.last = old.last;
		if (old.last)
			e.next = watch_next_run(&e, &c->cfg, old.last);
	}
	watch_store_put(&t, &e);
	if ((rc = store_commit(&t)) != 0)
		return ctl_fail(c, rc, "cannot add %s", e.domain);
	if (c->json)
		return ctl_json_print(json_pack("{s:s, s:b, s:o}", "domain", e.domain, "replaced",
		                                again, "next", ctl_json_time(e.next)));
	char when[32];
	printf("%s %s: every %u minutes, next run %s\n", e.domain, again ? "updated" : "watched",
	       e.every ? e.every : c->cfg.watch_every, ctl_time(e.next, when, sizeof(when)));
	return EXIT_OK;
}

int cmd_watch_del(struct ctl *c)
{
	char name[WATCH_HOST_MAX];
	struct watch_entry e;
	struct store_txn t;
	int rc = name_arg(c, c->args[0], name);
	if (rc || (rc = ctl_open(c, true)) != 0)
		return rc;
	if ((rc = store_begin(c->st, true, 0, &t)) != 0)
		return ctl_fail(c, rc, "cannot write the store");
	rc = watch_store_get(&t, name, &e);
	bool own = watch_is_own(&t, name);
	if ((rc == LS_ENOTFOUND && !(own && c->cfg.watch_own)) || (rc == 0 && e.off)) {
		store_abort(&t);
		return ctl_fail_msg(c, EXIT_NOTFOUND, "%s is not watched", name);
	}
	if (rc && rc != LS_ENOTFOUND) {
		store_abort(&t);
		return ctl_fail(c, rc, "cannot read the store");
	}
	watch_store_del(&t, name);
	if (own && c->cfg.watch_own) {
		/* An own domain would come back at the next run: it stays, marked off. */
		memset(&e, 0, sizeof(e));
		snprintf(e.domain, sizeof(e.domain), "%s", name);
		e.off = true;
		e.added = (int64_t)time(NULL);
		watch_store_put(&t, &e);
	}
	if ((rc = store_commit(&t)) != 0)
		return ctl_fail(c, rc, "cannot delete %s", name);
	if (c->json)
		return ctl_json_print(json_pack("{s:s, s:b}", "domain", name, "deleted", 1));
	printf("%s no longer watched; its results are deleted\n", name);
	return EXIT_OK;
}

static const char *status_name(const struct watch_row *r)
{
	int s = watch_row_status(r);
	return s < 0 ? "ok" : alert_level_name((enum alert_level)s);
}

struct list_ctx {
	struct ctl_out o;
	struct store_txn *t;
	const struct config *cfg;
};

static int list_fn(const struct watch_entry *e, void *arg)
{
	struct list_ctx *l = arg;
	struct watch_row r;
	struct watch_open_set s;
	char next[32], last[32];
	if (e->off)
		return 0;
	bool have = watch_store_row_last(l->t, e->domain, &r) == 0;
	if (watch_store_open_get(l->t, e->domain, &s) != 0)
		s.n = 0;
	uint32_t every = e->every ? e->every : l->cfg->watch_every;
	if (l->o.c->json) {
		json_t *open = json_array();
		for (unsigned i = 0; open && i < s.n; i++)
			json_array_append_new(open, json_string(s.v[i].code));
		ctl_out_item(&l->o, json_pack("{s:s, s:i, s:b, s:o, s:o, s:o, s:s?, s:o}",
		                              "domain", e->domain, "every", (int)every,
		                              "implicit", e->implicit,
		                              "next", ctl_json_time(e->next),
		                              "last", ctl_json_time(e->last),
		                              "status", have ? json_string(status_name(&r)) : json_null(),
		                              "id", have && *r.id ? r.id : NULL, "open", open));
		return 0;
	}
	ctl_out_item(&l->o, NULL);
	printf("%-40s every %4u min  %-5s  last %s  next %s  open:", e->domain, every,
	       have ? status_name(&r) : "-", e->last ? ctl_time(e->last, last, sizeof(last)) : "never",
	       ctl_time(e->next, next, sizeof(next)));
	for (unsigned i = 0; i < s.n; i++)
		printf(" %s", s.v[i].code);
	printf("%s%s\n", s.n ? "" : " none", e->implicit ? "  (MTA-STS enabled here)" : "");
	return 0;
}

/* An enabled domain the first due run has not taken in yet: watched all the same. */
static int pending_fn(const struct sts_domain *d, void *arg)
{
	struct list_ctx *l = arg;
	char text[DNAME_STR_MAX], name[WATCH_HOST_MAX];
	struct watch_entry e;
	if (d->state != STS_ACTIVE || watch_store_name(dname_format(text, d->domain), name) != 0 ||
	    watch_store_get(l->t, name, &e) != LS_ENOTFOUND)
		return 0;
	if (l->o.c->json) {
		ctl_out_item(&l->o, json_pack("{s:s, s:i, s:b, s:n, s:n, s:n, s:[]}", "domain", name,
		                              "every", (int)l->cfg->watch_every, "implicit", 1,
		                              "next", "last", "status", "open"));
		return 0;
	}
	ctl_out_item(&l->o, NULL);
	printf("%-40s every %4u min  -      first run within a minute of dnsd's next look  "
	       "(MTA-STS enabled here)\n", name, l->cfg->watch_every);
	return 0;
}

int cmd_watch_list(struct ctl *c)
{
	struct store_txn t;
	struct list_ctx l = { .t = &t, .cfg = &c->cfg };
	int rc = ctl_read(c, &t);
	if (rc)
		return rc;
	ctl_out_list_begin(&l.o, c, "domains");
	rc = watch_store_each(&t, list_fn, &l);
	if (rc == 0 && c->cfg.watch_own)
		rc = sts_record_each(&t, pending_fn, &l);
	if (rc == 0 && !c->json && l.o.n == 0)
		printf("no domains watched (zonectl watch add DOMAIN; enabled MTA-STS domains are "
		       "added by the first run)\n");
	return ctl_list_done(&l.o, &t, rc, "cannot read the watch list");
}

static int history_fn(const struct watch_row *r, void *arg)
{
	struct ctl_out *o = arg;
	char when[32];
	if (o->c->json) {
		ctl_out_item(o, watch_row_json(r));
		return 0;
	}
	ctl_out_item(o, NULL);
	char mx[1024];
	watch_row_mx_text(r, mx, sizeof(mx));
	printf("%s  %-5s  id %s  policy %s  mode %s  max_age %lld  mx %s\n",
	       ctl_time(r->time, when, sizeof(when)), status_name(r), *r->id ? r->id : "-",
	       r->fetched ? r->hash : "unreachable", *r->mode ? r->mode : "-",
	       (long long)r->max_age, *mx ? mx : "-");
	for (unsigned i = 0; i < r->ncodes; i++)
		printf("    %-5s %s\n", alert_level_name(r->codes[i].level), r->codes[i].code);
	for (unsigned i = 0; i < r->nevents; i++)
		printf("    event %s\n", r->events[i]);
	return 0;
}

int cmd_watch_history(struct ctl *c)
{
	char name[WATCH_HOST_MAX];
	struct store_txn t;
	struct ctl_out o;
	int rc = name_arg(c, c->args[0], name);
	if (rc || (rc = ctl_read(c, &t)) != 0)
		return rc;
	struct watch_entry e;
	struct watch_row r;
	if (watch_store_get(&t, name, &e) != 0 && watch_store_row_last(&t, name, &r) != 0) {
		store_abort(&t);
		return ctl_fail_msg(c, EXIT_NOTFOUND, "%s is not watched", name);
	}
	ctl_out_begin(&o, c);
	if (c->json)
		ctl_out_put(&o, "domain", json_string(name));
	ctl_out_list(&o, "results");
	rc = watch_store_rows(&t, name, history_fn, &o);
	ctl_out_list_end(&o);
	int ec = ctl_out_end(&o);
	store_abort(&t);
	return rc ? ctl_fail(c, rc, "cannot read the results of %s", name) : ec;
}

int cmd_watch_run(struct ctl *c)
{
	char name[WATCH_HOST_MAX], err[512];
	int rc;
	if (c->nargs && (rc = name_arg(c, c->args[0], name)) != 0)
		return rc;
	if ((rc = ctl_open(c, true)) != 0)
		return rc;
	struct watch_ctx ctx = { .st = c->st, .cfg = &c->cfg, .check = check_run,
	                         .check_free = check_result_free };
	atomic_init(&ctx.worst, -1);
	size_t n;
	if ((rc = watch_outbox_deliver(&ctx, &n)) != 0)
		return ctl_fail(c, rc, "cannot send the queued events");
	if (c->nargs) {
		if ((rc = watch_run_domain(&ctx, name, err, sizeof(err))) != 0)
			return ctl_fail_msg(c, rc == LS_ENOTFOUND ? EXIT_NOTFOUND : EXIT_STORE, "%s: %s",
			                    name, err);
	} else if ((rc = watch_run_due(&ctx, (int64_t)time(NULL))) != 0) {
		return ctl_fail(c, rc, "cannot run the due checks");
	}
	unsigned ran = atomic_load(&ctx.ran), failed = atomic_load(&ctx.failed);
	int worst = atomic_load(&ctx.worst);
	if (c->json)
		ctl_json_print(json_pack("{s:i, s:i, s:s}", "ran", (int)ran, "failed", (int)failed,
		                         "status", worst == CHECK_ERROR ? "error" :
		                         worst == CHECK_WARN ? "warn" : "ok"));
	else
		printf("%u check%s ran, %u failed%s\n", ran, ran == 1 ? "" : "s", failed,
		       ran + failed ? "" : " (none due)");
	if (failed)
		return EXIT_STORE;
	return worst == CHECK_ERROR ? EXIT_CHECK_ERROR : worst == CHECK_WARN ? EXIT_CHECK_WARN : EXIT_OK;
}
