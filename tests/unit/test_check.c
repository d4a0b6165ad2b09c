/* Unit tests for the check library's pure parts: mx patterns, the policy, TXT records,
 * --connect-to rules, the code table, the JSON shape; and a DNS wait the cancel flag ends. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>
#include "shared/util/clock.h"
#include "tests/unit/unit.h"
#include "shared/check/check.h"
#include "shared/check/check_connect.h"
#include "shared/check/check_dns.h"
#include "shared/tls/tls_conn.h"
#include "shared/check/check_policy.h"

static void test_match(void **state)
{
	assert_true(check_policy_match("mx1.example.com", "mx1.example.com"));
	assert_true(check_policy_match("MX1.Example.COM.", "mx1.example.com"));
	assert_true(check_policy_match("mx1.example.com", "mx1.example.com."));
	assert_true(check_policy_match("*.example.com", "mx1.example.com"));
	/* The wildcard is one whole label, never more, never none. */
	assert_false(check_policy_match("*.example.com", "a.b.example.com"));
	assert_false(check_policy_match("*.example.com", "example.com"));
	assert_false(check_policy_match("*.example.com", ".example.com"));
	assert_false(check_policy_match("mx1.example.com", "mx2.example.com"));
	assert_false(check_policy_match("mx1.example.com", "xmx1.example.com"));
	assert_false(check_policy_match("*.example.com", "mx1.example.co"));
	assert_false(check_policy_match("", "mx1.example.com"));
	(void)state;
}

