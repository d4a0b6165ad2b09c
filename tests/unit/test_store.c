/* Unit tests for the store: open and schema, the sticky error, counters, map growth, readers. */
#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/store/store.h"
#include "shared/dns/wire.h"

static void put_text(struct store *st, const char *key, const char *val)
{
	struct store_txn t;
	unit_begin(st, true, &t);
	store_put(&t, STORE_META, key, strlen(key), val, strlen(val), 0);
	assert_int_equal(store_commit(&t), 0);
}

/* The value of key in txn as a string ("" when missing). */
static const char *get_text(struct store_txn *t, const char *key)
{
	static char buf[64];
	MDB_val v;
	int rc = store_get(t, STORE_META, key, strlen(key), &v);
	if (rc == LS_ENOTFOUND)
		return "";
	assert_int_equal(rc, 0);
	snprintf(buf, sizeof(buf), "%.*s", (int)v.mv_size, (const char *)v.mv_data);
	return buf;
}

static void test_open(void **state)
{
	char *dir = temp_dir(), path[300];
	struct store *st;
	struct stat sb;
	snprintf(path, sizeof(path), "%s/state", dir);
	/* Read-only does not create. */
	assert_true(store_open(&st, path, STORE_RDONLY) < 0);
	assert_int_equal(store_open(&st, path, 0), 0);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_true(store_map_size(st) >= STORE_MAP_INITIAL);
	put_text(st, "k", "v");
	store_close(st);
	store_close(NULL);
	/* Read-only sees it and refuses writers. */
	struct store_txn t;
	assert_int_equal(store_open(&st, path, STORE_RDONLY), 0);
	assert_int_equal(store_begin(st, true, 0, &t), -EROFS);
	assert_int_equal(store_reserve(st, 1u << 30), 0);
	unit_begin(st, false, &t);
	assert_string_equal(get_text(&t, "k"), "v");
	store_abort(&t);
	store_close(st);
	/* A long-lived reader reserves its map up front. */
	assert_int_equal(store_open(&st, path, STORE_READERS), 0);
	assert_int_equal(store_map_size(st), STORE_MAP_READERS);
	store_close(st);
	rm_tree(dir);
	(void)state;
}

/* Another process holds the writer lock (dnsd's publisher in a commit): opening the store
 * writable does not wait for it, as the tables are there; a write then does wait. */
