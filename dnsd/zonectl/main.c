/* zonectl: the operator's command line to the zone store; a command table with help per entry. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/err.h"
#include "shared/journal.h"

#define ZONECTL_VERSION "0.1.0"

static const char global_usage[] =
	"usage: zonectl [-c FILE] [--state DIR] [--json] COMMAND [ARGS]\n"
	"\n"
	"  -c, --config FILE  configuration file (default " CONFIG_DEFAULT_PATH " if present)\n"
	"  --state DIR        state directory holding the zone store (overrides state-dir)\n"
	"  --json             machine-readable output for commands that print data\n"
	"  -h, --help         this text; `zonectl help COMMAND` explains one command\n"
	"  --version          print the version\n";

static void print_usage(FILE *out)
{
	fputs(global_usage, out);
	fputs("\ncommands:\n", out);
	for (const struct command *cmd = zonectl_commands; cmd->name; cmd++)
		fprintf(out, "  %-18s %s\n", cmd->name, cmd->summary);
	fputs("\nexit status: 0 ok, 1 bad input (nothing changed), 2 usage, 3 not found,\n"
	      "4 conflict (exists, or changed meanwhile), 5 store or system error\n", out);
}

static void print_help(const struct command *cmd, FILE *out)
{
	fprintf(out, "usage: zonectl %s %s\n\n%s\n\n%s\n", cmd->name, cmd->usage, cmd->summary,
	        cmd->help);
}

/* The command whose words start argv; sets *words to how many it took. */
static const struct command *lookup(int argc, char **argv, int *words)
{
	for (const struct command *cmd = zonectl_commands; cmd->name; cmd++) {
		const char *sp = strchr(cmd->name, ' ');
		if (sp == NULL && argc >= 1 && strcmp(argv[0], cmd->name) == 0) {
			*words = 1;
			return cmd;
		}
		if (sp && argc >= 2 && strncmp(argv[0], cmd->name, (size_t)(sp - cmd->name)) == 0 &&
		    argv[0][sp - cmd->name] == 0 && strcmp(argv[1], sp + 1) == 0) {
			*words = 2;
			return cmd;
		}
	}
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	int words, shown = 0;
	if (argc == 0) {
		print_usage(stdout);
		return EXIT_OK;
	}
	const struct command *cmd = lookup(argc, argv, &words);
	if (cmd) {
		print_help(cmd, stdout);
		return EXIT_OK;
	}
	/* `zonectl help zone` lists every zone command. */
	for (cmd = zonectl_commands; cmd->name; cmd++) {
		size_t l = strlen(argv[0]);
		if (strncmp(cmd->name, argv[0], l) == 0 && (cmd->name[l] == ' ' || cmd->name[l] == 0)) {
			if (shown++)
				fputs("\n", stdout);
			print_help(cmd, stdout);
		}
	}
	if (shown)
		return EXIT_OK;
	fprintf(stderr, "zonectl: no command '%s'; try `zonectl help`\n", argv[0]);
	return EXIT_USAGE;
}

/* True when some command's first word is word ("zone", "rr"). */
static bool is_group(const char *word)
{
	size_t l = strlen(word);
	for (const struct command *cmd = zonectl_commands; cmd->name; cmd++)
		if (strncmp(cmd->name, word, l) == 0 && cmd->name[l] == ' ')
			return true;
	return false;
}

static bool takes(const struct command *cmd, const char *opt)
{
	size_t l = strlen(opt);
	for (const char *p = cmd->options; p && *p;) {
		const char *e = strchr(p, ' ');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == l && strncmp(p, opt, n) == 0)
			return true;
		p = e ? e + 1 : p + n;
	}
	return false;
}