static void test_policy(void **state)
{
	struct check_policy p;
	char err[256];
	const char good[] = "version: STSv1\r\nmode: enforce\r\nmx: mx1.example.com\r\n"
	                    "mx: *.example.net\r\nmax_age: 604800\r\nextension: ignored\r\n";
	assert_int_equal(check_policy_parse(good, sizeof(good) - 1, &p, err, sizeof(err)), 0);
	assert_string_equal(p.mode, "enforce");
	assert_int_equal(p.max_age, 604800);
	assert_int_equal(p.n_patterns, 2);
	assert_string_equal(p.patterns[1], "*.example.net");
	/* LF alone and spaces around values are read as senders read them. */
	const char lf[] = "version:STSv1\nmode:  none \nmax_age: 0\n";
	assert_int_equal(check_policy_parse(lf, sizeof(lf) - 1, &p, err, sizeof(err)), 0);
	assert_string_equal(p.mode, "none");
	static const struct { const char *text, *why; } bad[] = {
		{ "mode: enforce\r\nmx: a.b\r\nmax_age: 1\r\n", "no version" },
		{ "version: STSv2\r\nmode: enforce\r\nmx: a.b\r\nmax_age: 1\r\n", "not STSv1" },
		{ "version: STSv1\r\nmode: on\r\nmx: a.b\r\nmax_age: 1\r\n", "not enforce" },
		{ "version: STSv1\r\nmode: enforce\r\nmx: a.b\r\n", "no max_age" },
		{ "version: STSv1\r\nmode: enforce\r\nmax_age: 1\r\n", "no mx" },
		{ "version: STSv1\r\nmode: enforce\r\nmx: a.b\r\nmax_age: -5\r\n", "not a number" },
		{ "version: STSv1\r\nmode: enforce\r\nmx: a.b\r\nmax_age: 99999999999\r\n", "not a number" },
		{ "garbage\r\n", "key: value" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (check_policy_parse(bad[i].text, strlen(bad[i].text), &p, err, sizeof(err)) != -1)
			fail_msg("accepted: %s", bad[i].text);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("for %s: '%s' does not say '%s'", bad[i].text, err, bad[i].why);
	}
	/* A NUL inside a line is refused, not cut. */
	const char nul[] = "version: STSv1\r\nmode: enf\0orce\r\nmx: a.b\r\nmax_age: 1\r\n";
	assert_int_equal(check_policy_parse(nul, sizeof(nul) - 1, &p, err, sizeof(err)), -1);
	(void)state;
}

static void test_txt(void **state)
{
	char id[64], err[256], rua[CHECK_MAX_RUA][256];
	size_t n;
	assert_int_equal(check_policy_txt("v=STSv1; id=20240101000000;", id, sizeof(id), err,
	                                  sizeof(err)), 0);
	assert_string_equal(id, "20240101000000");
	assert_int_equal(check_policy_txt("v=STSv1;id=abc", id, sizeof(id), err, sizeof(err)), 0);
	assert_string_equal(id, "abc");
	assert_int_equal(check_policy_txt("v=STSv1; id=not-ok;", id, sizeof(id), err, sizeof(err)), -1);
	assert_int_equal(check_policy_txt("v=STSv1;", id, sizeof(id), err, sizeof(err)), -1);
	assert_int_equal(check_policy_txt("id=1; v=STSv1", id, sizeof(id), err, sizeof(err)), -1);
	assert_int_equal(check_policy_txt("v=STSv1; id=123456789012345678901234567890123", id,
	                                  sizeof(id), err, sizeof(err)), -1);
	assert_int_equal(check_policy_tlsrpt("v=TLSRPTv1; rua=mailto:a@b.example,https://r.example/x",
	                                     rua, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rua[0], "mailto:a@b.example");
	assert_string_equal(rua[1], "https://r.example/x");
	assert_int_equal(check_policy_tlsrpt("v=TLSRPTv1; rua=ftp://x", rua, &n, err, sizeof(err)), -1);
	assert_int_equal(check_policy_tlsrpt("v=TLSRPTv1;", rua, &n, err, sizeof(err)), -1);
	assert_int_equal(check_policy_tlsrpt("rua=mailto:a@b", rua, &n, err, sizeof(err)), -1);
	(void)state;
}

static void test_connect_to(void **state)
{
	const char *rules[] = { "mx.example.com:25:127.0.0.1:2525", ":443:[::1]:8443",
	                        ":25::2626" };
	char out[80], err[256];
	uint16_t port;
	assert_int_equal(check_connect_parse(rules, 3, err, sizeof(err)), 0);
	assert_true(check_connect_find(rules, 3, "MX.example.com", 25, out, sizeof(out), &port));
	assert_string_equal(out, "127.0.0.1:2525");
	assert_int_equal(port, 2525);
	assert_true(check_connect_find(rules, 3, "mta-sts.example.com", 443, out, sizeof(out), &port));
	assert_string_equal(out, "[::1]:8443");
	/* An empty address keeps the host's own addresses and changes only the port. */
	assert_true(check_connect_find(rules, 3, "other.example.com", 25, out, sizeof(out), &port));
	assert_string_equal(out, "");
	assert_int_equal(port, 2626);
	assert_false(check_connect_find(rules, 3, "x.example.com", 80, out, sizeof(out), &port));
	assert_int_equal(port, 80);
	const char *bad[] = { "nonsense", "a:25:1.2.3.4", "a:99999:1.2.3.4:25", "a:25:::1:25",
	                      "a:25:host.name:25", "a:25:1.2.3.4:0" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (check_connect_parse(&bad[i], 1, err, sizeof(err)) == 0)
			fail_msg("accepted: %s", bad[i]);
	(void)state;
}

static void test_codes(void **state)
{
	assert_int_equal(check_code_level("mx-not-covered"), CHECK_ERROR);
	assert_int_equal(check_code_level("sts-txt-cname"), CHECK_WARN);
	assert_int_equal(check_code_level("dane-present"), CHECK_INFO);
	assert_int_equal(check_code_level("no-such-code"), CHECK_ERROR);
	assert_false(check_code_known("no-such-code"));
	assert_int_equal(check_code_count(), 28);
	size_t warn = 0, info = 0;
	for (size_t i = 0; i < check_code_count(); i++) {
		const char *c = check_code_name(i);
		assert_true(check_code_known(c));
		assert_non_null(check_code_check(c));
		warn += check_code_level(c) == CHECK_WARN;
		info += check_code_level(c) == CHECK_INFO;
	}
	/* The (warn) and (info) marks; policy-max-age is an error with a warning side. */
	assert_int_equal(warn, 7);
	assert_int_equal(info, 1);
	assert_null(check_code_name(check_code_count()));
	(void)state;
}

static void test_json(void **state)
{
	struct check_result r;
	memset(&r, 0, sizeof(r));
	snprintf(r.domain, sizeof(r.domain), "example.com");
	check_result_ran(&r, "smtp");
	check_result_ran(&r, "smtp");
	check_result_add(&r, "dane-present", "mx.example.com", "", "TLSA %d", 1);
	json_t *j = check_result_json(&r);
	/* Info alone leaves the domain ok. */
	assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
	assert_int_equal(json_array_size(json_object_get(j, "checked")), 1);
	json_t *p = json_array_get(json_object_get(j, "problems"), 0);
	assert_string_equal(json_string_value(json_object_get(p, "level")), "info");
	assert_string_equal(json_string_value(json_object_get(p, "message")), "TLSA 1");
	assert_true(json_is_null(json_object_get(p, "fix")));
	json_decref(j);
	check_result_add_level(&r, CHECK_WARN, "policy-max-age", "mta-sts.example.com", "fix it",
	                       "short");
	for (int i = 0; i < CHECK_MAX_PROBLEMS + 5; i++)
		check_result_add(&r, "mx-not-covered", "mx", "", "n %d", i);
	assert_int_equal(r.n_problems, CHECK_MAX_PROBLEMS);
	assert_int_equal(r.status, CHECK_ERROR);
	assert_true(check_result_has(&r, "policy-max-age", "mta-sts.example.com"));
	assert_false(check_result_has(&r, "policy-max-age", "other"));
	j = check_result_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "error");
	p = json_array_get(json_object_get(j, "problems"), 1);
	assert_string_equal(json_string_value(json_object_get(p, "level")), "warn");
	assert_string_equal(json_string_value(json_object_get(p, "fix")), "fix it");
	json_decref(j);
	check_result_free(&r);
	(void)state;
}

static atomic_bool stop_flag;

static void *set_later(void *arg)
{
	usleep(300 * 1000);
	atomic_store(&stop_flag, true);
	(void)arg;
	return NULL;
}

/* A resolver that never answers and a 30 s deadline: the flag, set after 0.3 s, ends the
 * query within a slice or two, and a later query does not ask at all. */
static void test_dns_cancel(void **state)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	char resolver[64], err[256], txt[2][CHECK_DNS_TXT_MAX];
	snprintf(resolver, sizeof(resolver), "127.0.0.1:%u", ntohs(sa.sin_port));
	struct check_dns *d = NULL;
	int64_t t0 = clock_mono_ms();
	assert_int_equal(check_dns_open(&d, resolver, t0 + 30000, err, sizeof(err)), 0);
	atomic_init(&stop_flag, false);
	check_dns_set_cancel(d, &stop_flag);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, set_later, NULL), 0);
	size_t n = 0;
	bool cname;
	assert_true(check_dns_txt(d, "_mta-sts.example.com", txt, 2, &n, &cname, err,
	                          sizeof(err)) < 0);
	int64_t took = clock_mono_ms() - t0;
	pthread_join(th, NULL);
	assert_true(took >= 250 && took < 5000);
	assert_true(check_dns_cancelled(d));
	assert_non_null(strstr(err, "stopped"));
	t0 = clock_mono_ms();
	assert_true(check_dns_txt(d, "example.com", txt, 2, &n, &cname, err, sizeof(err)) < 0);
	assert_true(clock_mono_ms() - t0 < 100);
	check_dns_close(d);
	close(fd);
	(void)state;
}

