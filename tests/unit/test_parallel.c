/* parallel_run(): every item once, no more threads than asked, a failure stops new items. */
#include <stdatomic.h>
#include <time.h>
#include "unit.h"
#include "shared/util/parallel.h"

struct count {
	atomic_int *seen;
	atomic_int running, most;
	int fail_at;
};

static int item(size_t i, void *arg)
{
	struct count *c = arg;
	int now = atomic_fetch_add(&c->running, 1) + 1;
	int most = atomic_load(&c->most);
	while (now > most && !atomic_compare_exchange_weak(&c->most, &most, now))
		;
	struct timespec ts = { 0, 200000 };   /* long enough for threads to overlap */
	nanosleep(&ts, NULL);
	atomic_fetch_add(&c->seen[i], 1);
	atomic_fetch_sub(&c->running, 1);
	return (int)i == c->fail_at ? -5 : 0;
}

static void run(size_t n, unsigned threads, int fail_at, struct count *c)
{
	c->seen = calloc(n ? n : 1, sizeof(*c->seen));
	atomic_init(&c->running, 0);
	atomic_init(&c->most, 0);
	c->fail_at = fail_at;
	assert_non_null(c->seen);
	assert_int_equal(parallel_run(n, threads, item, c), fail_at >= 0 ? -5 : 0);
}

static void test_every_item_once(void **state)
{
	(void)state;
	struct count c;
	run(500, 8, -1, &c);
	for (size_t i = 0; i < 500; i++)
		assert_int_equal(atomic_load(&c.seen[i]), 1);
	assert_true(atomic_load(&c.most) <= 8);
	assert_true(atomic_load(&c.most) >= 2);   /* it did run in parallel */
	free(c.seen);
}

static void test_one_thread_and_none(void **state)
{
	(void)state;
	struct count c;
	run(50, 1, -1, &c);
	assert_int_equal(atomic_load(&c.most), 1);
	free(c.seen);
	run(0, 4, -1, &c);
	assert_int_equal(atomic_load(&c.most), 0);
	free(c.seen);
	run(3, 64, -1, &c);                     /* never more threads than items */
	assert_true(atomic_load(&c.most) <= 3);
	free(c.seen);
}

static void test_failure_stops_new_items(void **state)
{
	(void)state;
	struct count c;
	run(2000, 4, 10, &c);
	size_t ran = 0;
	for (size_t i = 0; i < 2000; i++) {
		assert_true(atomic_load(&c.seen[i]) <= 1);
		ran += (size_t)atomic_load(&c.seen[i]);
	}
	assert_int_equal(atomic_load(&c.seen[10]), 1);
	assert_true(ran < 2000);                 /* those after the failure did not start */
	free(c.seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_item_once),
		cmocka_unit_test(test_one_thread_and_none),
		cmocka_unit_test(test_failure_stops_new_items),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
