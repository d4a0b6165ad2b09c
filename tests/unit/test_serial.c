/* Unit tests for shared/serial: RFC 1982 comparison and the serial policies. */
#include <time.h>
#include "tests/unit/unit.h"
#include "shared/dns/serial.h"

static void test_rfc1982(void **state)
{
	assert_true(serial_gt(2, 1));
	assert_false(serial_gt(1, 2));
	assert_false(serial_gt(7, 7));
	assert_true(serial_gt(0, 0xffffffffu));          /* wraps */
	assert_true(serial_gt(100, 0xffffff00u));
	assert_false(serial_gt(0x80000000u, 0));          /* exactly 2^31 apart: undefined */
	assert_true(serial_gt(0x7fffffffu, 0));
	(void)state;
}

static void test_policies(void **state)
{
	time_t now = 1795345200;   /* 2026-11-22T07:00:00Z */
	assert_int_equal(serial_next(41, SERIAL_INCREMENT, now), 42);
	assert_int_equal(serial_next(0xffffffffu, SERIAL_INCREMENT, now), 0);
	assert_int_equal(serial_next(1, SERIAL_DATECOUNTER, now), 2026112200u);
	assert_int_equal(serial_next(2026112200u, SERIAL_DATECOUNTER, now), 2026112201u);
	assert_int_equal(serial_next(2026112399u, SERIAL_DATECOUNTER, now), 2026112400u);
	assert_int_equal(serial_next(5, SERIAL_UNIXTIME, now), (uint32_t)now);
	assert_int_equal(serial_next((uint32_t)now, SERIAL_UNIXTIME, now), (uint32_t)now + 1);
	enum serial_policy p;
	assert_int_equal(serial_policy_parse("dateserial", &p), 0);
	assert_int_equal(p, SERIAL_DATECOUNTER);
	assert_int_equal(serial_policy_parse("weekly", &p), -1);
	assert_string_equal(serial_policy_name(SERIAL_UNIXTIME), "unixtime");
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc1982),
		cmocka_unit_test(test_policies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
