/* Unit tests for ls_strerror: every project code has its own text; errno and LMDB codes pass. */
#include <errno.h>
#include <lmdb.h>
#include "tests/unit/unit.h"
#include "shared/util/err.h"

static void test_project_codes(void **state)
{
	const char *seen[LS_EEND - LS_EBASE];
	size_t n = 0;
	assert_string_equal(ls_strerror(0), "success");
	for (int code = LS_EBASE + 1; code < LS_EEND; code++) {
		const char *s = ls_strerror(code);
		assert_non_null(s);
		assert_true(strlen(s) > 3);
		/* Not the LMDB or libc fallback: the code has a text of its own. */
		assert_string_not_equal(s, mdb_strerror(code));
		assert_null(strstr(s, "nknown"));
		for (size_t i = 0; i < n; i++)
			if (strcmp(seen[i], s) == 0)
				fail_msg("code %d shares its text \"%s\"", code, s);
		seen[n++] = s;
	}
	assert_int_equal(n, LS_EEND - LS_EBASE - 1);
	assert_string_equal(ls_strerror(LS_EPARSE), "malformed input");
	assert_string_equal(ls_strerror(LS_EMAPFULL), "store map full");
	assert_string_equal(ls_strerror(LS_ECONFIG), "invalid configuration");
	(void)state;
}

static void test_errno_and_lmdb(void **state)
{
	static const int errnos[] = { ENOENT, EACCES, ENOMEM, EROFS, EPROTO, ETIMEDOUT, 4095 };
	char want[256];
	for (size_t i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		snprintf(want, sizeof(want), "%s", strerror(errnos[i]));
		assert_string_equal(ls_strerror(-errnos[i]), want);
	}
	/* LMDB's codes lie below the project's; their text comes from LMDB. */
	assert_true(MDB_KEYEXIST < LS_EBASE);
	assert_string_equal(ls_strerror(MDB_MAP_FULL), mdb_strerror(MDB_MAP_FULL));
	assert_string_equal(ls_strerror(MDB_NOTFOUND), mdb_strerror(MDB_NOTFOUND));
	assert_string_equal(ls_strerror(MDB_READERS_FULL), mdb_strerror(MDB_READERS_FULL));
	assert_non_null(strstr(ls_strerror(MDB_MAP_FULL), "MDB_MAP_FULL"));
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_project_codes),
		cmocka_unit_test(test_errno_and_lmdb),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
