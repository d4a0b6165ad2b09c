/* Unit tests for httpsd/lowprio.c: the work runs niced, on the caller's thread when that thread
 * may come back to its priority (no hand-over), else on a niced thread; the caller's priority
 * is kept either way. */
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "tests/unit/unit.h"
#include "httpsd/lowprio.h"

#define NOBODY 65534

struct seen {
	pid_t tid;
	int nice;
};

static void record(void *arg)
{
	struct seen *s = arg;
	s->tid = gettid();
	errno = 0;
	s->nice = getpriority(PRIO_PROCESS, (id_t)s->tid);
}

static int own_nice(void)
{
	errno = 0;
	int n = getpriority(PRIO_PROCESS, (id_t)gettid());
	assert_int_equal(errno, 0);
	return n;
}

/* A process that may not come back (no RLIMIT_NICE, no CAP_SYS_NICE: nobody after setuid)
 * hands the work to a niced thread. In a child: the probe's answer lasts for the process. */
static void test_handed_over(void **state)
{
	(void)state;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit none = { 0, 0 };
		struct seen s = { 0, 0 };
		if (setrlimit(RLIMIT_NICE, &none) != 0 ||
		    (geteuid() == 0 && (setgid(NOBODY) != 0 || setuid(NOBODY) != 0)))
			_exit(2);
		int before = getpriority(PRIO_PROCESS, (id_t)gettid());
		lowprio_run(record, &s);
		if (before >= LOWPRIO_NICE)   /* run under nice: low enough, done where it is */
			_exit(s.tid == gettid() && s.nice == before ? 0 : 1);
		_exit(s.tid != gettid() && s.nice == LOWPRIO_NICE &&
		      getpriority(PRIO_PROCESS, (id_t)gettid()) == before ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Root (CAP_SYS_NICE) may come back: the caller's own thread does the work niced; a caller
 * niced already (make unit run under nice) does it as it is. */
static void test_here(void **state)
{
	struct seen s = { 0, 0 };
	(void)state;
	lowprio_allow_return();
	int before = own_nice();
	lowprio_run(record, &s);
	assert_int_equal(s.nice, before > LOWPRIO_NICE ? before : LOWPRIO_NICE);
	assert_int_equal(own_nice(), before);
	if (geteuid() == 0 || before >= LOWPRIO_NICE)
		assert_int_equal(s.tid, gettid());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handed_over),
		cmocka_unit_test(test_here),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
