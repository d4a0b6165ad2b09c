/* The command line and the privilege drop both daemons share. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "shared/daemon.h"

int daemon_args_parse(struct daemon_args *a, int argc, char **argv, const char *prog,
                      const char *version, const char *usage)
{
	memset(a, 0, sizeof(*a));
	a->workers = -1;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		bool more = i + 1 < argc;
		if ((strcmp(arg, "-c") == 0 || strcmp(arg, "--config") == 0) && more) {
			a->config_path = argv[++i];
		} else if (strcmp(arg, "--state") == 0 && more) {
			a->state = argv[++i];
		} else if (strcmp(arg, "--listen") == 0 && more && a->nlisten < DAEMON_MAX_LISTEN) {
			a->listen[a->nlisten++] = argv[++i];
		} else if (strcmp(arg, "--workers") == 0 && more) {
			a->workers = strtol(argv[++i], NULL, 10);
		} else if (strcmp(arg, "-n") == 0) {
			a->check = true;
		} else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(arg, "--version") == 0) {
			printf("%s %s\n", prog, version);
			return 0;
		} else {
			fprintf(stderr, "%s: bad argument '%s'\n%s", prog, arg, usage);
			return 2;
		}
	}
	return DAEMON_RUN;
}

int daemon_drop_privileges(const char *user, char *err, size_t errlen)
{
	if (user == NULL || *user == 0)
		return 0;
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(err, errlen, "no such user '%s'", user);
		return -1;
	}
	/* setuid(0) must fail afterwards, or the drop was not for good. */
	if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0 ||
	    setuid(0) == 0) {
		snprintf(err, errlen, "cannot become user '%s': %s", user, strerror(errno));
		return -1;
	}
	return 0;
}
