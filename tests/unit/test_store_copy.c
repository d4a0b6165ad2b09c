/* Unit tests for store copies: a backup is a sound, compacted store; a restore is checked,
 * refused while the store is open elsewhere, and leaves nothing behind. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/store/store_check.h"
#include "shared/store/store_copy.h"

static void put(struct store *st, const char *key, const char *val)
{
	struct store_txn t;
	unit_begin(st, true, &t);
	store_put(&t, STORE_META, key, strlen(key), val, 8, 0);
	assert_int_equal(store_commit(&t), 0);
}

static bool has(const char *dir, const char *key)
{
	struct store *st;
	struct store_txn t;
	MDB_val v;
	assert_int_equal(store_open(&st, dir, STORE_RDONLY), 0);
	unit_begin(st, false, &t);
	int rc = store_get(&t, STORE_META, key, strlen(key), &v);
	store_abort(&t);
	store_close(st);
	return rc == 0;
}

/* Entries of dir whose names start with prefix. */
static int count_named(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
	closedir(d);
	return n;
}

static void test_backup_restore(void **state)
{
	char *dir = temp_dir(), src[300], dst[300], file[300];
	struct store *st;
	struct store_check r;
	pid_t holder;
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(dst, sizeof(dst), "%s/new/state", dir);
	snprintf(file, sizeof(file), "%s/backup.mdb", dir);
	assert_int_equal(store_open(&st, src, 0), 0);
	/* Many values, then most deleted: the copy is compacted. */
	char key[32];
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "k%05d", i);
		put(st, key, "12345678");
	}
	struct store_txn t;
	unit_begin(st, true, &t);
	for (int i = 1; i < 3000; i++) {
		snprintf(key, sizeof(key), "k%05d", i);
		store_del(&t, STORE_META, key, strlen(key));
	}
	assert_int_equal(store_commit(&t), 0);
	/* A reader may be open meanwhile (the daemons'). */
	struct store_txn rd;
	unit_begin(st, false, &rd);
	assert_int_equal(store_copy_backup(st, file), 0);
	store_abort(&rd);
	store_close(st);
	struct stat a, b;
	char srcdata[320];
	snprintf(srcdata, sizeof(srcdata), "%s/data.mdb", src);
	assert_int_equal(stat(srcdata, &a), 0);
	assert_int_equal(stat(file, &b), 0);
	assert_true(b.st_size < a.st_size);
	assert_int_equal(count_named(dir, "backup.mdb.tmp"), 0);

	/* Restore creates the state directory and its parent path must exist. */
	char parent[300];
	snprintf(parent, sizeof(parent), "%s/new", dir);
	assert_int_equal(mkdir(parent, 0700), 0);
	assert_int_equal(store_copy_restore(dst, file, &r, &holder), 0);
	assert_int_equal(r.records[STORE_META], 2);      /* schema and k00000 */
	assert_true(has(dst, "k00000"));
	assert_false(has(dst, "k00001"));
	assert_int_equal(count_named(dst, ".restore"), 0);
	rm_tree(dir);
	(void)state;
}

static void test_restore_refusals(void **state)
{
	char *dir = temp_dir(), file[300], junk[300];
	struct store *st;
	struct store_check r;
	pid_t holder;
	int pfd[2];
	snprintf(file, sizeof(file), "%s/backup.mdb", dir);
	snprintf(junk, sizeof(junk), "%s/junk.mdb", dir);
	assert_int_equal(store_open(&st, dir, 0), 0);
	put(st, "old", "12345678");
	assert_int_equal(store_copy_backup(st, file), 0);
	put(st, "new", "12345678");
	store_close(st);

	/* Not a store: refused, the store as it was. */
	FILE *f = fopen(junk, "w");
	assert_non_null(f);
	for (int i = 0; i < 3 * 4096; i++)
		fputc(i * 7, f);
	fclose(f);
	assert_int_equal(store_copy_restore(dir, junk, &r, &holder), LS_ECORRUPT);
	assert_true(has(dir, "new"));
	assert_int_equal(count_named(dir, ".restore"), 0);

	/* Another process has the store open: refused with its PID. */
	assert_int_equal(pipe(pfd), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *cst;
		if (store_open(&cst, dir, STORE_RDONLY) != 0)
			_exit(1);
		(void)!write(pfd[1], "x", 1);
		pause();
		_exit(0);
	}
	char c;
	assert_int_equal(read(pfd[0], &c, 1), 1);
	assert_int_equal(store_copy_restore(dir, file, &r, &holder), -EBUSY);
	assert_int_equal(holder, pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(pfd[0]);
	close(pfd[1]);
	assert_true(has(dir, "new"));

	/* Nobody has it open: replaced. */
	assert_int_equal(store_copy_restore(dir, file, &r, &holder), 0);
	assert_true(has(dir, "old"));
	assert_false(has(dir, "new"));
	assert_int_equal(count_named(dir, ".restore"), 0);
	rm_tree(dir);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backup_restore),
		cmocka_unit_test(test_restore_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
