/* Unit tests for a damaged store in a daemon: which codes count, the hook, the rate limit, the exit. */
#include "tests/unit/unit.h"
#include <errno.h>
#include <lmdb.h>
#include "shared/util/err.h"
#include "shared/util/log.h"
#include "shared/store/store_damage.h"

static int seen[8], nseen;

static void record(int mdb_rc)
{
	if (nseen < 8)
		seen[nseen++] = mdb_rc;
}

static void test_codes(void **state)
{
	(void)state;
	assert_true(store_damaged(MDB_CORRUPTED));
	assert_true(store_damaged(MDB_PAGE_NOTFOUND));
	assert_true(store_damaged(MDB_BAD_TXN));
	assert_true(store_damaged(MDB_PANIC));
	assert_false(store_damaged(0));
	assert_false(store_damaged(MDB_NOTFOUND));
	assert_false(store_damaged(MDB_MAP_FULL));
	assert_false(store_damaged(MDB_KEYEXIST));
	assert_false(store_damaged(ENOSPC));
}

/* store_errno() is the one mapping of LMDB's codes, so it is where damage is seen. */
static void test_hook(void **state)
{
	(void)state;
	nseen = 0;
	store_on_damage(record);
	assert_int_equal(store_errno(MDB_NOTFOUND), LS_ENOTFOUND);
	assert_int_equal(store_errno(MDB_MAP_FULL), LS_EMAPFULL);
	assert_int_equal(store_errno(0), 0);
	assert_int_equal(nseen, 0);
	assert_int_equal(store_errno(MDB_PAGE_NOTFOUND), LS_ECORRUPT);   /* mapping unchanged */
	assert_int_equal(store_errno(MDB_CORRUPTED), LS_ECORRUPT);
	assert_int_equal(store_errno(MDB_BAD_TXN), LS_ESTORE);
	assert_int_equal(nseen, 3);
	assert_int_equal(seen[0], MDB_PAGE_NOTFOUND);
	assert_int_equal(seen[1], MDB_CORRUPTED);
	assert_int_equal(seen[2], MDB_BAD_TXN);
	store_on_damage(NULL);
	store_errno(MDB_CORRUPTED);
	assert_int_equal(nseen, 3);
}

static void test_rate_limit(void **state)
{
	(void)state;
	char line[512];
	store_damage_reset();
	assert_true(store_damage_note(MDB_PAGE_NOTFOUND, 1000, line, sizeof(line)));
	assert_non_null(strstr(line, mdb_strerror(MDB_PAGE_NOTFOUND)));
	assert_non_null(strstr(line, "zonectl store check"));
	assert_null(strstr(line, "more since"));
	/* Within the minute: held back and counted, whatever the code. */
	assert_false(store_damage_note(MDB_PAGE_NOTFOUND, 1001, line, sizeof(line)));
	assert_false(store_damage_note(MDB_CORRUPTED, 1000 + STORE_DAMAGE_LOG_INTERVAL - 1, line,
	                               sizeof(line)));
	assert_true(store_damage_note(MDB_CORRUPTED, 1000 + STORE_DAMAGE_LOG_INTERVAL, line,
	                              sizeof(line)));
	assert_non_null(strstr(line, mdb_strerror(MDB_CORRUPTED)));
	assert_non_null(strstr(line, "2 more since the last such line"));
	/* A panic is never held back: the process is about to end. */
	assert_true(store_damage_note(MDB_PANIC, 1000 + STORE_DAMAGE_LOG_INTERVAL + 1, line,
	                              sizeof(line)));
	assert_non_null(strstr(line, "exiting"));
	store_damage_reset();
}

/* dnsd's hook: one error line on stderr, and MDB_PANIC ends the process with status 5. */
static void test_installed(void **state)
{
	(void)state;
	for (int panic = 0; panic < 2; panic++) {
		int fds[2];
		assert_int_equal(pipe(fds), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			dup2(fds[1], 2);
			close(fds[0]);
			log_set_component("dnsd");
			store_damage_reset();
			store_damage_install();
			for (int i = 0; i < 5; i++)
				store_errno(MDB_PAGE_NOTFOUND);
			if (panic)
				store_errno(MDB_PANIC);
			_exit(0);
		}
		close(fds[1]);
		char out[4096];
		size_t len = 0;
		ssize_t n;
		while (len + 1 < sizeof(out) && (n = read(fds[0], out + len, sizeof(out) - 1 - len)) > 0)
			len += (size_t)n;
		out[len] = 0;
		close(fds[0]);
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), panic ? STORE_EXIT_STATUS : 0);
		/* Five damaged reads in a second: one line. */
		const char *first = strstr(out, "zonectl store check");
		assert_non_null(first);
		const char *second = strstr(first + 1, "zonectl store check");
		if (panic) {
			assert_non_null(second);
			assert_non_null(strstr(out, mdb_strerror(MDB_PANIC)));
			assert_null(strstr(second + 1, "zonectl store check"));
		} else {
			assert_null(second);
		}
		assert_non_null(strstr(out, mdb_strerror(MDB_PAGE_NOTFOUND)));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_hook),
		cmocka_unit_test(test_rate_limit),
		cmocka_unit_test(test_installed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
