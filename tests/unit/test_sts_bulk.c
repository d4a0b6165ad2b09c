/* Unit tests for bulk enables: batches, refusals skipped, already-enabled domains counted. */
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/sts/sts_bulk.h"
#include "shared/sts/sts_record.h"
#include "shared/store/zone_ops.h"

struct fixture {
	struct unit_store *u;
	struct diag d;
	int rc[8];
	size_t ndone;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	unit_store_setup((void **)&f->u);
	diag_init(&f->d);
	static const char *const zones[] = { "a.test.", "b.test.", "c.test." };
	for (size_t i = 0; i < 3; i++) {
		char text[512];
		struct zonefile zf;
		struct zone_result res;
		snprintf(text, sizeof(text), "@ 300 IN SOA ns1 hostmaster 1 3600 900 1209600 300\n"
		         "@ 300 IN NS ns1\nns1 300 IN A 192.0.2.1\n%s", i == 2 ? "" :
		         "@ 300 IN MX 10 mx\nmx 300 IN A 192.0.2.25\n");
		zonefile_init(&zf);
		assert_int_equal(zonefile_read_mem(&zf, "t", text, strlen(text), N(zones[i]), 300,
		                                   &f->d), 0);
		assert_int_equal(zone_ops_import(f->u->st, &zf, ZONE_TXN_CREATE, SERIAL_INCREMENT,
		                                 NULL, "test", &f->d, &res), 0);
		zone_result_free(&res);
		zonefile_free(&zf);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	diag_free(&f->d);
	unit_store_teardown((void **)&f->u);
	free(f);
	return 0;
}

static void done(const struct sts_bulk_domain *r, void *arg)
{
	struct fixture *f = arg;
	assert_true(f->ndone < 8);
	f->rc[f->ndone++] = r->rc;
	/* A refusal says why in its own messages. */
	if (r->rc == LS_EINVAL_ZONE)
		assert_true(r->d->errors > 0);
}

static bool enabled(struct fixture *f, const char *name)
{
	struct store_txn t;
	struct sts_domain s;
	unit_begin(f->u->st, false, &t);
	int rc = sts_record_get(&t, N(name), &s);
	store_abort(&t);
	return rc == 0 && s.state == STS_ACTIVE;
}

static void test_enable_many(void **state)
{
	struct fixture *f = *state;
	static const struct sts_service svc = { "192.0.2.80", NULL, 300 };
	struct sts_settings set = { .mode = STS_MODE_ENFORCE, .mode_set = true };
	struct sts_bulk_stats s;
	/* a: fine; nozone: no zone; c: no MX; b: fine; a again: already enabled. */
	const uint8_t *names[5];
	uint8_t buf[5][DNAME_MAX];
	const char *text[] = { "a.test.", "x.nozone.", "c.test.", "b.test.", "a.test." };
	for (int i = 0; i < 5; i++) {
		memcpy(buf[i], N(text[i]), DNAME_MAX);
		names[i] = buf[i];
	}
	struct sts_bulk o = { &set, &svc, 2, done, NULL, f };
	assert_int_equal(sts_bulk_enable(f->u->st, names, 5, &o, &s), 0);
	assert_int_equal(s.enabled, 2);
	assert_int_equal(s.already, 1);
	assert_int_equal(s.failed, 2);
	assert_int_equal(f->ndone, 5);
	assert_int_equal(f->rc[0], 0);
	assert_int_equal(f->rc[1], LS_ENOZONE);
	assert_int_equal(f->rc[2], LS_EINVAL_ZONE);
	assert_int_equal(f->rc[3], 0);
	assert_int_equal(f->rc[4], LS_EEXIST);
	assert_true(enabled(f, "a.test."));
	assert_true(enabled(f, "b.test."));
	assert_false(enabled(f, "c.test."));
	/* Run again: everything that went through is already enabled. */
	f->ndone = 0;
	assert_int_equal(sts_bulk_enable(f->u->st, names, 5, &o, &s), 0);
	assert_int_equal(s.enabled, 0);
	assert_int_equal(s.already, 3);
	assert_int_equal(s.failed, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_enable_many, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
