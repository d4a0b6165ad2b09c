/* Unit tests for the store check: sound stores, values that do not decode, garbage pages. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/store/store_check.h"
#include "shared/store/store_copy.h"
#include "shared/store/zone_ops.h"

/* A store in a new directory with one zone and a few changes (journal, history). */
static char *make_store(void)
{
	char *dir = temp_dir();
	struct store *st;
	struct diag d;
	struct zone_result res;
	char *ns[] = { "ns1.example.com." };
	static const char batch[] = "add www 300 IN A 192.0.2.1\nadd @ 300 IN MX 10 mx.example.com.\n"
	                            "add mx 300 IN A 192.0.2.25\n";
	diag_init(&d);
	assert_int_equal(store_open(&st, dir, 0), 0);
	memset(&res, 0, sizeof(res));
	assert_int_equal(zone_ops_create(st, N("example.com."), ns, 1, SERIAL_INCREMENT, 3600,
	                                 "test", &d, &res), 0);
	zone_result_free(&res);
	memset(&res, 0, sizeof(res));
	assert_int_equal(zone_ops_batch(st, N("example.com."), "<test>", batch, strlen(batch), 0,
	                                3600, "test", &d, &res), 0);
	zone_result_free(&res);
	diag_free(&d);
	store_close(st);
	return dir;
}

static void test_sound(void **state)
{
	char *dir = make_store();
	struct store_check r;
	assert_int_equal(store_check(dir, &r), 0);
	assert_string_equal(r.table, "");
	assert_int_equal(r.tables, STORE_NDB);
	assert_int_equal(r.records[STORE_ZONES], 1);
	assert_true(r.records[STORE_RRSETS] >= 5);      /* SOA, NS, A, MX, A */
	assert_int_equal(r.records[STORE_HISTORY], 2);
	assert_true(r.records[STORE_JOURNAL] >= 2);
	assert_true(r.pages > 2 && r.page_size >= 4096);
	rm_tree(dir);
	(void)state;
}

static void test_missing(void **state)
{
	char *dir = temp_dir(), path[300];
	struct store_check r;
	struct stat sb;
	assert_int_equal(store_check(dir, &r), -ENOENT);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	assert_int_equal(stat(path, &sb), -1);          /* a check creates nothing */
	rm_tree(dir);
	(void)state;
}

/* A value that LMDB stores fine but its owner cannot decode: named with its table. */
static void bad_value(enum store_db db, const void *key, size_t klen, const char *table)
{
	char *dir = make_store();
	struct store *st;
	struct store_txn t;
	struct store_check r;
	static const uint8_t junk[] = { 'X', 1, 2, 3 };
	assert_int_equal(store_open(&st, dir, 0), 0);
	unit_begin(st, true, &t);
	store_put(&t, db, key, klen, junk, sizeof(junk), 0);
	assert_int_equal(store_commit(&t), 0);
	assert_int_equal(store_check_walk(st, &r), LS_ECORRUPT);
	assert_string_equal(r.table, table);
	assert_true(r.problem[0] != 0);
	store_close(st);
	/* The same through the child process. */
	assert_int_equal(store_check(dir, &r), LS_ECORRUPT);
	assert_string_equal(r.table, table);
	rm_tree(dir);
}

static void test_bad_values(void **state)
{
	static const uint8_t rrkey[] = { 0, 0, 0, 1, 'w', 0, 0, 0, 1 };
	static const uint8_t jkey[] = { 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 99 };
	static const uint8_t hkey[] = { 0, 0, 0, 0, 0, 0, 0, 99 };
	static const uint8_t zkey[] = { 'z', 0 };
	bad_value(STORE_RRSETS, rrkey, sizeof(rrkey), "rrsets");
	bad_value(STORE_JOURNAL, jkey, sizeof(jkey), "journal");
	bad_value(STORE_HISTORY, hkey, sizeof(hkey), "history");
	bad_value(STORE_ZONES, zkey, sizeof(zkey), "zones");
	bad_value(STORE_TSIG, zkey, sizeof(zkey), "tsig");
	bad_value(STORE_SECONDARIES, jkey, sizeof(jkey), "secondaries");
	bad_value(STORE_MTASTS, "Mx", 2, "mtasts");
	bad_value(STORE_META, "counter", 7, "meta");
	bad_value(STORE_ACME_ALPN, "mta-sts.example.com", 19, "acme_alpn");
	(void)state;
}

/* Every page of a compacted copy belongs to a table: garbage on any of them is found. */
static void test_garbage_pages(void **state)
{
	char *dir = make_store(), copy[300], path[300];
	struct store *st;
	struct store_check r;
	struct stat sb;
	uint8_t page[4096];
	snprintf(copy, sizeof(copy), "%s/copy", dir);
	snprintf(path, sizeof(path), "%s/copy/data.mdb", dir);
	assert_int_equal(mkdir(copy, 0700), 0);
	assert_int_equal(store_open(&st, dir, STORE_RDONLY), 0);
	assert_int_equal(store_copy_backup(st, path), 0);
	store_close(st);
	assert_int_equal(store_check(copy, &r), 0);
	assert_int_equal(stat(path, &sb), 0);
	size_t pages = (size_t)sb.st_size / sizeof(page);
	assert_true(pages > 4);
	srand(16);
	for (size_t pg = 2; pg < pages; pg++) {
		uint8_t saved[sizeof(page)];
		int fd = open(path, O_RDWR);
		assert_true(fd >= 0);
		assert_int_equal(pread(fd, saved, sizeof(saved), (off_t)(pg * sizeof(page))),
		                 sizeof(saved));
		for (size_t i = 0; i < sizeof(page); i++)
			page[i] = (uint8_t)rand();
		assert_int_equal(pwrite(fd, page, sizeof(page), (off_t)(pg * sizeof(page))),
		                 sizeof(page));
		int rc = store_check(copy, &r);
		if (rc != LS_ECORRUPT)
			fail_msg("garbage on page %zu of %zu not found (%d)", pg, pages, rc);
		assert_true(r.table[0] != 0 && r.problem[0] != 0);
		assert_int_equal(pwrite(fd, saved, sizeof(saved), (off_t)(pg * sizeof(page))),
		                 sizeof(saved));
		close(fd);
	}
	assert_int_equal(store_check(copy, &r), 0);
	rm_tree(dir);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sound),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_garbage_pages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
