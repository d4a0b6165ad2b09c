/* Unit tests for MTA-STS ids: time-derived, strictly increasing, refusing what is not an id. */
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/sts/sts_id.h"

#define T0 1764747285   /* 2025-12-03 07:34:45 UTC */

static void test_next(void **state)
{
	static const struct { const char *prev; int64_t now; const char *want; } cases[] = {
		{ "", T0, "2025120307344500" },
		{ "", 0, "1970010100000000" },
		{ "2025120307344400", T0, "2025120307344500" },
		{ "2025120307344500", T0, "2025120307344501" },      /* two in one second */
		{ "2025120307344501", T0, "2025120307344502" },      /* still that second's time */
		{ "2025120307345999", T0, "2025120307346000" },      /* a number, not a time */
		{ "2026120307344500", T0, "2026120307344501" },      /* the clock went back */
		{ "20251203073445", T0, "2025120307344500" },        /* the older 14-digit ids */
		{ "99999999999999", T0, "2025120307344500" },
		{ "9999999999999999", T0, "10000000000000000" },
		{ "7", T0, "2025120307344500" },                     /* shorter is smaller */
		{ "1234567890123456789012345678901", T0, "1234567890123456789012345678902" },
		{ "9999999999999999999999999999999", T0, "10000000000000000000000000000000" },
	};
	char out[STS_ID_MAX + 1];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(out, 'x', sizeof(out));
		assert_int_equal(sts_id_next(cases[i].prev, cases[i].now, out), 0);
		if (strcmp(out, cases[i].want) != 0)
			fail_msg("after \"%s\": \"%s\", want \"%s\"", cases[i].prev, out, cases[i].want);
		assert_true(sts_id_valid(out));
	}
	(void)state;
}

static void test_next_refuses(void **state)
{
	static const char *const bad[] = { "abc", "2025-12-03", " 1", "12a", "0", "0123",
	                                   "12345678901234567890123456789012" };
	char out[STS_ID_MAX + 1];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sts_id_next(bad[i], T0, out) != LS_EPARSE)
			fail_msg("\"%s\" accepted", bad[i]);
	(void)state;
}

static void test_sequence_increases(void **state)
{
	char prev[STS_ID_MAX + 1] = "", out[STS_ID_MAX + 1];
	/* Many ids in one second, then a clock step back: every id is greater than the last. */
	for (int i = 0; i < 200; i++) {
		assert_int_equal(sts_id_next(prev, i < 150 ? T0 : T0 - 3600, out), 0);
		if (prev[0])
			assert_true(strlen(out) > strlen(prev) ||
			            (strlen(out) == strlen(prev) && strcmp(out, prev) > 0));
		memcpy(prev, out, sizeof(prev));
	}
	/* 100 ids fit in second 45 (..4500 to ..4599); the rest count on: 199 past the first. */
	assert_string_equal(prev, "2025120307344699");
	(void)state;
}

static void test_valid(void **state)
{
	char max[STS_ID_MAX + 2];
	memset(max, 'Z', STS_ID_MAX);
	max[STS_ID_MAX] = 0;
	assert_true(sts_id_valid(max));
	assert_true(sts_id_valid("a"));
	assert_true(sts_id_valid("20251203aB9"));
	max[STS_ID_MAX] = 'Z';
	max[STS_ID_MAX + 1] = 0;
	assert_false(sts_id_valid(max));
	static const char *const bad[] = { "", "a-b", "a b", "a.b", "é", "a_b", "id;" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(sts_id_valid(bad[i]));
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next),
		cmocka_unit_test(test_next_refuses),
		cmocka_unit_test(test_sequence_increases),
		cmocka_unit_test(test_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
