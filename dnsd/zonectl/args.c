/* zonectl's command line: options may stand anywhere, "--" ends them; values are checked later. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dnsd/zonectl/zonectl.h"

#define NS_OPT_MAX_TEXT "16"   /* CTL_MAX_NS, in the usage message */

/* Records that option name was given, for the check that the command takes it. */
static void mark_used(struct ctl_args *a, const char *name)
{
	if (a->nused < CTL_USED_MAX)
		a->used[a->nused++] = name;
}

/* Single-letter and long spellings of the same option. */
static const char *long_name(const char *arg)
{
	if (strcmp(arg, "-c") == 0)
		return "config";
	if (strcmp(arg, "-o") == 0)
		return "output";
	if (strcmp(arg, "-h") == 0)
		return "help";
	return arg[1] == '-' ? arg + 2 : arg + 1;
}

/*
 * One option at argv[*i] that is not a global one: a valued, repeatable or flag option of
 * some command. Returns 1 when known, 0 when not, or an exit code (EXIT_USAGE, printed).
 */
static int command_option(struct ctl *c, struct ctl_args *a, int argc, char **argv, int *i,
                          const char *name)
{
	const char *arg = argv[*i];
	struct { const char *name; const char **val; } valued[] = {
		{ "config", &c->config_path }, { "state", &c->state }, { "from", &c->from },
		{ "origin", &c->origin }, { "output", &c->output }, { "serial-policy", &c->policy_name },
		{ "key", &c->key }, { "mode", &c->mode }, { "max-age", &c->max_age },
		{ "algorithm", &c->algorithm }, { "timeout", &c->timeout },
	};
	/* Options that may be given several times. */
	struct { const char *name; const char **v; unsigned *n, max; } lists[] = {
		{ "mx-extra", c->mx_extra, &c->nmx_extra, STS_EXTRA_MAX },
		{ "rua", c->rua, &c->nrua, STS_RUA_MAX },
	};
	struct { const char *name; bool *val; } flags[] = {
		{ "now", &c->now }, { "no-mx-extra", &c->no_mx_extra }, { "no-rua", &c->no_rua },
		{ "no-publish", &c->no_publish }, { "wait", &c->wait }, { "force", &c->force },
	};
	for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
		if (strcmp(name, valued[k].name) != 0)
			continue;
		if (*i + 1 >= argc)
			return ctl_usage_error(NULL, "option %s needs a value", arg);
		*valued[k].val = argv[++*i];
		mark_used(a, valued[k].name);
		return 1;
	}
	for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
		if (strcmp(name, lists[k].name) != 0)
			continue;
		if (*i + 1 >= argc || *lists[k].n == lists[k].max) {
			fprintf(stderr, "zonectl: option %s needs a value (at most %u times)\n", arg,
			        lists[k].max);
			return EXIT_USAGE;
		}
		lists[k].v[(*lists[k].n)++] = argv[++*i];
		mark_used(a, lists[k].name);
		return 1;
	}
	for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
		if (strcmp(name, flags[k].name) != 0)
			continue;
		*flags[k].val = true;
		mark_used(a, flags[k].name);
		return 1;
	}
	if (strcmp(name, "ns") == 0) {
		if (*i + 1 >= argc || c->nns == CTL_MAX_NS)
			return ctl_usage_error(NULL, "option %s needs a value (at most "
			                       NS_OPT_MAX_TEXT " times)", arg);
		c->ns[c->nns++] = argv[++*i];
		mark_used(a, "ns");
		return 1;
	}
	return 0;
}

int ctl_args_parse(struct ctl *c, int argc, char **argv, struct ctl_args *a)
{
	bool rest = false;
	memset(a, 0, sizeof(*a));
	if ((a->pos = calloc((size_t)argc + 1, sizeof(*a->pos))) == NULL)
		return EXIT_STORE;
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];
		if (rest || arg[0] != '-' || arg[1] == 0) {
			a->pos[a->npos++] = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			rest = true;
			continue;
		}
		const char *name = long_name(arg);
		if (strcmp(name, "help") == 0) {
			a->help = true;
		} else if (strcmp(name, "version") == 0) {
			a->version = true;
			return 0;
		} else if (strcmp(name, "json") == 0) {
			c->json = true;
		} else {
			int rc = command_option(c, a, argc, argv, &i, name);
			if (rc == 0)
				return ctl_usage_error(NULL, "unknown option %s", arg);
			if (rc != 1)
				return rc;
		}
	}
	if (c->wait && c->no_publish)
		return ctl_usage_error(NULL, "%s", "--wait and --no-publish exclude each other");
	if (c->timeout && !c->wait)
		return ctl_usage_error(NULL, "%s", "--timeout goes with --wait");
	c->wait_s = CTL_WAIT_DEFAULT_S;
	if (c->timeout) {
		char *end;
		unsigned long v = strtoul(c->timeout, &end, 10);
		if (*c->timeout < '0' || *c->timeout > '9' || *end || v < 1 || v > CTL_WAIT_MAX_S)
			return ctl_usage_error(NULL, "--timeout '%s' is not a number of seconds from 1 "
			                       "to 3600", c->timeout);
		c->wait_s = (unsigned)v;
	}
	return 0;
}

void ctl_args_free(struct ctl_args *a)
{
	free(a->pos);
	memset(a, 0, sizeof(*a));
}
