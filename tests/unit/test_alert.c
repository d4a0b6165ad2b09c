/* Unit tests for alerts: the event's JSON both ways, hook syntax, the command and the webhook. */
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/socket.h>
#include "tests/unit/unit.h"
#include "shared/util/alert.h"
#include "shared/util/alert_webhook.h"
#include "shared/util/config.h"
#include "shared/util/diag.h"
#include "shared/util/err.h"

static struct alert_event sample(void)
{
	struct alert_event e;
	memset(&e, 0, sizeof(e));
	snprintf(e.domain, sizeof(e.domain), "example.org");
	snprintf(e.code, sizeof(e.code), "mode-rollback");
	e.level = ALERT_WARN;
	e.state = ALERT_ONCE;
	snprintf(e.before, sizeof(e.before), "enforce");
	snprintf(e.after, sizeof(e.after), "testing");
	e.time = 1764700000;
	return e;
}

static void test_json_round_trip(void **state)
{
	(void)state;
	struct alert_event e = sample(), back;
	json_t *j = alert_json(&e);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "once");
	assert_string_equal(json_string_value(json_object_get(j, "level")), "warn");
	assert_string_equal(json_string_value(json_object_get(j, "time")), "2025-12-02T18:26:40Z");
	assert_null(json_object_get(j, "writer"));
	assert_int_equal(alert_from_json(j, &back), 0);
	assert_memory_equal(&back, &e, sizeof(e));
	json_decref(j);
	e.before[0] = 0;   /* "" is null, and null reads back as "" */
	j = alert_json(&e);
	assert_true(json_is_null(json_object_get(j, "before")));
	assert_int_equal(alert_from_json(j, &back), 0);
	assert_string_equal(back.before, "");
	json_object_set_new(j, "level", json_string("fatal"));
	assert_int_equal(alert_from_json(j, &back), LS_EPARSE);
	json_decref(j);
}

static void test_hooks_check(void **state)
{
	(void)state;
	char err[128];
	struct alert_hooks h = { .webhooks = "http://127.0.0.1:8080/hook https://[::1]/x", .command = "/bin/true" };
	assert_int_equal(alert_hooks_check(&h, err, sizeof(err)), 0);
	assert_true(alert_hooks_any(&h));
	h.webhooks = "ftp://example.org/";
	assert_int_not_equal(alert_hooks_check(&h, err, sizeof(err)), 0);
	h.webhooks = "http://:80/";
	assert_int_not_equal(alert_hooks_check(&h, err, sizeof(err)), 0);
	h.webhooks = "http://example.org:99999/";
	assert_int_not_equal(alert_hooks_check(&h, err, sizeof(err)), 0);
	h.webhooks = "";
	h.command = "relative/path";
	assert_int_not_equal(alert_hooks_check(&h, err, sizeof(err)), 0);
	h.command = "";
	assert_false(alert_hooks_any(&h));
}