static void test_open_beside_a_writer(void **state)
{
	char *dir = temp_dir(), path[300], c;
	struct store *st;
	int up[2], down[2];
	snprintf(path, sizeof(path), "%s/state", dir);
	assert_int_equal(store_open(&st, path, 0), 0);
	put_text(st, "k", "v");
	store_close(st);
	assert_int_equal(pipe(up), 0);
	assert_int_equal(pipe(down), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store_txn t;
		close(up[0]);
		close(down[1]);      /* the parent's end: its exit ends the wait below */
		if (store_open(&st, path, 0) != 0 || store_begin(st, true, 0, &t) != 0)
			_exit(1);
		if (write(up[1], "l", 1) != 1 || read(down[0], &c, 1) != 1)
			_exit(2);
		store_abort(&t);
		store_close(st);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	assert_int_equal(read(up[0], &c, 1), 1);       /* the child holds the writer lock */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* Were the open to wait, the child would never be told to let go: the alarm ends it. */
	alarm(10);
	assert_int_equal(store_open(&st, path, 0), 0);
	alarm(0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
	struct store_txn t;
	unit_begin(st, false, &t);
	assert_string_equal(get_text(&t, "k"), "v");
	store_abort(&t);
	assert_int_equal(write(down[1], "g", 1), 1);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	put_text(st, "k2", "v2");                      /* writable: the tables are usable */
	store_close(st);
	close(up[0]);
	close(down[1]);
	rm_tree(dir);
	(void)state;
}

static void test_schema(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	MDB_val v;
	uint8_t buf[4];
	unit_begin(u->st, false, &t);
	assert_int_equal(store_get(&t, STORE_META, "schema", 6, &v), 0);
	assert_int_equal(v.mv_size, 4);
	assert_int_equal(wire_get32(v.mv_data), STORE_SCHEMA);
	store_abort(&t);
	/* A store written by a newer Lockstep is not opened. */
	unit_begin(u->st, true, &t);
	wire_put32(buf, STORE_SCHEMA + 1);
	store_put(&t, STORE_META, "schema", 6, buf, 4, 0);
	assert_int_equal(store_commit(&t), 0);
	store_close(u->st);
	u->st = NULL;
	assert_int_equal(store_open(&u->st, u->dir, 0), -EPROTO);
	assert_int_equal(store_open(&u->st, u->dir, STORE_RDONLY), -EPROTO);
	assert_null(u->st);
	/* An older schema (0 here) is opened. */
	struct store *st;
	char *dir = temp_dir();
	assert_int_equal(store_open(&st, dir, 0), 0);
	unit_begin(st, true, &t);
	wire_put32(buf, 0);
	store_put(&t, STORE_META, "schema", 6, buf, 4, 0);
	assert_int_equal(store_commit(&t), 0);
	store_close(st);
	assert_int_equal(store_open(&st, dir, 0), 0);
	store_close(st);
	rm_tree(dir);
}

static void test_sticky_error(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	MDB_val v;
	MDB_cursor *cur = NULL;
	put_text(u->st, "kept", "old");
	unit_begin(u->st, true, &t);
	/* A missing key is an answer, not an error. */
	assert_int_equal(store_get(&t, STORE_META, "nothing", 7, &v), LS_ENOTFOUND);
	store_del(&t, STORE_META, "nothing", 7);
	assert_int_equal(t.err, 0);
	store_put(&t, STORE_META, "kept", 4, "new", 3, 0);
	assert_int_equal(store_fail(&t, LS_ETOOBIG), LS_ETOOBIG);
	assert_int_equal(store_fail(&t, LS_EPARSE), LS_ETOOBIG);     /* the first one wins */
	/* Everything after it is skipped and reports it. */
	store_put(&t, STORE_META, "later", 5, "x", 1, 0);
	assert_int_equal(store_get(&t, STORE_META, "kept", 4, &v), LS_ETOOBIG);
	assert_int_equal(store_cursor(&t, STORE_META, &cur), LS_ETOOBIG);
	assert_null(cur);
	uint64_t id;
	assert_int_equal(store_next_id(&t, "ids", &id), LS_ETOOBIG);
	assert_int_equal(store_commit(&t), LS_ETOOBIG);
	assert_null(t.txn);
	assert_int_equal(store_commit(&t), LS_ETOOBIG);               /* still, once ended */
	/* Nothing of the failed transaction was written. */
	unit_begin(u->st, false, &t);
	assert_string_equal(get_text(&t, "kept"), "old");
	assert_string_equal(get_text(&t, "later"), "");
	store_abort(&t);
	store_abort(&t);                                              /* twice is harmless */
}

static void test_put_flags_and_abort(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	put_text(u->st, "a", "1");
	unit_begin(u->st, true, &t);
	store_put(&t, STORE_META, "a", 1, "2", 1, MDB_NOOVERWRITE);
	assert_int_equal(t.err, LS_ESTORE);     /* MDB_KEYEXIST is a store error */
	store_abort(&t);
	unit_begin(u->st, true, &t);
	store_put(&t, STORE_META, "b", 1, "2", 1, 0);
	store_del(&t, STORE_META, "a", 1);
	assert_string_equal(get_text(&t, "b"), "2");                 /* a writer sees its own */
	assert_string_equal(get_text(&t, "a"), "");
	store_abort(&t);
	unit_begin(u->st, false, &t);
	assert_string_equal(get_text(&t, "a"), "1");
	assert_string_equal(get_text(&t, "b"), "");
	store_abort(&t);
}

static void test_next_id(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	uint64_t a1, a2, b1, a3;
	unit_begin(u->st, true, &t);
	assert_int_equal(store_next_id(&t, "zone_id", &a1), 0);
	assert_int_equal(store_next_id(&t, "zone_id", &a2), 0);
	assert_int_equal(store_next_id(&t, "other", &b1), 0);
	assert_int_equal(store_commit(&t), 0);
	assert_int_equal(a1, 1);
	assert_int_equal(a2, 2);
	assert_int_equal(b1, 1);
	/* An aborted allocation is given again. */
	unit_begin(u->st, true, &t);
	assert_int_equal(store_next_id(&t, "zone_id", &a3), 0);
	store_abort(&t);
	unit_begin(u->st, true, &t);
	assert_int_equal(store_next_id(&t, "zone_id", &a3), 0);
	assert_int_equal(store_commit(&t), 0);
	assert_int_equal(a3, 3);
	/* A damaged counter is an error, not a fresh start that would hand out ids in use. */
	unit_begin(u->st, true, &t);
	store_put(&t, STORE_META, "zone_id", 7, "\0\0\0\4", 4, 0);
	assert_int_equal(store_next_id(&t, "zone_id", &a3), LS_ESTORE);
	store_abort(&t);
}

static void test_grow_and_reserve(void **state)
{
	struct unit_store *u = *state;
	struct store_txn t;
	size_t size = store_map_size(u->st);
	assert_int_equal(store_grow(u->st), 0);
	assert_int_equal(store_map_size(u->st), 2 * size);
	/* A writer's hint grows the map before the write starts. */
	size = store_map_size(u->st);
	assert_int_equal(store_begin(u->st, true, size, &t), 0);
	assert_true(store_map_size(u->st) >= 3 * size);
	store_abort(&t);
	size = store_map_size(u->st);
	assert_int_equal(store_reserve(u->st, size), 0);
	assert_true(store_map_size(u->st) >= 3 * size);
	/* Data survive growing. */
	put_text(u->st, "after", "growth");
	unit_begin(u->st, false, &t);
	assert_string_equal(get_text(&t, "after"), "growth");
	store_abort(&t);
}

static void test_reader_snapshot(void **state)
{
	struct unit_store *u = *state;
	struct store *ro;
	struct store_txn r;
	MDB_cursor *cur;
	MDB_val k, v;
	put_text(u->st, "n", "1");
	assert_int_equal(store_open(&ro, u->dir, STORE_READERS), 0);
	unit_begin(ro, false, &r);
	assert_int_equal(store_cursor(&r, STORE_META, &cur), 0);
	assert_string_equal(get_text(&r, "n"), "1");
	put_text(u->st, "n", "2");
	assert_string_equal(get_text(&r, "n"), "1");      /* the snapshot holds */
	store_reset(&r);
	r.err = LS_ESTORE;                                  /* renew clears a stale error */
	assert_int_equal(store_renew(&r, cur), 0);
	assert_int_equal(r.err, 0);
	assert_string_equal(get_text(&r, "n"), "2");
	k.mv_size = 1;
	k.mv_data = "n";
	assert_int_equal(mdb_cursor_get(cur, &k, &v, MDB_SET_KEY), 0);  /* the cursor followed */
	assert_memory_equal(v.mv_data, "2", 1);
	mdb_cursor_close(cur);
	assert_int_equal(store_commit(&r), 0);             /* ends a reader */
	store_close(ro);
}

static void test_errno_map(void **state)
{
	assert_int_equal(store_errno(0), 0);
	assert_int_equal(store_errno(MDB_NOTFOUND), LS_ENOTFOUND);
	assert_int_equal(store_errno(MDB_MAP_FULL), LS_EMAPFULL);
	assert_int_equal(store_errno(ENOSPC), -ENOSPC);
	assert_int_equal(store_errno(EACCES), -EACCES);
	assert_int_equal(store_errno(MDB_CORRUPTED), LS_ECORRUPT);
	assert_int_equal(store_errno(MDB_INVALID), LS_ECORRUPT);
	assert_int_equal(store_errno(MDB_PAGE_NOTFOUND), LS_ECORRUPT);
	assert_int_equal(store_errno(MDB_KEYEXIST), LS_ESTORE);
	(void)state;
}

/*
 * data.mdb cut at every page boundary, and in the middle of every page: every way of opening
 * says so (LS_ETRUNCATED, or LS_ECORRUPT when not even the meta pages are whole) and no read
 * ever maps past the end of the file (that would be SIGBUS here).
 */
static void test_truncated(void **state)
{
	char *dir = temp_dir(), path[300], data[320], cut[320];
	struct store *st;
	struct stat sb;
	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(data, sizeof(data), "%s/data.mdb", path);
	snprintf(cut, sizeof(cut), "%s/cut", dir);
	assert_int_equal(store_open(&st, path, 0), 0);
	for (int i = 0; i < 400; i++) {
		char key[16];
		snprintf(key, sizeof(key), "key%04d", i);
		put_text(st, key, "a value long enough to need a few pages in the end.............");
	}
	store_close(st);
	assert_int_equal(stat(data, &sb), 0);
	long ps = sysconf(_SC_PAGESIZE);
	long pages = (long)sb.st_size / ps;
	assert_true(pages > 6);
	assert_int_equal(mkdir(cut, 0700), 0);
	char cutdata[340], cmd[2000];
	snprintf(cutdata, sizeof(cutdata), "%s/data.mdb", cut);
	for (long k = 0; k < 2 * pages; k++) {
		off_t size = (off_t)(k / 2) * ps + (k % 2 ? ps / 2 : 0);
		snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && rm -f '%s/lock.mdb'", data, cutdata, cut);
		assert_int_equal(system(cmd), 0);
		assert_int_equal(truncate(cutdata, size), 0);
		static const unsigned modes[] = { STORE_RDONLY, 0, STORE_READERS };
		for (size_t m = 0; m < 3; m++) {
			int rc = store_open(&st, cut, modes[m]);
			if (rc != LS_ETRUNCATED && rc != LS_ECORRUPT)
				fail_msg("cut at %lld bytes, mode %u: %s", (long long)size, modes[m],
				         ls_strerror(rc));
			if (rc == 0)
				store_close(st);
		}
		/* Cut before the second meta page: says truncated too. */
		if (size < 2 * ps) {
			assert_int_equal(store_open(&st, cut, STORE_RDONLY), LS_ETRUNCATED);
		}
	}
	/* Whole again: opens. */
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", data, cutdata);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(store_open(&st, cut, STORE_RDONLY), 0);
	store_close(st);
	rm_tree(dir);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open),
		cmocka_unit_test(test_open_beside_a_writer),
		cmocka_unit_test_setup_teardown(test_schema, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_sticky_error, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_put_flags_and_abort, unit_store_setup,
		                                unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_next_id, unit_store_setup, unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_grow_and_reserve, unit_store_setup,
		                                unit_store_teardown),
		cmocka_unit_test_setup_teardown(test_reader_snapshot, unit_store_setup,
		                                unit_store_teardown),
		cmocka_unit_test(test_errno_map),
		cmocka_unit_test(test_truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
