/* Unit tests for the diagnostics list: counting, the cap, truncation, order and printing. */
#include "tests/unit/unit.h"
#include "shared/util/diag.h"

/* What diag_print writes, malloc'ed. */
static char *printed(const struct diag *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	diag_print(d, f);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_add_counts_and_formats(void **state)
{
	struct diag d;
	diag_init(&d);
	diag_add(&d, DIAG_ERROR, "zone.txt", 12, "bad %s at %d", "TTL", 7);
	diag_add(&d, DIAG_WARNING, NULL, 0, "plain");
	diag_add(&d, DIAG_WARNING, "zone.txt", 0, "whole file");
	diag_add(NULL, DIAG_ERROR, "x", 1, "dropped without a list");
	assert_int_equal(d.n, 3);
	assert_int_equal(d.errors, 1);
	assert_int_equal(d.warnings, 2);
	assert_int_equal(d.dropped, 0);
	assert_int_equal(d.v[0].sev, DIAG_ERROR);
	assert_string_equal(d.v[0].file, "zone.txt");
	assert_int_equal(d.v[0].line, 12);
	assert_string_equal(d.v[0].text, "bad TTL at 7");
	assert_null(d.v[1].file);
	char *out = printed(&d);
	assert_string_equal(out, "zone.txt:12: error: bad TTL at 7\n"
	                         "warning: plain\n"
	                         "zone.txt: warning: whole file\n");
	free(out);
	diag_free(&d);
	assert_int_equal(d.n, 0);
	assert_null(d.v);
	assert_int_equal(d.errors, 0);
	(void)state;
}

static void test_cap_counts_the_rest(void **state)
{
	struct diag d;
	diag_init(&d);
	for (int i = 0; i < DIAG_MAX + 5; i++)
		diag_add(&d, i % 2 ? DIAG_WARNING : DIAG_ERROR, "f", (unsigned)i + 1, "m%d", i);
	assert_int_equal(d.n, DIAG_MAX);
	assert_int_equal(d.dropped, 5);
	assert_int_equal(d.errors + d.warnings, DIAG_MAX + 5);
	assert_string_equal(d.v[DIAG_MAX - 1].text, "m199");
	char *out = printed(&d);
	const char *tail = "(5 more messages not shown)\n";
	assert_true(strlen(out) > strlen(tail));
	assert_string_equal(out + strlen(out) - strlen(tail), tail);
	free(out);
	diag_free(&d);
	(void)state;
}

static void test_truncate(void **state)
{
	struct diag d;
	diag_init(&d);
	diag_add(&d, DIAG_WARNING, "a", 1, "kept");
	size_t n = d.n, errors = d.errors, warnings = d.warnings;
	diag_add(&d, DIAG_ERROR, "a", 2, "retried");
	diag_add(&d, DIAG_ERROR, "a", 3, "retried too");
	diag_truncate(&d, n, errors, warnings);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.errors, 0);
	assert_int_equal(d.warnings, 1);
	assert_string_equal(d.v[0].text, "kept");
	/* The list goes on from there. */
	diag_add(&d, DIAG_ERROR, NULL, 0, "after");
	assert_int_equal(d.n, 2);
	assert_string_equal(d.v[1].text, "after");
	diag_free(&d);
	(void)state;
}

static void test_sort_by_place(void **state)
{
	struct diag d;
	diag_init(&d);
	diag_add(&d, DIAG_ERROR, NULL, 0, "no place 1");
	diag_add(&d, DIAG_ERROR, "b.zone", 3, "b3");
	diag_add(&d, DIAG_ERROR, "a.zone", 10, "a10");
	diag_add(&d, DIAG_ERROR, "a.zone", 2, "a2 first");
	diag_add(&d, DIAG_ERROR, NULL, 0, "no place 2");
	diag_add(&d, DIAG_ERROR, "a.zone", 2, "a2 second");
	diag_add(&d, DIAG_ERROR, "a.zone", 9, "a9");
	diag_sort(&d);
	static const char *const want[] = { "a2 first", "a2 second", "a9", "a10", "b3",
	                                    "no place 1", "no place 2" };
	assert_int_equal(d.n, 7);
	for (size_t i = 0; i < d.n; i++)
		assert_string_equal(d.v[i].text, want[i]);
	diag_free(&d);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_counts_and_formats),
		cmocka_unit_test(test_cap_counts_the_rest),
		cmocka_unit_test(test_truncate),
		cmocka_unit_test(test_sort_by_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
