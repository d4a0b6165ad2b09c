/* zonectl's command line through getopt_long: options may stand anywhere, "--" ends them,
 * a long option may be shortened while it stays unambiguous; values are checked later. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dnsd/zonectl/zonectl.h"

enum kind { VALUE, LIST, FLAG, NS, HELP, VERSION, JSON };

/* One option: where its value goes. */
struct opt {
	const char *name;
	enum kind kind;
	const char **val;     /* VALUE */
	const char **list;    /* LIST: up to max values, counted in *n */
	unsigned *n, max;
	bool *flag;           /* FLAG */
};

#define OPT_MAX 64
#define OPT_BASE 256      /* getopt_long's val for opts[i] is OPT_BASE + i */

/* The option table of c (its fields receive the values). Returns how many. */
static size_t table(struct ctl *c, struct opt o[OPT_MAX])
{
#define V(nm, f) { .name = nm, .kind = VALUE, .val = &c->f }
#define L(nm, f, most) { .name = nm, .kind = LIST, .list = c->f, .n = &c->n##f, .max = most }
#define F(nm, f) { .name = nm, .kind = FLAG, .flag = &c->f }
#define K(nm, k) { .name = nm, .kind = k }
	const struct opt v[] = {
		V("config", config_path), V("state", state), V("from", from), V("origin", origin),
		V("output", output), V("serial-policy", policy_name), V("key", key), V("mode", mode),
		V("max-age", max_age), V("algorithm", algorithm), V("timeout", timeout),
		V("dir", dir), V("list", list),
		V("domain", domain), V("days", days), V("every", every), V("resolver", resolver), V("ca", ca),
		L("connect-to", connect_to, CTL_CONNECT_TO_MAX), F("nagios", nagios),
		L("mx-extra", mx_extra, STS_EXTRA_MAX), L("rua", rua, STS_RUA_MAX),
		L("zone", api_zones, API_TOKEN_ZONES_MAX), F("read-only", read_only),
		L("name", upd_names, UPDATE_POLICY_MAX_NAMES), L("type", upd_types, UPDATE_POLICY_MAX_TYPES),
		F("now", now), F("no-mx-extra", no_mx_extra), F("no-rua", no_rua),
		F("no-publish", no_publish), F("wait", wait), F("force", force),
		F("all-or-nothing", all_or_nothing), F("rua-only", rua_only),
		K("ns", NS), K("help", HELP), K("version", VERSION), K("json", JSON),
	};
#undef V
#undef L
#undef F
#undef K
	_Static_assert(sizeof(v) / sizeof(v[0]) <= OPT_MAX, "OPT_MAX is too small");
	size_t n = sizeof(v) / sizeof(v[0]);
	memcpy(o, v, sizeof(v));
	return n;
}

/* Records that option name was given, for the check that the command takes it. */
static void mark_used(struct ctl_args *a, const char *name)
{
	if (a->nused < CTL_USED_MAX)
		a->used[a->nused++] = name;
}

/* The value of opt o (its argument arg) into c; 0, or an exit code after printing. */
static int take(struct ctl *c, struct ctl_args *a, const struct opt *o, char *arg,
                const char *spelt)
{
	switch (o->kind) {
	case VALUE:
		*o->val = arg;
		break;
	case LIST:
		if (*o->n == o->max) {
			fprintf(stderr, "zonectl: option %s needs a value (at most %u times)\n", spelt,
			        o->max);
			return EXIT_USAGE;
		}
		o->list[(*o->n)++] = arg;
		break;
	case NS:
		if (c->nns == CTL_MAX_NS)
			return ctl_usage_error(NULL, "option %s needs a value (at most 16 times)", spelt);
		c->ns[c->nns++] = arg;
		break;
	case FLAG:
		*o->flag = true;
		break;
	case HELP:
		a->help = true;
		return 0;
	case VERSION:
		a->version = true;
		return 0;
	case JSON:
		c->json = true;
		return 0;
	}
	mark_used(a, o->name);
	return 0;
}

/* --wait's companions, checked once every option is in. */
static int check_wait(struct ctl *c)
{
	if (c->wait && c->no_publish)
		return ctl_usage_error(NULL, "%s", "--wait and --no-publish exclude each other");
	/* Without --wait, --timeout is another command's (check's); main.c refuses it for
	 * commands that wait. */
	c->wait_s = CTL_WAIT_DEFAULT_S;
	if (c->timeout && c->wait) {
		char *end;
		unsigned long v = strtoul(c->timeout, &end, 10);
		if (*c->timeout < '0' || *c->timeout > '9' || *end || v < 1 || v > CTL_WAIT_MAX_S)
			return ctl_usage_error(NULL, "--timeout '%s' is not a number of seconds from 1 "
			                       "to 3600", c->timeout);
		c->wait_s = (unsigned)v;
	}
	return 0;
}

int ctl_args_parse(struct ctl *c, int argc, char **argv, struct ctl_args *a)
{
	struct opt o[OPT_MAX];
	struct option longopts[OPT_MAX + 1];
	size_t n = table(c, o);
	memset(a, 0, sizeof(*a));
	memset(longopts, 0, sizeof(longopts));
	for (size_t i = 0; i < n; i++) {
		bool valued = o[i].kind == VALUE || o[i].kind == LIST || o[i].kind == NS;
		longopts[i] = (struct option){ o[i].name, valued ? required_argument : no_argument,
		                               NULL, (int)(OPT_BASE + i) };
	}
	if ((a->pos = calloc((size_t)argc + 1, sizeof(*a->pos))) == NULL)
		return EXIT_STORE;
	opterr = 0;
	optind = 0;      /* glibc: a full restart of the parser */
	for (;;) {
		int ch = getopt_long(argc, argv, ":c:o:h", longopts, NULL);
		if (ch == -1)
			break;
		/* getopt_long has just passed the word in error: it is argv[optind - 1]. */
		if (ch == '?')
			return ctl_usage_error(NULL, "unknown option %s", argv[optind - 1]);
		if (ch == ':')
			return ctl_usage_error(NULL, "option %s needs a value", argv[optind - 1]);
		size_t i = ch == 'c' ? 0 : ch == 'o' ? 4 : ch == 'h' ? n - 3 : (size_t)ch - OPT_BASE;
		char spelt[64];
		snprintf(spelt, sizeof(spelt), "--%s", o[i].name);
		int rc = take(c, a, &o[i], optarg, spelt);
		if (rc)
			return rc;
		if (a->version)
			return 0;
	}
	for (int i = optind; i < argc; i++)
		a->pos[a->npos++] = argv[i];
	return check_wait(c);
}

void ctl_args_free(struct ctl_args *a)
{
	free(a->pos);
	memset(a, 0, sizeof(*a));
}
