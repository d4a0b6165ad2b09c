/* zonectl's help: usage, the command table's help texts, finding a command by its words. */
#include <stdio.h>
#include <string.h>
#include "dnsd/zonectl/zonectl.h"

static const char global_usage[] =
	"usage: zonectl [-c FILE] [--state DIR] [--json] COMMAND [ARGS]\n"
	"\n"
	"  -c, --config FILE  configuration file (default " CONFIG_DEFAULT_PATH " if present)\n"
	"  --state DIR        state directory holding the zone store (overrides state-dir)\n"
	"  --json             machine-readable output for commands that print data\n"
	"  -h, --help         this text; `zonectl help COMMAND` explains one command\n"
	"  --version          print the version\n";

void ctl_print_usage(FILE *out)
{
	fputs(global_usage, out);
	fputs("\ncommands:\n", out);
	for (const struct command *cmd = zonectl_commands; cmd->name; cmd++)
		fprintf(out, "  %-18s %s\n", cmd->name, cmd->summary);
	fputs("\nexit status: 0 ok, 1 bad input (nothing changed), 2 usage, 3 not found (also:\n"
	      "no store yet), 4 conflict (exists, changed meanwhile, in use), 5 store or system\n"
	      "error (also: a truncated or damaged store)\n", out);
}

void ctl_print_help(const struct command *cmd, FILE *out)
{
	fprintf(out, "usage: zonectl %s %s\n\n%s\n\n%s\n", cmd->name, cmd->usage, cmd->summary,
	        cmd->help);
}

/* The command whose words start argv; sets *words to how many it took. */
const struct command *ctl_lookup(int argc, char **argv, int *words)
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

int ctl_help(int argc, char **argv)
{
	int words, shown = 0;
	if (argc == 0) {
		ctl_print_usage(stdout);
		return EXIT_OK;
	}
	const struct command *cmd = ctl_lookup(argc, argv, &words);
	if (cmd) {
		ctl_print_help(cmd, stdout);
		return EXIT_OK;
	}
	/* `zonectl help zone` lists every zone command. */
	for (cmd = zonectl_commands; cmd->name; cmd++) {
		size_t l = strlen(argv[0]);
		if (strncmp(cmd->name, argv[0], l) == 0 && (cmd->name[l] == ' ' || cmd->name[l] == 0)) {
			if (shown++)
				fputs("\n", stdout);
			ctl_print_help(cmd, stdout);
		}
	}
	if (shown)
		return EXIT_OK;
	fprintf(stderr, "zonectl: no command '%s'; try `zonectl help`\n", argv[0]);
	return EXIT_USAGE;
}

/* True when some command's first word is word ("zone", "rr"). */
bool ctl_is_group(const char *word)
{
	size_t l = strlen(word);
	for (const struct command *cmd = zonectl_commands; cmd->name; cmd++)
		if (strncmp(cmd->name, word, l) == 0 && cmd->name[l] == ' ')
			return true;
	return false;
}

bool ctl_takes(const struct command *cmd, const char *opt)
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

int ctl_usage_error(const struct command *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "zonectl: ");
	fprintf(stderr, fmt, arg);
	if (cmd)
		fprintf(stderr, "\nusage: zonectl %s %s\n", cmd->name, cmd->usage);
	else
		fprintf(stderr, "\n%s", global_usage);
	return EXIT_USAGE;
}
