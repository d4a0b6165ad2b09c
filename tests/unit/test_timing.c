/* timing_mark()/timing_flush(): nothing without LOCKSTEP_TIMING; with it, one line per flush
 * holding the marks in order, then only the marks that came after. */
#include <sys/stat.h>
#include "unit.h"
#include "shared/util/timing.h"

/* The file's lines, split into words; at most 4 lines of 80 words (TIMING_MARKS_MAX + 2). */
struct lines {
	int n, words[4];
	char text[16384], *w[4][80];
};

static void read_lines(const char *path, struct lines *l)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t len = fread(l->text, 1, sizeof(l->text) - 1, f);
	fclose(f);
	l->text[len] = 0;
	l->n = 0;
	for (char *line = strtok(l->text, "\n"); line && l->n < 4; line = strtok(NULL, "\n"))
		l->w[l->n++][0] = line;
	for (int i = 0; i < l->n; i++) {
		int k = 0;
		for (char *s, *w = strtok_r(l->w[i][0], " ", &s); w && k < 80; w = strtok_r(NULL, " ", &s))
			l->w[i][k++] = w;
		l->words[i] = k;
	}
}

static long long value(const char *word, const char *name)
{
	size_t n = strlen(name);
	assert_memory_equal(word, name, n);
	assert_int_equal(word[n], '=');
	return atoll(word + n + 1);
}

/* In a child: the environment read at the first mark, so the parent's setting cannot leak. */
static void test_off_without_the_variable(void **state)
{
	(void)state;
	char *dir = temp_dir(), path[300];
	snprintf(path, sizeof(path), "%s/t", dir);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		unsetenv(TIMING_ENV);
		timing_mark("main");
		_exit(timing_flush() == 0 ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	struct stat sb;
	assert_int_not_equal(stat(path, &sb), 0);    /* nothing written */
	rm_tree(dir);
}

static void test_marks_in_order_then_only_new_ones(void **state)
{
	(void)state;
	char *dir = temp_dir(), path[300], pid[32];
	struct lines l;
	snprintf(path, sizeof(path), "%s/t", dir);
	snprintf(pid, sizeof(pid), "pid=%ld", (long)getpid());
	setenv(TIMING_ENV, path, 1);
	timing_mark("first");
	timing_mark("second");
	timing_mark("first");
	assert_int_equal(timing_flush(), 0);
	timing_mark("later");
	assert_int_equal(timing_flush(), 0);
	for (int i = 0; i < TIMING_MARKS_MAX + 5; i++)
		timing_mark("m");
	assert_int_equal(timing_flush(), 0);
	read_lines(path, &l);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.words[0], 4);
	assert_string_equal(l.w[0][0], pid);
	long long a = value(l.w[0][1], "first"), b = value(l.w[0][2], "second"),
	          c = value(l.w[0][3], "first");
	assert_true(a > 0 && a <= b && b <= c);
	assert_int_equal(l.words[1], 2);
	assert_true(value(l.w[1][1], "later") >= c);
	/* The third: the first TIMING_MARKS_MAX marks, and a count of those dropped. */
	assert_int_equal(l.words[2], 1 + TIMING_MARKS_MAX + 1);
	assert_true(value(l.w[2][TIMING_MARKS_MAX], "m") >= value(l.w[2][1], "m"));
	assert_int_equal(value(l.w[2][TIMING_MARKS_MAX + 1], "dropped"), 5);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_off_without_the_variable),
		cmocka_unit_test(test_marks_in_order_then_only_new_ones),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