static int usage_error(const struct command *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "zonectl: ");
	fprintf(stderr, fmt, arg);
	if (cmd)
		fprintf(stderr, "\nusage: zonectl %s %s\n", cmd->name, cmd->usage);
	else
		fprintf(stderr, "\n%s", global_usage);
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct ctl c;
	char **pos = calloc((size_t)argc + 1, sizeof(*pos));
	int npos = 0, rc = EXIT_USAGE, words;
	bool help = false, rest = false;
	const char *bad = NULL;
	memset(&c, 0, sizeof(c));
	diag_init(&c.d);
	if (pos == NULL)
		return EXIT_STORE;

	/* Options may stand anywhere; "--" ends them. Values are checked per command below. */
	struct { const char *name; const char **val; } valued[] = {
		{ "config", &c.config_path }, { "state", &c.state }, { "from", &c.from },
		{ "origin", &c.origin }, { "output", &c.output }, { "serial-policy", &c.policy_name },
		{ "key", &c.key }, { "mode", &c.mode }, { "max-age", &c.max_age },
		{ "algorithm", &c.algorithm },
	};
	/* Options that may be given several times. */
	struct { const char *name; const char **v; unsigned *n, max; } lists[] = {
		{ "mx-extra", c.mx_extra, &c.nmx_extra, STS_EXTRA_MAX },
		{ "rua", c.rua, &c.nrua, STS_RUA_MAX },
	};
	struct { const char *name; bool *val; } flags[] = {
		{ "now", &c.now }, { "no-mx-extra", &c.no_mx_extra }, { "no-rua", &c.no_rua },
		{ "no-publish", &c.no_publish },
	};
	const char *used[64];
	int nused = 0;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (rest || a[0] != '-' || a[1] == 0) {
			pos[npos++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			rest = true;
			continue;
		}
		const char *name = a[1] == '-' ? a + 2 : a + 1;
		if (strcmp(a, "-c") == 0)
			name = "config";
		else if (strcmp(a, "-o") == 0)
			name = "output";
		else if (strcmp(a, "-h") == 0)
			name = "help";
		if (strcmp(name, "help") == 0) {
			help = true;
			continue;
		}
		if (strcmp(name, "version") == 0) {
			printf("zonectl %s\n", ZONECTL_VERSION);
			free(pos);
			return EXIT_OK;
		}
		if (strcmp(name, "json") == 0) {
			c.json = true;
			continue;
		}
		bool known = false;
		for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]) && !known; k++) {
			if (strcmp(name, valued[k].name) != 0)
				continue;
			known = true;
			if (i + 1 >= argc) {
				rc = usage_error(NULL, "option %s needs a value", a);
				goto out;
			}
			*valued[k].val = argv[++i];
			if (nused < 64)
				used[nused++] = valued[k].name;
		}
		for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]) && !known; k++) {
			if (strcmp(name, lists[k].name) != 0)
				continue;
			known = true;
			if (i + 1 >= argc || *lists[k].n == lists[k].max) {
				fprintf(stderr, "zonectl: option %s needs a value (at most %u times)\n", a,
				        lists[k].max);
				rc = EXIT_USAGE;
				goto out;
			}
			lists[k].v[(*lists[k].n)++] = argv[++i];
			if (nused < 64)
				used[nused++] = lists[k].name;
		}
		for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]) && !known; k++) {
			if (strcmp(name, flags[k].name) != 0)
				continue;
			known = true;
			*flags[k].val = true;
			if (nused < 64)
				used[nused++] = flags[k].name;
		}
		if (!known && strcmp(name, "ns") == 0) {
			known = true;
			if (i + 1 >= argc || c.nns == CTL_MAX_NS) {
				rc = usage_error(NULL, "option %s needs a value (at most 16 times)", a);
				goto out;
			}
			c.ns[c.nns++] = argv[++i];
			if (nused < 64)
				used[nused++] = "ns";
		}
		if (!known) {
			bad = a;
			break;
		}
	}
	if (bad) {
		rc = usage_error(NULL, "unknown option %s", bad);
		goto out;
	}
	if (npos == 0) {
		if (help) {
			print_usage(stdout);
			rc = EXIT_OK;
		} else {
			print_usage(stderr);
		}
		goto out;
	}
	if (strcmp(pos[0], "help") == 0) {
		rc = cmd_help(npos - 1, pos + 1);
		goto out;
	}
	const struct command *cmd = lookup(npos, pos, &words);
	if (cmd == NULL) {
		/* "zonectl zone" alone: show that group's commands. */
		if (npos == 1 && is_group(pos[0]) && cmd_help(1, pos) == EXIT_OK)
			rc = help ? EXIT_OK : EXIT_USAGE;
		else
			rc = usage_error(NULL, "unknown command '%s'; try `zonectl help`", pos[0]);
		goto out;
	}
	if (help) {
		print_help(cmd, stdout);
		rc = EXIT_OK;
		goto out;
	}
	for (int k = 0; k < nused; k++) {
		if (strcmp(used[k], "config") != 0 && strcmp(used[k], "state") != 0 &&
		    !takes(cmd, used[k])) {
			rc = usage_error(cmd, "this command takes no --%s", used[k]);
			goto out;
		}
	}
	c.args = pos + words;
	c.nargs = npos - words;
	if (c.nargs < cmd->min_args || (cmd->max_args >= 0 && c.nargs > cmd->max_args)) {
		rc = usage_error(cmd, "wrong number of arguments for '%s'", cmd->name);
		goto out;
	}
	int lrc = config_load(&c.cfg, c.config_path, &c.d);
	if (lrc && cmd->run != cmd_check_config) {
		rc = ctl_fail(&c, lrc, "configuration %s is invalid",
		              c.config_path ? c.config_path : CONFIG_DEFAULT_PATH);
		goto out;
	}
	if (lrc == 0 && c.d.n)
		diag_print(&c.d, stderr);
	c.policy = c.cfg.serial_policy;
	journal_set_limits(c.cfg.journal_max_size, c.cfg.journal_max_age);
	if (c.policy_name && serial_policy_parse(c.policy_name, &c.policy) != 0) {
		rc = usage_error(cmd, "unknown serial policy '%s' (increment, dateserial, unixtime)",
		                 c.policy_name);
		goto out;
	}
	if (c.state == NULL)
		c.state = c.cfg.state_dir;
	rc = lrc && cmd->run == cmd_check_config ? ctl_fail(&c, lrc, "configuration is invalid")
	                                         : cmd->run(&c);
