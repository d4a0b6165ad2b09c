/* Guarded enforce: before a domain goes to enforce, the check a sender would make of it. */
#include <stdio.h>
#include <string.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/check/check.h"
#include "shared/watch/watch_store.h"

int ctl_check_enforce(struct ctl *c, const uint8_t *name)
{
	char text[DNAME_STR_MAX], domain[WATCH_HOST_MAX], err[512];
	struct watch_entry e;
	struct store_txn t;
	struct check_result r;
	const char *ct[WATCH_CONNECT_MAX];
	if (!c->cfg.sts_enforce_check)
		return 0;
	if (watch_store_name(dname_format(text, name), domain) != 0)
		return ctl_fail_msg(c, EXIT_USAGE, "'%s' is not a domain name", text);
	/* The options of the domain's watch, else watch.*; the command line's win. */
	memset(&e, 0, sizeof(e));
	if (store_begin(c->st, false, 0, &t) == 0) {
		watch_store_get(&t, domain, &e);
		store_abort(&t);
	}
	struct check_opts o = { 0 };
	o.resolver = c->resolver ? c->resolver : *e.resolver ? e.resolver :
	             *c->cfg.watch_resolver ? c->cfg.watch_resolver : NULL;
	o.ca_file = c->ca ? c->ca : *e.ca ? e.ca : NULL;
	if (c->nconnect_to) {
		o.connect_to = c->connect_to;
		o.n_connect_to = c->nconnect_to;
	} else {
		for (unsigned i = 0; i < e.nconnect; i++)
			ct[i] = e.connect_to[i];
		o.connect_to = ct;
		o.n_connect_to = e.nconnect;
	}
	o.timeout_ms = (int)(e.timeout ? e.timeout : c->cfg.watch_timeout) * 1000;
	o.own_store = c->st;
	o.cfg = &c->cfg;
	int rc = check_run(domain, &o, &r, err, sizeof(err));
	if (rc != 0) {
		check_result_free(&r);
		if (c->force) {
			fprintf(stderr, "zonectl: warning: --force: %s was not checked (%s)\n", domain, err);
			return 0;
		}
		return ctl_fail_msg(c, EXIT_CONFLICT, "%s: not switched to enforce: the check could not "
		                    "run (%s); fix that, or give --force", domain, err);
	}
	size_t errors = 0;
	for (size_t i = 0; i < r.n_problems; i++) {
		const struct check_problem *p = &r.problems[i];
		if (p->level != CHECK_ERROR)
			continue;
		if (errors++ == 0)
			fprintf(stderr, "The check of %s (as a sender sees it) found:\n", domain);
		fprintf(stderr, "  error %s %s: %s%s%s\n", p->code, p->subject, p->message,
		        *p->fix ? "; fix: " : "", p->fix);
	}
	check_result_free(&r);
	if (errors == 0)
		return 0;
	if (c->force) {
		fprintf(stderr, "zonectl: warning: --force: enforce despite %zu error%s\n", errors,
		        errors == 1 ? "" : "s");
		return 0;
	}
	return ctl_fail_msg(c, EXIT_CONFLICT, "%s: not switched to enforce: the check found %zu "
	                    "error%s (above); fix them, or give --force", domain, errors,
	                    errors == 1 ? "" : "s");
}
