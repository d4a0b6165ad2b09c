/* The fatal-signal line: written with write(2) only, since nothing else is safe in the handler. */
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "shared/util/crash.h"

#define CRASH_LINE_MAX 512

static const char *crash_prog = "lockstep";

static const struct { int sig; const char *name; } fatal[] = {
	{ SIGSEGV, "SIGSEGV" }, { SIGBUS, "SIGBUS" }, { SIGABRT, "SIGABRT" },
	{ SIGILL, "SIGILL" }, { SIGFPE, "SIGFPE" },
};

static size_t put(char *line, size_t n, const char *s)
{
	size_t len = strlen(s);
	if (n + len >= CRASH_LINE_MAX)
		len = CRASH_LINE_MAX - 1 - n;
	memcpy(line + n, s, len);
	return n + len;
}

static void on_fatal(int sig)
{
	char line[CRASH_LINE_MAX];
	const char *name = "a fatal signal";
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		if (fatal[i].sig == sig)
			name = fatal[i].name;
	size_t n = put(line, 0, crash_prog);
	n = put(line, n, ": fatal signal ");
	n = put(line, n, name);
	n = put(line, n, " (a truncated or damaged store does this: run `zonectl store check`)\n");
	(void)!write(STDERR_FILENO, line, n);
	/* SA_RESETHAND: the default action is back, so the fault or the abort now kills. */
}

void crash_install(const char *prog)
{
	struct sigaction sa;
	crash_prog = prog;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i].sig, &sa, NULL);
}