out:
	store_close(c.st);
	config_free(&c.cfg);
	diag_free(&c.d);
	free(pos);
	return rc;
}

int ctl_open(struct ctl *c, bool write)
{
	int rc = store_open(&c->st, c->state, write ? 0 : STORE_RDONLY);
	if (rc == -ENOENT && !write) {
		/* Nothing stored yet: open it writable to create it, so reads show an empty store. */
		rc = store_open(&c->st, c->state, 0);
	}
	if (rc)
		return ctl_fail(c, rc, "cannot open the store in %s", c->state);
	return 0;
}

int ctl_read(struct ctl *c, struct store_txn *t)
{
	int rc = ctl_open(c, false);
	if (rc)
		return rc;
	if ((rc = store_begin(c->st, false, 0, t)) != 0)
		return ctl_fail(c, rc, "cannot read the store");
	return 0;
}

int ctl_read_zone(struct ctl *c, struct store_txn *t, struct zone_info *z)
{
	uint8_t apex[DNAME_MAX];
	char zone[DNAME_STR_MAX];
	int rc;
	if (ctl_zone_name(c, c->args[0], apex))
		return EXIT_USAGE;
	if ((rc = ctl_read(c, t)) != 0)
		return rc;
	if ((rc = zone_get(t, apex, z)) != 0) {
		store_abort(t);
		return ctl_fail(c, rc, "zone %s", dname_format(zone, apex));
	}
	return 0;
}

int ctl_zone_name(struct ctl *c, const char *arg, uint8_t apex[DNAME_MAX])
{
	static const uint8_t root[1] = { 0 };
	if (dname_parse(apex, arg, root) < 0) {
		fprintf(stderr, "zonectl: '%s' is not a valid domain name\n", arg);
		return EXIT_USAGE;
	}
	dname_lower(apex);
	return 0;
}
