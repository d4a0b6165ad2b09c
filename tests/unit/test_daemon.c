/* shared/daemon.c: listen addresses, their text for log lines, client addresses, worker counts. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include "unit.h"
#include "shared/daemon.h"
#include "shared/log.h"

static void quiet(enum log_level level, const char *line, void *arg)
{
	(void)level;
	snprintf(arg, LOG_LINE_MAX, "%s", line);
}

static void test_listen(void **state)
{
	struct daemon_args a = { .workers = -1 };
	struct daemon_addr out[DAEMON_MAX_LISTEN];
	char err[LOG_LINE_MAX] = "", text[DAEMON_ADDRS_TEXT_MAX];
	size_t n;
	(void)state;
	log_set_component("testd");
	log_set_sink(quiet, err);
	assert_int_equal(daemon_listen(&a, "127.0.0.1:53 [::1]:5300", "dnsd.listen", NULL, out, &n),
	                 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].ss.ss_family, AF_INET);
	assert_int_equal(out[1].ss.ss_family, AF_INET6);
	assert_string_equal(daemon_addrs_text(out, n, text, sizeof(text)), "127.0.0.1:53, [::1]:5300");
	/* --listen replaces the configuration's list. */
	a.listen[a.nlisten++] = "127.0.0.2:8443";
	assert_int_equal(daemon_listen(&a, "127.0.0.1:53", "dnsd.listen", NULL, out, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(out[0].text, "127.0.0.2:8443");
	a.listen[0] = "localhost";
	assert_int_equal(daemon_listen(&a, NULL, "dnsd.listen", NULL, out, &n), -1);
	assert_non_null(strstr(err, "bad --listen 'localhost'"));
	a.nlisten = 0;
	assert_int_equal(daemon_listen(&a, "", "httpsd.listen", "x.conf", out, &n), -1);
	assert_string_equal(err, "testd: x.conf: httpsd.listen: no listen address");
	log_set_sink(NULL, NULL);
}

static void test_peer_text(void **state)
{
	struct sockaddr_in v4 = { .sin_family = AF_INET };
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 };
	struct sockaddr un = { .sa_family = AF_UNIX };
	char buf[DAEMON_PEER_TEXT_MAX];
	(void)state;
	inet_pton(AF_INET, "192.0.2.7", &v4.sin_addr);
	inet_pton(AF_INET6, "2001:db8::1", &v6.sin6_addr);
	assert_string_equal(daemon_peer_text((struct sockaddr *)&v4, buf), "192.0.2.7");
	assert_string_equal(daemon_peer_text((struct sockaddr *)&v6, buf), "2001:db8::1");
	assert_string_equal(daemon_peer_text(&un, buf), "?");
}

static void test_workers(void **state)
{
	struct daemon_args a = { .workers = -1 };
	char line[LOG_LINE_MAX] = "";
	(void)state;
	log_set_sink(quiet, line);
	assert_int_equal(daemon_workers(&a, 3, 64), 3);
	assert_true(daemon_workers(&a, 0, 64) >= 1);      /* one per core */
	a.workers = 2;
	assert_int_equal(daemon_workers(&a, 3, 64), 2);
	a.workers = 65;
	assert_int_equal(daemon_workers(&a, 3, 64), -1);
	assert_non_null(strstr(line, "workers must be 1 to 64"));
	log_set_sink(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_peer_text),
		cmocka_unit_test(test_workers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
