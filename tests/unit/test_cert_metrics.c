/* Unit tests for shared/tls/cert_metrics.c: facts re-read only when files change, the limit. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "tests/unit/unit.h"
#include "shared/tls/cert.h"
#include "shared/tls/cert_metrics.h"

/* How many lines of page start with start. */
static int lines(const char *page, const char *start)
{
	int n = 0;
	size_t len = strlen(start);
	for (const char *p = page; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, start, len) == 0)
			n++;
	return n;
}

/* The value of the sample line that is exactly name (no labels), or -1. */
static double value(const char *page, const char *name)
{
	char key[256];
	snprintf(key, sizeof(key), "\n%s ", name);
	const char *p = strstr(page, key);
	return p ? strtod(p + strlen(key), NULL) : -1;
}

static void render(struct cert_metrics *cm, struct metrics_buf *b, int64_t now)
{
	metrics_buf_free(b);
	*b = (struct metrics_buf){ 0 };
	assert_int_equal(cert_metrics_write(cm, b, "t", now), 0);
	assert_non_null(b->p);
}

/* Refreshes; checks how many hosts were parsed in all, then the three counts on the page. */
static void refresh_expect(struct cert_metrics *cm, struct metrics_buf *b, int64_t now,
                           uint64_t reads, int usable, int unusable, int omitted)
{
	assert_int_equal(cert_metrics_refresh(cm, now), 0);
	assert_int_equal(cm->reads, reads);
	render(cm, b, now);
	assert_int_equal(value(b->p, "t_certificates"), usable);
	assert_int_equal(value(b->p, "t_certificates_unusable"), unusable);
	assert_int_equal(value(b->p, "t_certificate_names_omitted"), omitted);
}

static void test_cache_and_limit(void **state)
{
	(void)state;
	char *dir = temp_dir(), err[512], path[4096];
	bool created;
	struct cert_metrics cm;
	struct metrics_buf b = { 0 };
	const char *hosts[] = { "a.example", "b.example", "c.example" };
	int64_t now = (int64_t)time(NULL);
	assert_int_equal(cert_demo_ca(dir, &created, err, sizeof(err)), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(cert_issue(dir, hosts[i], err, sizeof(err)), 0);
	assert_int_equal(cert_metrics_init(&cm, dir, 2), 0);

	/* Before any refresh: nothing read, no certificate series, no zeros that look real. */
	render(&cm, &b, now);
	assert_int_equal(value(b.p, "t_certificates_refresh_time_seconds"), 0);
	assert_int_equal(lines(b.p, "t_certificates "), 0);

	refresh_expect(&cm, &b, now, 3, 3, 0, 1);
	assert_int_equal(lines(b.p, "t_certificate_expiry_seconds{"), 2);
	assert_int_equal(lines(b.p, "t_certificate_expiry_seconds{name=\"a.example\"}"), 1);
	assert_int_equal(lines(b.p, "t_certificate_expiry_seconds{name=\"c.example\"}"), 0);
	assert_int_equal(value(b.p, "t_certificates_expiring"), 0);
	assert_int_equal(value(b.p, "t_certificates_expired"), 0);
	assert_true(value(b.p, "t_certificate_expiry_earliest_seconds") > (double)now + 80 * 86400);

	/* Nothing changed: nothing parsed again. */
	refresh_expect(&cm, &b, now, 3, 3, 0, 1);

	/* One pair replaced, one chain damaged, one host added: those three read, the rest not. */
	assert_int_equal(cert_issue(dir, "b.example", err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/certs/c.example/fullchain.pem", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("not a certificate\n", f);
	fclose(f);
	assert_int_equal(cert_issue(dir, "d.example", err, sizeof(err)), 0);
	refresh_expect(&cm, &b, now, 6, 3, 1, 1);

	/* Seen from 80 days on, every one is within 14 days; from 100 days on, expired. */
	render(&cm, &b, now + 80 * 86400);
	assert_int_equal(value(b.p, "t_certificates_expiring"), 3);
	render(&cm, &b, now + 100 * 86400);
	assert_int_equal(value(b.p, "t_certificates_expired"), 3);
	assert_int_equal(value(b.p, "t_certificates_expiring"), 0);

	/* The limit at 0: aggregates only. */
	cm.max_names = 0;
	render(&cm, &b, now);
	assert_int_equal(lines(b.p, "t_certificate_expiry_seconds{"), 0);
	assert_int_equal(value(b.p, "t_certificate_names_omitted"), 3);

	metrics_buf_free(&b);
	cert_metrics_free(&cm);
	rm_tree(dir);
}

/* The thread refreshes at once and stops promptly when freed. */
static void test_thread(void **state)
{
	(void)state;
	char *dir = temp_dir(), err[512];
	bool created;
	struct cert_metrics cm;
	struct metrics_buf b = { 0 };
	assert_int_equal(cert_demo_ca(dir, &created, err, sizeof(err)), 0);
	assert_int_equal(cert_issue(dir, "a.example", err, sizeof(err)), 0);
	assert_int_equal(cert_metrics_start(&cm, dir, 10), 0);
	for (int i = 0; i < 1000; i++) {
		render(&cm, &b, (int64_t)time(NULL));
		if (value(b.p, "t_certificates") == 1)
			break;
		usleep(10000);
	}
	assert_int_equal(value(b.p, "t_certificates"), 1);
	time_t t0 = time(NULL);
	cert_metrics_free(&cm);
	assert_true(time(NULL) - t0 < CERT_METRICS_TTL);
	metrics_buf_free(&b);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cache_and_limit),
		cmocka_unit_test(test_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
