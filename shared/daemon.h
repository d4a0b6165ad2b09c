/* What dnsd and httpsd share as daemons: their command line and dropping privileges. */
#ifndef LS_DAEMON_H
#define LS_DAEMON_H

#include <stdbool.h>
#include <stddef.h>

#define DAEMON_MAX_LISTEN 16    /* --listen options */
#define DAEMON_RUN (-1)         /* daemon_args_parse(): go on and run */

/* -c FILE, --state DIR, --listen ADDR:PORT (repeatable), --workers N, -n, -h, --version. */
struct daemon_args {
	const char *config_path;    /* NULL: the default file when it exists */
	const char *state;          /* NULL: the configuration's state-dir */
	const char *listen[DAEMON_MAX_LISTEN];
	size_t nlisten;
	long workers;               /* -1: the configuration's */
	bool check;                 /* -n */
};

/*
 * Parses argv for program prog. Returns DAEMON_RUN, or the exit status after printing:
 * 0 for --help (usage on stdout) or --version, 2 for a bad argument (usage on stderr).
 */
int daemon_args_parse(struct daemon_args *a, int argc, char **argv, const char *prog,
                      const char *version, const char *usage);
/* Least privilege: after binding, become user for good ("" or NULL: stay). Returns 0 or -1
 * with the reason in err. */
int daemon_drop_privileges(const char *user, char *err, size_t errlen);

#endif
