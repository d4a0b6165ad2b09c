/* Unit tests for httpsd/certs.c: the cache's hits, re-checks after changes, refusals, bound. */
#include <sys/stat.h>
#include <time.h>
#include "tests/unit/unit.h"
#include "httpsd/certs.h"
#include "shared/tls/cert.h"

#define A "mta-sts.a.example"
#define B "mta-sts.b.example"

/* Waits out the cache's re-check interval. */
static void restat_pause(void)
{
	struct timespec ts = { 0, (CERTS_RESTAT_MS + 100) * 1000000L };
	while (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	nanosleep(&ts, NULL);
}

static void sh(const char *fmt, const char *dir)
{
	char cmd[8192];
	snprintf(cmd, sizeof(cmd), fmt, dir, dir);
	assert_int_equal(system(cmd), 0);
}

static void test_cache(void **state)
{
	(void)state;
	char *dir = temp_dir(), err[512];
	bool created;
	struct certs *c;
	assert_int_equal(cert_demo_ca(dir, &created, err, sizeof(err)), 0);
	assert_int_equal(cert_issue(dir, A, err, sizeof(err)), 0);
	assert_int_equal(cert_issue(dir, B, err, sizeof(err)), 0);
	assert_int_equal(certs_open(&c, dir, 2), 0);

	struct certs_pair *a1 = certs_get(c, A), *a2 = certs_get(c, A);
	assert_non_null(a1);
	assert_ptr_equal(a1, a2);               /* a hit, not a second parse */
	certs_release(c, a2);
	assert_null(certs_get(c, "mta-sts.none.example"));
	assert_int_equal(certs_count(c), 2);

	/* Replaced on disk: the next look after the interval loads the new pair; the old one stays
	 * valid for whoever holds it. */
	assert_int_equal(cert_issue(dir, A, err, sizeof(err)), 0);
	restat_pause();
	struct certs_pair *a3 = certs_get(c, A);
	assert_non_null(a3);
	assert_ptr_not_equal(a3, a1);
	assert_int_not_equal(a1->chain.serial.len == a3->chain.serial.len &&
	                     memcmp(a1->chain.serial.p, a3->chain.serial.p, a1->chain.serial.len) == 0, 1);
	assert_true(a1->chain.raw.len > 0);
	certs_release(c, a1);

	/* A key that does not match (half of a replacement): the old pair stays in use. */
	sh("cp '%s/certs/" B "/privkey.pem' '%s/certs/" A "/privkey.pem'", dir);
	restat_pause();
	struct certs_pair *a4 = certs_get(c, A);
	assert_ptr_equal(a4, a3);
	certs_release(c, a4);
	certs_release(c, a3);

	/* A key others may read: dropped at once. */
	assert_int_equal(cert_issue(dir, A, err, sizeof(err)), 0);
	sh("chmod 0644 '%s/certs/" A "/privkey.pem' #%s", dir);
	restat_pause();
	assert_null(certs_get(c, A));

	/* Bounded: a third host pushes out the least recently used. */
	struct certs_pair *b = certs_get(c, B);
	assert_non_null(b);
	certs_release(c, b);
	assert_null(certs_get(c, "mta-sts.c.example"));
	assert_int_equal(certs_count(c), 2);
	certs_close(c);
	rm_tree(dir);
}

/* The counters /metrics shows: a hit, a miss (one read of the files), an eviction, a reload. */
static void test_stats(void **state)
{
	(void)state;
	char *dir = temp_dir(), err[512];
	bool created;
	struct certs *c;
	struct certs_stats st;
	assert_int_equal(cert_demo_ca(dir, &created, err, sizeof(err)), 0);
	assert_int_equal(cert_issue(dir, A, err, sizeof(err)), 0);
	assert_int_equal(cert_issue(dir, B, err, sizeof(err)), 0);
	assert_int_equal(certs_open(&c, dir, 1), 0);

	const char *const order[] = { A, A, B, A, A };
	for (size_t i = 0; i < 5; i++) {
		struct certs_pair *p = certs_get(c, order[i]);
		assert_non_null(p);
		certs_release(c, p);
	}
	certs_stats_get(c, &st);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.misses, 3);
	assert_int_equal(st.evictions, 2);
	assert_int_equal(st.reloads, 0);
	assert_int_equal(st.cached, 1);
	assert_int_equal(st.max, 1);
	/* A's third miss read the same files as its first: the key check ran for A and B only. */
	assert_int_equal(st.key_checks, 2);

	assert_int_equal(cert_issue(dir, A, err, sizeof(err)), 0);
	restat_pause();
	struct certs_pair *p = certs_get(c, A);
	assert_non_null(p);
	certs_release(c, p);
	certs_stats_get(c, &st);
	assert_int_equal(st.reloads, 1);
	assert_int_equal(st.misses, 3);
	assert_int_equal(st.key_checks, 3);      /* new files: checked again */
	certs_close(c);
	rm_tree(dir);
}

/* Evicted, then its key replaced by one of another certificate: the next load checks the
 * pair again (new files), refuses it, and serves nothing for that name. */
static void test_evicted_then_changed_is_checked(void **state)
{
	(void)state;
	char *dir = temp_dir(), err[512];
	bool created;
	struct certs *c;
	struct certs_stats st;
	assert_int_equal(cert_demo_ca(dir, &created, err, sizeof(err)), 0);
	assert_int_equal(cert_issue(dir, A, err, sizeof(err)), 0);
	assert_int_equal(cert_issue(dir, B, err, sizeof(err)), 0);
	assert_int_equal(certs_open(&c, dir, 1), 0);
	struct certs_pair *p = certs_get(c, A);
	assert_non_null(p);
	certs_release(c, p);
	p = certs_get(c, B);                     /* A evicted */
	assert_non_null(p);
	certs_release(c, p);
	sh("cp '%s/certs/" B "/privkey.pem' '%s/certs/" A "/privkey.pem'", dir);
	assert_null(certs_get(c, A));
	certs_stats_get(c, &st);
	assert_int_equal(st.key_checks, 3);
	assert_int_equal(st.evictions, 2);
	certs_close(c);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache),
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_evicted_then_changed_is_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
