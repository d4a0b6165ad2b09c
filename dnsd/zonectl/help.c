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
	"  --wait             after a change, run the MTA-STS publish step until the new id is\n"
	"                     published (--timeout S, default 60 s); exit 4 if one still waits\n"
	"  -h, --help         this text; `zonectl help COMMAND` explains one command\n"
	"  --version          print the version\n";

void ctl_print_usage(FILE *out)
{
	fputs(global_usage, out);
	fputs("\ncommands:\n", out);
	for (const struct command *cmd = zonectl_commands; cmd->name; cmd++)
		fprintf(out, "  %-19s %s\n", cmd->name, cmd->summary);   /* "zone update-policy" */
	fputs("\nexit status: 0 ok, 1 bad input (nothing changed), 2 usage, 3 not found (also:\n"
	      "no store yet), 4 conflict (exists, changed meanwhile, in use), 5 store or system\n"
	      "error (also: a truncated or damaged store); check: 6 warnings, 7 errors\n", out);
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
		/* Every word of the name ("api token add") must be the next argument. */
		const char *p = cmd->name;
		int n = 0;
		while (*p && n < argc) {
			size_t l = strcspn(p, " ");
			if (strlen(argv[n]) != l || strncmp(argv[n], p, l) != 0)
				break;
			n++;
			p += l;
			p += *p == ' ';
		}
		if (*p == 0) {
			*words = n;
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

#define SUGGEST_MAX_DISTANCE 2   /* edits a typo may be from a command's name */
#define SUGGEST_TEXT_MAX 64

/* Levenshtein distance of a and b, both shorter than SUGGEST_TEXT_MAX. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[SUGGEST_TEXT_MAX + 1];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const struct command *ctl_suggest(int argc, char **argv)
{
	char one[SUGGEST_TEXT_MAX], two[SUGGEST_TEXT_MAX];
	const struct command *best = NULL;
	size_t best_d = SUGGEST_MAX_DISTANCE + 1;
	if (argc < 1 || strlen(argv[0]) >= sizeof(one))
		return NULL;
	snprintf(one, sizeof(one), "%s", argv[0]);
	if (argc < 2 || (size_t)snprintf(two, sizeof(two), "%s %s", argv[0], argv[1]) >= sizeof(two))
		two[0] = 0;
	for (const struct command *cmd = zonectl_commands; cmd->name; cmd++) {
		/* Compare as many words as the command has. */
		const char *typed = strchr(cmd->name, ' ') ? two : one;
		if (*typed == 0 || strlen(cmd->name) >= SUGGEST_TEXT_MAX)
			continue;
		size_t d = distance(typed, cmd->name);
		if (d < best_d) {
			best_d = d;
			best = cmd;
		}
	}
	return best;
}
