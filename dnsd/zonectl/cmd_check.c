/* zonectl check DOMAIN: any domain's MTA-STS as a sender sees it, one line per check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/util/err.h"
#include "shared/check/check.h"

#define CHECK_TIMEOUT_MAX_S 3600

/* Nagios and Icinga plugin statuses. */
enum { NAGIOS_OK, NAGIOS_WARNING, NAGIOS_CRITICAL, NAGIOS_UNKNOWN };

/* The exit status of a check that ran: 0 clean (info allowed), 6 warnings, 7 errors. */
static int check_exit(const struct check_result *r)
{
	return r->status == CHECK_ERROR ? EXIT_CHECK_ERROR : r->status == CHECK_WARN ?
	       EXIT_CHECK_WARN : EXIT_OK;
}

/* One line per problem, then "ok" for each check that found none. */
static void print_text(const struct check_result *r)
{
	for (size_t i = 0; i < r->n_problems; i++) {
		const struct check_problem *p = &r->problems[i];
		printf("%-5s %s: %s: %s", check_level_name(p->level), p->code, p->subject, p->message);
		if (p->fix[0])
			printf(" (fix: %s)", p->fix);
		putchar('\n');
	}
	for (size_t k = 0; k < r->n_checked; k++) {
		bool found = false;
		for (size_t i = 0; i < r->n_problems && !found; i++)
			found = strcmp(check_code_check(r->problems[i].code), r->checked[k]) == 0;
		if (!found)
			printf("ok    %s\n", r->checked[k]);
	}
}

/* "MTA-STS CRITICAL - code: message; ..." with the worst problems first. */
static int print_nagios(const struct check_result *r)
{
	static const char *const word[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };
	int st = r->status == CHECK_ERROR ? NAGIOS_CRITICAL : r->status == CHECK_WARN ?
	         NAGIOS_WARNING : NAGIOS_OK;
	enum check_level want = r->status == CHECK_ERROR ? CHECK_ERROR : CHECK_WARN;
	printf("MTA-STS %s - ", word[st]);
	if (st == NAGIOS_OK) {
		printf("%s: %zu checks passed", r->domain, r->n_checked);
	} else {
		const char *sep = "";
		for (size_t i = 0; i < r->n_problems; i++) {
			const struct check_problem *p = &r->problems[i];
			if (p->level != want)
				continue;
			printf("%s%s: %s %s", sep, p->code, p->subject, p->message);
			sep = "; ";
		}
	}
	putchar('\n');
	return st;
}

/* --timeout in seconds, 1 to 3600; 0 when it is not one. */
static int timeout_ms(const char *text)
{
	char *end;
	long v = strtol(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end || v < 1 || v > CHECK_TIMEOUT_MAX_S)
		return 0;
	return (int)v * 1000;
}

int cmd_check(struct ctl *c)
{
	struct check_opts o = { 0 };
	struct check_result r;
	struct stat sb;
	char err[512], path[4200];
	o.resolver = c->resolver;
	o.ca_file = c->ca;
	o.connect_to = c->connect_to;
	o.n_connect_to = c->nconnect_to;
	o.cfg = &c->cfg;
	const char *bad = c->json && c->nagios ? "--json and --nagios exclude each other" :
	                  c->timeout && (o.timeout_ms = timeout_ms(c->timeout)) == 0 ?
	                  "--timeout is not a number of seconds from 1 to 3600" : NULL;
	if (bad) {
		fprintf(stderr, "zonectl: %s\nusage: zonectl %s %s\n", bad, c->cmd->name, c->cmd->usage);
		return EXIT_USAGE;
	}
	/* A domain of the local store gets the owner's checks too; a missing or unreadable store
	 * only means there is no owner here. */
	snprintf(path, sizeof(path), "%s/data.mdb", c->state);
	if (stat(path, &sb) == 0) {
		int src = store_open(&c->st, c->state, STORE_RDONLY);
		if (src == 0)
			o.own_store = c->st;
		else if (!c->nagios)
			fprintf(stderr, "zonectl: note: the store in %s cannot be read (%s): no "
			        "own-domain checks\n", c->state, ls_strerror(src));
	}
	int rc = check_run(c->args[0], &o, &r, err, sizeof(err));
	if (rc != 0) {
		check_result_free(&r);
		if (c->nagios) {
			printf("MTA-STS UNKNOWN - %s\n", err);
			return NAGIOS_UNKNOWN;
		}
		return ctl_fail_msg(c, rc == LS_EPARSE || rc == LS_ECONFIG ? EXIT_USAGE : EXIT_STORE,
		                    "check %s: %s", c->args[0], err);
	}
	int ec = check_exit(&r);
	if (c->nagios)
		ec = print_nagios(&r);
	else if (c->json && ctl_json_print(check_result_json(&r)) != EXIT_OK)
		ec = EXIT_STORE;
	else if (!c->json)
		print_text(&r);
	check_result_free(&r);
	return ec;
}
