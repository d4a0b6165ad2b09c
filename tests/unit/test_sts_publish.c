/* sts_publish_rotation_time(): rotations spread over the interval, at a fixed phase. */
#include "unit.h"
#include "shared/sts/sts_publish.h"

#define DAY 86400

static const uint8_t *name_of(unsigned i)
{
	char text[64];
	snprintf(text, sizeof(text), "d%05u.example.", i);
	return N(text);
}

/* 10,000 ids published in one second fall due spread over the day, none long before. */
static void test_spread(void **state)
{
	(void)state;
	static uint16_t per_minute[2 * DAY / 60];
	int64_t t0 = 1700000000;
	unsigned most = 0;
	for (unsigned i = 0; i < 10000; i++) {
		int64_t r = sts_publish_rotation_time(name_of(i), t0, DAY);
		assert_true(r >= t0 + DAY / 2);
		assert_true(r < t0 + DAY / 2 + DAY);
		unsigned m = (unsigned)((r - t0 - DAY / 2) / 60);
		if (++per_minute[m] > most)
			most = per_minute[m];
	}
	/* 10,000 over 1,440 minutes is about 7 a minute; a hash that clusters would show. */
	assert_true(most <= 25);
}

/* Once spread, a domain keeps its phase: each rotation one interval after the last. */
static void test_fixed_phase(void **state)
{
	(void)state;
	const uint8_t *d = name_of(42);
	int64_t r1 = sts_publish_rotation_time(d, 1700000000, DAY);
	int64_t r2 = sts_publish_rotation_time(d, r1, DAY);
	int64_t r3 = sts_publish_rotation_time(d, r2 + 3, DAY);   /* a rotation a little late */
	assert_int_equal(r2, r1 + DAY);
	assert_int_equal(r3, r2 + DAY);
	/* The same name, the same answer: in every process, every time. */
	assert_int_equal(sts_publish_rotation_time(name_of(42), 1700000000, DAY), r1);
}

/* rotate-interval 1 (tests): every second, never in the second of the publish. */
static void test_short_intervals(void **state)
{
	(void)state;
	for (unsigned i = 0; i < 100; i++) {
		assert_int_equal(sts_publish_rotation_time(name_of(i), 1000, 1), 1001);
		int64_t r = sts_publish_rotation_time(name_of(i), 1000, 2);
		assert_true(r >= 1001 && r <= 1002);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spread),
		cmocka_unit_test(test_fixed_phase),
		cmocka_unit_test(test_short_intervals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
