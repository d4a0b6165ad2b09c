/* Unit tests for bulk imports: batches, failures skipped or all-or-nothing, outcomes reported. */
#include <errno.h>
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/store/zone.h"
#include "shared/store/zone_bulk.h"

struct fixture {
	char *dir;
	struct store *st;
	char *paths[8];
	size_t n;
	/* What done() saw. */
	int rc[8];
	char seen[8][256];
	unsigned lines[8];
	size_t ndone, progress;
};

static const char *const good =
	"$ORIGIN %s.\n$TTL 300\n@ IN SOA ns1 hostmaster 7 3600 900 1209600 300\n@ IN NS ns1\n"
	"ns1 IN A 192.0.2.1\n";

static void add_file(struct fixture *f, const char *name, const char *fmt, const char *zone)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	if (fmt) {
		FILE *fp = fopen(path, "w");
		assert_non_null(fp);
		fprintf(fp, fmt, zone);
		fclose(fp);
	}
	f->paths[f->n++] = strdup(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = temp_dir();
	assert_int_equal(store_open(&f->st, f->dir, 0), 0);
	add_file(f, "a.zone", good, "a.test");
	add_file(f, "bad.zone", "$ORIGIN %s.\n@ 300 IN SOA ns1 hostmaster 1 3600 900 1209600 300\n"
	         "@ 300 IN NS ns1\nns1 300 IN A 999.1.1.1\n", "bad.test");
	add_file(f, "b.zone", good, "b.test");
	add_file(f, "missing.zone", NULL, NULL);
	add_file(f, "c.zone", good, "c.test");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	for (size_t i = 0; i < f->n; i++)
		free(f->paths[i]);
	store_close(f->st);
	rm_tree(f->dir);
	free(f);
	return 0;
}

static void done(const struct zone_bulk_file *file, void *arg)
{
	struct fixture *f = arg;
	assert_true(f->ndone < 8);
	f->rc[f->ndone] = file->rc;
	snprintf(f->seen[f->ndone], sizeof(f->seen[0]), "%s", strrchr(file->path, '/') + 1);
	f->lines[f->ndone] = file->d->n ? file->d->v[0].line : 0;
	f->ndone++;
}

static void progress(size_t staged, size_t total, void *arg)
{
	struct fixture *f = arg;
	assert_true(staged <= total);
	f->progress = staged;
}

static size_t zones(struct fixture *f)
{
	struct store_txn t;
	struct zone_info *z = NULL;
	size_t n = 0;
	unit_begin(f->st, false, &t);
	assert_int_equal(zone_list(&t, &z, &n), 0);
	store_abort(&t);
	free(z);
	return n;
}

static void test_failures_skipped(void **state)
{
	struct fixture *f = *state;
	struct zone_bulk_stats s;
	/* Two files to a transaction: three batches, each committed on its own. */
	struct zone_bulk o = { SERIAL_INCREMENT, 3600, "unit", 2, false, done, progress, f };
	assert_int_equal(zone_bulk_import(f->st, f->paths, f->n, &o, &s), 0);
	assert_int_equal(s.imported, 3);
	assert_int_equal(s.failed, 2);
	assert_int_equal(s.unchanged, 0);
	assert_int_equal(s.records, 9);
	assert_false(s.replaced);
	assert_int_equal(f->ndone, 5);
	assert_int_equal(f->progress, 5);
	/* Reported in file order, each with its outcome; the bad one names its line. */
	assert_string_equal(f->seen[1], "bad.zone");
	assert_int_equal(f->rc[1], LS_EPARSE);
	assert_int_equal(f->lines[1], 4);
	assert_int_equal(f->rc[3], -ENOENT);
	assert_int_equal(f->rc[0], 0);
	assert_int_equal(f->rc[4], 0);
	assert_int_equal(zones(f), 3);
	/* Again: unchanged, and nothing replaced. */
	f->ndone = 0;
	assert_int_equal(zone_bulk_import(f->st, f->paths, f->n, &o, &s), 0);
	assert_int_equal(s.unchanged, 3);
	assert_int_equal(s.imported, 0);
	assert_int_equal(f->rc[0], LS_ENOCHANGE);
}

static void test_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	struct zone_bulk_stats s;
	struct zone_bulk o = { SERIAL_INCREMENT, 3600, "unit", 2, true, done, NULL, f };
	assert_int_equal(zone_bulk_import(f->st, f->paths, f->n, &o, &s), 0);
	assert_false(s.landed);
	assert_int_equal(s.failed, 2);
	assert_int_equal(s.imported, 0);
	assert_int_equal(f->ndone, 2);          /* only the failures are reported */
	assert_int_equal(zones(f), 0);
	/* Without the bad ones, all land in one transaction. */
	char *ok[] = { f->paths[0], f->paths[2], f->paths[4] };
	f->ndone = 0;
	assert_int_equal(zone_bulk_import(f->st, ok, 3, &o, &s), 0);
	assert_true(s.landed);
	assert_int_equal(s.imported, 3);
	assert_int_equal(zones(f), 3);
}

static void test_replaced(void **state)
{
	struct fixture *f = *state;
	struct zone_bulk_stats s;
	struct zone_bulk o = { SERIAL_INCREMENT, 3600, "unit", 0, false, NULL, NULL, f };
	char *one[] = { f->paths[0] };
	assert_int_equal(zone_bulk_import(f->st, one, 1, &o, &s), 0);
	FILE *fp = fopen(f->paths[0], "a");
	fputs("www IN A 192.0.2.80\n", fp);
	fclose(fp);
	assert_int_equal(zone_bulk_import(f->st, one, 1, &o, &s), 0);
	assert_int_equal(s.imported, 1);
	assert_true(s.replaced);
	assert_int_equal(s.records, 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_failures_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaced, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
