/* Unit tests for the spool's import with a time bound (tlsrpt_import_spool_for): it stops
 * after the batch in which the time ran out and leaves the rest for the next call, which
 * takes them, each report counted once. */
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/rpt/tlsrpt_import.h"
#include "shared/rpt/tlsrpt_spool.h"

#define MIB (1u << 20)
#define REPORTS 200              /* four batches of TLSRPT_SPOOL_BATCH */
#define DETAILS 200              /* so that a batch takes well over a millisecond */

/* A report with its own report-id and DETAILS failure details, into the spool of dir. */
static void spool_one(const char *dir, int i)
{
	size_t cap = 1024 + DETAILS * 200, n;
	char *json = malloc(cap);
	assert_non_null(json);
	n = (size_t)snprintf(json, cap, "{\"organization-name\":\"o\",\"report-id\":\"r%d\","
	                     "\"date-range\":{\"start-datetime\":\"2026-12-01T00:00:00Z\"},"
	                     "\"policies\":[{\"policy\":{\"policy-type\":\"sts\",\"policy-domain\":"
	                     "\"example.com\"},\"summary\":{\"total-successful-session-count\":1,"
	                     "\"total-failure-session-count\":%d},\"failure-details\":[", i, DETAILS);
	for (int k = 0; k < DETAILS; k++)
		n += (size_t)snprintf(json + n, cap - n, "%s{\"result-type\":\"validation-failure\","
		                      "\"sending-mta-ip\":\"198.51.100.%d\",\"failed-session-count\":1}",
		                      k ? "," : "", k);
	n += (size_t)snprintf(json + n, cap - n, "]}]}");
	assert_int_equal(tlsrpt_spool_put(dir, "example.com", (uint8_t *)json, n), 0);
	free(json);
}

static void test_time_bound(void **state)
{
	struct unit_store *u = *state;
	struct tlsrpt_spool_result res;
	const char *dir = store_dir(u->st);
	for (int i = 0; i < REPORTS; i++)
		spool_one(dir, i);
	/* 1 ms: one batch, then stop. */
	assert_int_equal(tlsrpt_import_spool_for(u->st, dir, MIB, 32 * MIB, 1, &res), 0);
	assert_int_equal(res.imported, TLSRPT_SPOOL_BATCH);
	assert_true(tlsrpt_spool_pending(dir));
	size_t total = res.imported;
	/* No bound: the rest. */
	assert_int_equal(tlsrpt_import_spool_for(u->st, dir, MIB, 32 * MIB, 0, &res), 0);
	assert_int_equal(res.imported, REPORTS - total);
	assert_int_equal(res.duplicates + res.rejected, 0);
	assert_false(tlsrpt_spool_pending(dir));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_time_bound, unit_store_setup, unit_store_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
