/*
 * rusage_exec: runs a command and reports its wall time and peak RSS.
 *
 *   rusage_exec REPORT_FILE PROGRAM [ARGS...]
 *
 * Forks, execs PROGRAM with ARGS (stdin/stdout/stderr inherited), waits with
 * wait4 and writes one line to REPORT_FILE:
 *
 *   exit=<code> signal=<sig> wall_ns=<n> maxrss_kib=<n> utime_us=<n> stime_us=<n>
 *
 * Exits with the command's exit code (128 + signal when it was killed).
 *
 * Why this exists: on Linux a child's ru_maxrss starts at the high-water
 * mark of the process that forked it (the old address space is counted at
 * exec), so a child spawned straight from the Python driver can never report
 * less than the driver's own RSS. Forked from this small program, the floor
 * is about a megabyte. Built by tests/bench/benchlib.py into BUILD/bench/.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	long long t0, t1;
	pid_t pid;
	int status, code, sig = 0;
	FILE *report;

	if (argc < 3) {
		fprintf(stderr, "usage: rusage_exec REPORT_FILE PROGRAM [ARGS...]\n");
		return 125;
	}
	report = fopen(argv[1], "w");
	if (!report) {
		fprintf(stderr, "rusage_exec: %s: %s\n", argv[1], strerror(errno));
		return 125;
	}
	t0 = now_ns();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "rusage_exec: fork: %s\n", strerror(errno));
		return 125;
	}
	if (pid == 0) {
		fclose(report);
		execvp(argv[2], argv + 2);
		fprintf(stderr, "rusage_exec: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "rusage_exec: wait4: %s\n", strerror(errno));
			return 125;
		}
	}
	t1 = now_ns();
	if (WIFSIGNALED(status)) {
		sig = WTERMSIG(status);
		code = 128 + sig;
	} else {
		code = WEXITSTATUS(status);
	}
	fprintf(report, "exit=%d signal=%d wall_ns=%lld maxrss_kib=%ld utime_us=%lld stime_us=%lld\n",
		code, sig, t1 - t0, ru.ru_maxrss,
		(long long)ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec,
		(long long)ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec);
	if (fclose(report) != 0)
		return 125;
	return code;
}
