/* shared/util/log_keyed.c: once per source and kind a minute, summaries, the global cap. */
#include <stdlib.h>
#include "unit.h"
#include "shared/util/log_keyed.h"

#define MIN 60000u

/* Lines out for one event of key k (one byte) at now. */
static size_t ev(struct log_keyed *lk, uint8_t k, const char *text, uint64_t now,
                 struct log_keyed_lines *out)
{
	log_keyed_event(lk, &k, 1, text, now, out);
	return out->n;
}

static struct log_keyed *fresh(unsigned cap)
{
	struct log_keyed *lk = calloc(1, sizeof(*lk));
	assert_non_null(lk);
	lk->cap = cap;
	pthread_mutex_init(&lk->lock, NULL);
	return lk;
}

static void test_once_then_summary(void **state)
{
	(void)state;
	struct log_keyed *lk = fresh(100);
	struct log_keyed_lines out;
	/* The first occurrence goes out; the next 49 in the minute are counted. */
	assert_int_equal(ev(lk, 1, "a: refused", 1000, &out), 1);
	assert_string_equal(out.line[0], "a: refused");
	for (int i = 0; i < 49; i++)
		assert_int_equal(ev(lk, 1, "a: refused", 1000 + (uint64_t)i * 100, &out), 0);
	/* Another source is logged on its own. */
	assert_int_equal(ev(lk, 2, "b: refused", 2000, &out), 1);
	/* After the minute: the summary, then the new first occurrence. */
	assert_int_equal(ev(lk, 1, "a: refused", 1000 + MIN, &out), 2);
	assert_string_equal(out.line[0], "a: refused: 49 more like this in the last minute");
	assert_string_equal(out.line[1], "a: refused");
	/* b sent one line only: no summary for it when its slot is retired. */
	for (int i = 0; i < 2 * LOG_KEYED_SLOTS; i++) {
		ev(lk, 3, "c", 3 * MIN, &out);
		for (size_t j = 0; j < out.n; j++)
			assert_null(strstr(out.line[j], "b: refused:"));
	}
	free(lk);
}

static void test_quiet_source_summary_comes_out(void **state)
{
	(void)state;
	struct log_keyed *lk = fresh(100);
	struct log_keyed_lines out;
	ev(lk, 7, "q", 1, &out);
	ev(lk, 7, "q", 2, &out);
	ev(lk, 7, "q", 3, &out);
	/* Other events after the minute sweep the table: q's summary comes out with one. */
	bool seen = false;
	for (int i = 0; i < LOG_KEYED_SLOTS && !seen; i++) {
		ev(lk, 8, "r", 2 * MIN, &out);
		for (size_t j = 0; j < out.n; j++)
			seen |= strcmp(out.line[j], "q: 2 more like this in the last minute") == 0;
	}
	assert_true(seen);
	free(lk);
}

static void test_global_cap(void **state)
{
	(void)state;
	struct log_keyed *lk = fresh(100);
	struct log_keyed_lines out;
	size_t lines = 0, notices = 0;
	/* 200 sources, two events each, in one minute: 100 lines, one saying the cap was hit. */
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 200; i++) {
			uint8_t key[2] = { (uint8_t)i, (uint8_t)(i >> 8) };
			log_keyed_event(lk, key, 2, "spoofed", 5000 + (uint64_t)i, &out);
			for (size_t j = 0; j < out.n; j++) {
				notices += strstr(out.line[j], "log limit") != NULL;
				lines += strstr(out.line[j], "log limit") == NULL;
			}
		}
	assert_int_equal(lines, 100);
	assert_int_equal(notices, 1);
	/* The next minute starts with what the cap held back: both events of the 100 sources
	 * that found no room (the repeats of the others wait for their own summaries). */
	uint8_t key[2] = { 0xff, 0xff };
	log_keyed_event(lk, key, 2, "later", 5000 + MIN, &out);
	bool counted = false;
	for (size_t j = 0; j < out.n; j++)
		counted |= strstr(out.line[j], "log limit: 200 lines held back") != NULL;
	assert_true(counted);
	free(lk);
}

/* Cap 0: every source's first line goes out, however many; a new cap applies at once. */
static void test_cap_configurable(void **state)
{
	(void)state;
	struct log_keyed *lk = fresh(0);
	struct log_keyed_lines out;
	for (int i = 0; i < 500; i++) {
		uint16_t k = (uint16_t)i;
		log_keyed_event(lk, &k, 2, "x", 1000, &out);
		assert_int_equal(out.n, 1);
		assert_string_equal(out.line[0], "x");
	}
	log_keyed_set_cap(lk, 3);
	size_t lines = 0;
	for (int i = 500; i < 510; i++) {
		uint16_t k = (uint16_t)i;
		log_keyed_event(lk, &k, 2, "y", 2000, &out);
		for (size_t j = 0; j < out.n; j++)
			lines += strcmp(out.line[j], "y") == 0;
	}
	/* 500 lines of this minute are counted against the new cap: none more goes out. */
	assert_int_equal(lines, 0);
	lines = 0;
	for (int i = 600; i < 610; i++) {
		uint16_t k = (uint16_t)i;
		log_keyed_event(lk, &k, 2, "z", 2000 + MIN, &out);
		for (size_t j = 0; j < out.n; j++)
			lines += strcmp(out.line[j], "z") == 0;
	}
	assert_int_equal(lines, 3);
	free(lk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_once_then_summary),
		cmocka_unit_test(test_quiet_source_summary_comes_out),
		cmocka_unit_test(test_global_cap),
		cmocka_unit_test(test_cap_configurable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
