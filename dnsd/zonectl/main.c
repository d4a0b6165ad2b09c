/* zonectl: the operator's command line to the zone store; a command table with help per entry. */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/util/err.h"
#include "shared/store/history.h"
#include "shared/store/journal.h"
#include "shared/util/timing.h"

#define ZONECTL_VERSION "0.1.0"

/*
 * The command named by the positional words, checked against what was given: its options,
 * its number of arguments. NULL with *rc set (help shown, or a usage error printed).
 */
static const struct command *find_command(struct ctl *c, const struct ctl_args *a, int *rc)
{
	int words;
	*rc = EXIT_USAGE;
	if (a->npos == 0) {
		ctl_print_usage(a->help ? stdout : stderr);
		*rc = a->help ? EXIT_OK : EXIT_USAGE;
		return NULL;
	}
	if (strcmp(a->pos[0], "help") == 0) {
		*rc = ctl_help(a->npos - 1, a->pos + 1);
		return NULL;
	}
	const struct command *cmd = ctl_lookup(a->npos, a->pos, &words);
	if (cmd == NULL) {
		/* "zonectl zone" alone: show that group's commands. */
		const struct command *near = ctl_suggest(a->npos, a->pos);
		if (a->npos == 1 && ctl_is_group(a->pos[0]) && ctl_help(1, a->pos) == EXIT_OK) {
			*rc = a->help ? EXIT_OK : EXIT_USAGE;
		} else if (near) {
			fprintf(stderr, "zonectl: unknown command '%s%s%s'; did you mean '%s'?\n",
			        a->pos[0], a->npos > 1 && strchr(near->name, ' ') ? " " : "",
			        a->npos > 1 && strchr(near->name, ' ') ? a->pos[1] : "", near->name);
			*rc = EXIT_USAGE;
		} else {
			*rc = ctl_usage_error(NULL, "unknown command '%s'; try `zonectl help`", a->pos[0]);
		}
		return NULL;
	}
	if (a->help) {
		ctl_print_help(cmd, stdout);
		*rc = EXIT_OK;
		return NULL;
	}
	for (int k = 0; k < a->nused; k++) {
		if (strcmp(a->used[k], "config") != 0 && strcmp(a->used[k], "state") != 0 &&
		    !ctl_takes(cmd, a->used[k])) {
			*rc = ctl_usage_error(cmd, "this command takes no --%s", a->used[k]);
			return NULL;
		}
	}
	if (c->timeout && !c->wait && ctl_takes(cmd, "wait")) {
		*rc = ctl_usage_error(cmd, "%s", "--timeout goes with --wait");
		return NULL;
	}
	c->args = a->pos + words;
	c->nargs = a->npos - words;
	if (c->nargs < cmd->min_args || (cmd->max_args >= 0 && c->nargs > cmd->max_args)) {
		*rc = ctl_usage_error(cmd, "wrong number of arguments for '%s'", cmd->name);
		return NULL;
	}
	return cmd;
}

/* History entries name the Unix user who ran zonectl (the real user, before any switch). */
static void name_actor(void)
{
	char who[HISTORY_SOURCE_MAX];
	struct passwd *pw = getpwuid(getuid());
	if (pw)
		snprintf(who, sizeof(who), "user %s", pw->pw_name);
	else
		snprintf(who, sizeof(who), "uid %u", (unsigned)getuid());
	history_set_actor(who);
}

/* Loads the configuration and the settings that follow from it, then runs cmd. */
static int run_command(struct ctl *c, const struct command *cmd)
{
	int lrc = config_load(&c->cfg, c->config_path, &c->d);
	timing_mark("config");
	if (lrc && cmd->run != cmd_check_config)
		return ctl_fail(c, lrc, "configuration %s is invalid",
		                c->config_path ? c->config_path : CONFIG_DEFAULT_PATH);
	if (lrc == 0 && c->d.n)
		diag_print(&c->d, stderr);
	c->policy = c->cfg.serial_policy;
	journal_set_limits(c->cfg.journal_max_size, c->cfg.journal_max_age);
	history_set_keep(c->cfg.keep_history);
	if (c->policy_name && serial_policy_parse(c->policy_name, &c->policy) != 0)
		return ctl_usage_error(cmd, "unknown serial policy '%s' (increment, dateserial, "
		                       "unixtime)", c->policy_name);
	if (c->state == NULL)
		c->state = c->cfg.state_dir;
	if (lrc)
		return ctl_fail(c, lrc, "configuration is invalid");
	name_actor();
	int orc = ctl_become_owner(c);
	if (orc)
		return orc;
	c->cmd = cmd;
	c->started = (int64_t)time(NULL);
	return cmd->run(c);
}

int main(int argc, char **argv)
{
	struct ctl c;
	struct ctl_args a;
	const struct command *cmd;
	timing_mark("main");
	memset(&c, 0, sizeof(c));
	diag_init(&c.d);
	int rc = ctl_args_parse(&c, argc, argv, &a);
	if (rc == 0 && a.version) {
		printf("zonectl %s\n", ZONECTL_VERSION);
	} else if (rc == 0 && (cmd = find_command(&c, &a, &rc)) != NULL) {
		rc = run_command(&c, cmd);
	}
	store_close(c.st);
	config_free(&c.cfg);
	diag_free(&c.d);
	ctl_args_free(&a);
	timing_mark("exit");
	int trc = timing_flush();
	if (trc)
		fprintf(stderr, "zonectl: %s: %s\n", TIMING_ENV, ls_strerror(trc));
	return rc;
}
