/* shared/util/log.c: component prefix, level filter, the stderr line, per-site rate limits. */
#include "unit.h"
#include "shared/util/log.h"

struct capture {
	char lines[8][LOG_LINE_MAX + 1];
	enum log_level level[8];
	int n;
};

static void sink(enum log_level level, const char *line, void *arg)
{
	struct capture *c = arg;
	if (c->n < 8) {
		snprintf(c->lines[c->n], sizeof(c->lines[0]), "%s", line);
		c->level[c->n] = level;
	}
	c->n++;
}

static int setup(void **state)
{
	static struct capture c;
	memset(&c, 0, sizeof(c));
	log_set_component("testd");
	log_set_level(LOG_LEVEL_INFO);
	log_set_sink(sink, &c);
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	log_set_sink(NULL, NULL);
	log_set_level(LOG_LEVEL_INFO);
	(void)state;
	return 0;
}

static void test_component_and_levels(void **state)
{
	struct capture *c = *state;
	log_error("cannot open %s: %s", "x", "gone");
	log_notice("ready");
	log_info("query: %d", 7);
	log_debug("not shown at the default level");
	assert_int_equal(c->n, 3);
	assert_string_equal(c->lines[0], "testd: cannot open x: gone");
	assert_int_equal(c->level[0], LOG_LEVEL_ERROR);
	assert_string_equal(c->lines[1], "testd: ready");
	assert_int_equal(c->level[1], LOG_LEVEL_NOTICE);
	assert_string_equal(c->lines[2], "testd: query: 7");
	assert_int_equal(c->level[2], LOG_LEVEL_INFO);
}

static void test_filter(void **state)
{
	struct capture *c = *state;
	log_set_level(LOG_LEVEL_WARNING);
	assert_true(log_enabled(LOG_LEVEL_ERROR));
	assert_false(log_enabled(LOG_LEVEL_NOTICE));
	log_notice("dropped");
	log_info("dropped");
	log_warning("kept");
	assert_int_equal(c->n, 1);
	assert_string_equal(c->lines[0], "testd: kept");
	log_set_level(LOG_LEVEL_DEBUG);
	log_debug("now %s", "shown");
	assert_int_equal(c->n, 2);
	assert_string_equal(c->lines[1], "testd: now shown");
}

static void test_long_line_is_cut(void **state)
{
	struct capture *c = *state;
	char big[LOG_LINE_MAX * 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_error("%s", big);
	assert_int_equal(c->n, 1);
	assert_int_equal(strlen(c->lines[0]), LOG_LINE_MAX - 1);
	assert_memory_equal(c->lines[0], "testd: aaa", 10);
}

static void test_limit_pass(void **state)
{
	struct log_limit l = LOG_LIMIT_INIT(2, 1000);
	unsigned sup = 99;
	(void)state;
	assert_true(log_limit_pass(&l, 5000, &sup));
	assert_int_equal(sup, 0);
	assert_true(log_limit_pass(&l, 5100, &sup));
	assert_false(log_limit_pass(&l, 5200, &sup));
	assert_false(log_limit_pass(&l, 5999, &sup));
	/* A new interval: the next line out reports the two held back. */
	assert_true(log_limit_pass(&l, 6000, &sup));
	assert_int_equal(sup, 2);
	assert_true(log_limit_pass(&l, 6001, &sup));
	assert_int_equal(sup, 0);
	assert_false(log_limit_pass(&l, 6002, &sup));
	assert_true(log_limit_pass(&l, 60000, &sup));
	assert_int_equal(sup, 1);
}

static void test_limited_lines(void **state)
{
	struct capture *c = *state;
	/* A long interval: within the test everything after the burst is held back. */
	static struct log_limit l = LOG_LIMIT_INIT(1, 3600 * 1000);
	for (int i = 0; i < 4; i++)
		log_limited(&l, LOG_LEVEL_WARNING, "refused %d", i);
	assert_int_equal(c->n, 1);
	assert_string_equal(c->lines[0], "testd: refused 0");
	assert_int_equal(l.suppressed, 3);
	/* Filtered lines are not counted as suppressed: they were never wanted. */
	log_set_level(LOG_LEVEL_ERROR);
	log_limited(&l, LOG_LEVEL_WARNING, "filtered");
	assert_int_equal(l.suppressed, 3);
	/* The interval ends: the next line carries the count. */
	log_set_level(LOG_LEVEL_INFO);
	l.start_ms -= 3600 * 1000;
	log_limited(&l, LOG_LEVEL_WARNING, "refused %d", 4);
	assert_int_equal(c->n, 2);
	assert_string_equal(c->lines[1], "testd: refused 4 (3 similar lines suppressed)");
}

/* The default sink: one line with a newline on stderr. */
static void test_stderr(void **state)
{
	char path[] = "/tmp/lockstep-log.XXXXXX", buf[256] = "";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	(void)state;
	fflush(stderr);
	int saved = dup(2);
	assert_true(dup2(fd, 2) == 2);
	log_set_sink(NULL, NULL);
	log_warning("%s: transfer refused for %s", "example.com.", "127.0.0.1");
	log_debug("hidden");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	close(fd);
	unlink(path);
	buf[n] = '\0';
	assert_string_equal(buf, "testd: example.com.: transfer refused for 127.0.0.1\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_component_and_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line_is_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limited_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stderr, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