static void test_command_gets_stdin(void **state)
{
	(void)state;
	char *dir = temp_dir(), script[256], out[256], err[128];
	snprintf(script, sizeof(script), "%s/hook", dir);
	snprintf(out, sizeof(out), "%s/got", dir);
	FILE *f = fopen(script, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\ncat > '%s'\n", out);
	fclose(f);
	chmod(script, 0700);
	assert_int_equal(alert_command(script, "{\"a\":1}", 7, 5, err, sizeof(err)), 0);
	char got[32] = "";
	f = fopen(out, "r");
	assert_non_null(f);
	assert_non_null(fgets(got, sizeof(got), f));
	fclose(f);
	assert_string_equal(got, "{\"a\":1}");
	/* A failing program, a missing one and one that hangs are errors, within the time. */
	assert_int_not_equal(alert_command("/bin/false", "{}", 2, 5, err, sizeof(err)), 0);
	assert_int_not_equal(alert_command("/nonexistent/hook", "{}", 2, 5, err, sizeof(err)), 0);
	f = fopen(script, "w");
	fprintf(f, "#!/bin/sh\nexec sleep 30\n");
	fclose(f);
	time_t t0 = time(NULL);
	assert_int_equal(alert_command(script, "{}", 2, 1, err, sizeof(err)), -ETIMEDOUT);
	assert_true(time(NULL) - t0 < 10);
	rm_tree(dir);
}

struct server {
	int fd;
	char got[4096];
	const char *answer;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	int c = accept(s->fd, NULL, NULL);
	size_t have = 0;
	while (c >= 0 && have + 1 < sizeof(s->got)) {
		ssize_t n = recv(c, s->got + have, sizeof(s->got) - 1 - have, 0);
		if (n <= 0)
			break;
		have += (size_t)n;
		s->got[have] = 0;
		char *body = strstr(s->got, "\r\n\r\n");
		if (body && strlen(body + 4) >= 7)
			break;
	}
	if (c >= 0) {
		send(c, s->answer, strlen(s->answer), MSG_NOSIGNAL);
		close(c);
	}
	return NULL;
}

static int listener(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static int post(struct server *s, const char *answer, char *err, size_t errlen)
{
	int port;
	pthread_t th;
	char url[64];
	s->fd = listener(&port);
	s->answer = answer;
	s->got[0] = 0;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook?x=1", port);
	assert_int_equal(pthread_create(&th, NULL, serve, s), 0);
	int rc = alert_webhook_post(url, "{\"a\":1}", 7, NULL, 5000, err, errlen);
	pthread_join(th, NULL);
	close(s->fd);
	return rc;
}

static void test_webhook_post(void **state)
{
	(void)state;
	struct server s;
	char err[128];
	assert_int_equal(post(&s, "HTTP/1.1 204 No Content\r\n\r\n", err, sizeof(err)), 0);
	assert_non_null(strstr(s.got, "POST /hook?x=1 HTTP/1.1\r\n"));
	assert_non_null(strstr(s.got, "Content-Type: application/json\r\n"));
	assert_non_null(strstr(s.got, "Content-Length: 7\r\n"));
	assert_non_null(strstr(s.got, "\r\n\r\n{\"a\":1}"));
	assert_int_not_equal(post(&s, "HTTP/1.1 500 Oops\r\n\r\n", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "500"));
	assert_int_not_equal(post(&s, "garbage\r\n", err, sizeof(err)), 0);
	/* Nobody listening: refused, quickly. */
	int port, fd = listener(&port);
	close(fd);
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	assert_int_not_equal(alert_webhook_post(url, "{}", 2, NULL, 2000, err, sizeof(err)), 0);
	/* A name no resolver knows: an error within the time, whatever the resolver does. */
	time_t t0 = time(NULL);
	assert_int_not_equal(alert_webhook_post("http://hook.nonexistent.invalid/", "{}", 2, NULL,
	                                        2000, err, sizeof(err)), 0);
	assert_true(time(NULL) - t0 <= 4);
}

/* alerts: and watch: in lockstep.conf: bad values are file:line errors, good ones load. */
static void test_config_sections(void **state)
{
	(void)state;
	char *dir = temp_dir(), path[256];
	snprintf(path, sizeof(path), "%s/l.conf", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "alerts:\n  webhook: ftp://example.org/\n  command: relative\nwatch:\n  every: 0\n");
	fclose(f);
	struct config cfg;
	struct diag d;
	diag_init(&d);
	assert_int_equal(config_load(&cfg, path, &d), LS_ECONFIG);
	assert_int_equal(d.n, 3);
	assert_int_equal(d.v[0].line, 2);
	assert_non_null(strstr(d.v[0].text, "webhook"));
	config_free(&cfg);
	diag_free(&d);
	f = fopen(path, "w");
	fprintf(f, "alerts:\n  webhook: http://127.0.0.1:9/a https://hooks.example.net/x\n"
	        "  command: /usr/local/bin/mail-alert\nwatch:\n  every: 5\n  concurrency: 2\n");
	fclose(f);
	diag_init(&d);
	assert_int_equal(config_load(&cfg, path, &d), 0);
	assert_int_equal(cfg.watch_every, 5);
	assert_int_equal(cfg.watch_concurrency, 2);
	assert_string_equal(cfg.alerts_command, "/usr/local/bin/mail-alert");
	config_free(&cfg);
	diag_free(&d);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_hooks_check),
		cmocka_unit_test(test_command_gets_stdin),
		cmocka_unit_test(test_webhook_post),
		cmocka_unit_test(test_config_sections),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
