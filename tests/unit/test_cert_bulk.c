/* Unit tests for cert_bulk.c: many demo certificates in threads, each host's own outcome. */
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/tls/cert.h"

#define NHOSTS 9

static void test_many_hosts(void **state)
{
	(void)state;
	char *dir = temp_dir(), err[CERT_TEXT_MAX], names[NHOSTS][64];
	static char errs[NHOSTS][CERT_TEXT_MAX];
	const char *hosts[NHOSTS];
	int rcs[NHOSTS];
	struct cert_stamp before[NHOSTS], after;
	bool created;
	for (int i = 0; i < NHOSTS; i++) {
		snprintf(names[i], sizeof(names[i]), i == 4 ? "Not A Host" : "mta-sts.h%d.example", i);
		hosts[i] = names[i];
	}
	/* No demo CA: nothing to do, nothing written. */
	cert_bulk_demo_ensure(dir, hosts, NHOSTS, 3, rcs, errs);
	for (int i = 0; i < NHOSTS; i++)
		assert_int_equal(rcs[i], 0);
	assert_int_equal(cert_stamp_get(dir, hosts[0], &before[0]), 0);
	assert_false(before[0].chain.present);
	assert_int_equal(cert_demo_ca(dir, &created, err, sizeof(err)), 0);
	cert_bulk_demo_ensure(dir, hosts, NHOSTS, 3, rcs, errs);
	for (int i = 0; i < NHOSTS; i++) {
		struct cert_info info;
		if (i == 4) {
			assert_int_equal(rcs[i], LS_EPARSE);
			assert_non_null(strstr(errs[i], "not a lower-case host name"));
			continue;
		}
		assert_int_equal(rcs[i], 0);
		assert_int_equal(cert_info_get(dir, hosts[i], &info), 0);
		assert_int_equal(info.error, 0);       /* usable: names the host, key matches */
		assert_int_equal(cert_stamp_get(dir, hosts[i], &before[i]), 0);
	}
	/* Again: every certificate is kept. */
	cert_bulk_demo_ensure(dir, hosts, NHOSTS, 1, rcs, errs);
	for (int i = 0; i < NHOSTS; i++) {
		if (i == 4)
			continue;
		assert_int_equal(rcs[i], 0);
		assert_int_equal(cert_stamp_get(dir, hosts[i], &after), 0);
		assert_true(cert_stamp_equal(&before[i], &after));
	}
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_hosts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