/* A TCP (SMTP, HTTPS) wait on a peer that sends nothing ends as timed out once the flag is
 * set, long before its deadline; without a flag it waits the deadline out. */
static void test_conn_cancel(void **state)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	struct tls_conn c = { sv[0], clock_mono_ms() + 30000, &stop_flag };
	atomic_init(&stop_flag, false);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, set_later, NULL), 0);
	int64_t t0 = clock_mono_ms();
	assert_int_equal(tls_conn_wait(&c, POLLIN), 0);
	int64_t took = clock_mono_ms() - t0;
	pthread_join(th, NULL);
	assert_true(took >= 250 && took < 5000);
	struct tls_conn plain = { sv[0], clock_mono_ms() + 300, NULL };
	t0 = clock_mono_ms();
	assert_int_equal(tls_conn_wait(&plain, POLLIN), 0);
	assert_true(clock_mono_ms() - t0 >= 250);
	assert_int_equal(write(sv[1], "x", 1), 1);      /* data waiting: ready at once */
	c.deadline = clock_mono_ms() + 30000;
	atomic_store(&stop_flag, false);
	assert_int_equal(tls_conn_wait(&c, POLLIN), 1);
	close(sv[0]);
	close(sv[1]);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_txt),
		cmocka_unit_test(test_connect_to),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_dns_cancel),
		cmocka_unit_test(test_conn_cancel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
