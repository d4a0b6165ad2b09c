/* Alerts: an event to the log and to the configured hooks (webhooks, a command). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "shared/util/clock.h"
#include "shared/util/alert.h"
#include "shared/util/alert_webhook.h"
#include "shared/util/err.h"
#include "shared/util/log.h"

extern char **environ;

static const char *const level_names[] = { "info", "warn", "error" };
static const char *const state_names[] = { "open", "resolved", "once" };

const char *alert_level_name(enum alert_level l)
{
	return (unsigned)l <= ALERT_ERROR ? level_names[l] : "error";
}

const char *alert_state_name(enum alert_state s)
{
	return (unsigned)s <= ALERT_ONCE ? state_names[s] : "once";
}

static int lookup(const char *const *names, int n, const char *text)
{
	for (int i = 0; text && i < n; i++)
		if (strcmp(names[i], text) == 0)
			return i;
	return -1;
}

int alert_level_parse(const char *text, enum alert_level *out)
{
	int i = lookup(level_names, 3, text);
	if (i < 0)
		return LS_EPARSE;
	*out = (enum alert_level)i;
	return 0;
}

int alert_state_parse(const char *text, enum alert_state *out)
{
	int i = lookup(state_names, 3, text);
	if (i < 0)
		return LS_EPARSE;
	*out = (enum alert_state)i;
	return 0;
}

static json_t *text_or_null(const char *s)
{
	return *s ? json_string(s) : json_null();
}

json_t *alert_json(const struct alert_event *e)
{
	char when[32];
	time_t t = (time_t)e->time;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s}", "domain", e->domain,
	                      "code", e->code, "level", alert_level_name(e->level),
	                      "state", alert_state_name(e->state), "before", text_or_null(e->before),
	                      "after", text_or_null(e->after), "time", when);
	if (j && *e->detail)
		json_object_set_new(j, "detail", json_string(e->detail));
	if (j && *e->writer)
		json_object_set_new(j, "writer", json_string(e->writer));
	return j;
}

static int copy(char *dst, size_t cap, const json_t *v, bool required)
{
	if (v == NULL || json_is_null(v)) {
		*dst = 0;
		return required ? LS_EPARSE : 0;
	}
	if (!json_is_string(v) || json_string_length(v) >= cap)
		return LS_EPARSE;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

int alert_from_json(const json_t *j, struct alert_event *e)
{
	memset(e, 0, sizeof(*e));
	if (!json_is_object(j))
		return LS_EPARSE;
	char level[16], state[16], when[32];
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	if (copy(e->domain, sizeof(e->domain), json_object_get(j, "domain"), true) ||
	    copy(e->code, sizeof(e->code), json_object_get(j, "code"), true) ||
	    copy(level, sizeof(level), json_object_get(j, "level"), true) ||
	    copy(state, sizeof(state), json_object_get(j, "state"), true) ||
	    copy(e->before, sizeof(e->before), json_object_get(j, "before"), false) ||
	    copy(e->after, sizeof(e->after), json_object_get(j, "after"), false) ||
	    copy(e->detail, sizeof(e->detail), json_object_get(j, "detail"), false) ||
	    copy(e->writer, sizeof(e->writer), json_object_get(j, "writer"), false) ||
	    copy(when, sizeof(when), json_object_get(j, "time"), true) ||
	    alert_level_parse(level, &e->level) || alert_state_parse(state, &e->state))
		return LS_EPARSE;
	const char *end = strptime(when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end)
		return LS_EPARSE;
	e->time = (int64_t)timegm(&tm);
	return 0;
}

bool alert_hooks_any(const struct alert_hooks *h)
{
	return (h->webhooks && h->webhooks[strspn(h->webhooks, " \t")]) ||
	       (h->command && *h->command);
}

/* Calls fn for each URL of a space separated list; stops at fn's first non-zero. */
static int each_url(const char *list, int (*fn)(const char *url, void *ctx), void *ctx)
{
	char url[ALERT_URL_MAX];
	const char *p = list ? list : "";
	int n = 0;
	while (*(p += strspn(p, " \t"))) {
		size_t len = strcspn(p, " \t");
		if (len >= sizeof(url) || ++n > ALERT_HOOKS_MAX)
			return LS_ETOOBIG;
		memcpy(url, p, len);
		url[len] = 0;
		p += len;
		int rc = fn(url, ctx);
		if (rc)
			return rc;
	}
	return 0;
}

static int check_url(const char *url, void *ctx)
{
	(void)ctx;
	return alert_webhook_valid(url) ? 0 : LS_EPARSE;
}

int alert_hooks_check(const struct alert_hooks *h, char *err, size_t errlen)
{
	int rc = each_url(h->webhooks, check_url, NULL);
	if (rc == LS_ETOOBIG) {
		snprintf(err, errlen, "webhook: at most %d URLs of at most %d bytes", ALERT_HOOKS_MAX,
		         ALERT_URL_MAX - 1);
		return rc;
	}
	if (rc) {
		snprintf(err, errlen, "webhook: a URL is not http[s]://HOST[:PORT][/PATH]");
		return rc;
	}
	if (h->command && *h->command && *h->command != '/') {
		snprintf(err, errlen, "command: %s is not an absolute path", h->command);
		return LS_EPARSE;
	}
	return 0;
}

static void log_event(const struct alert_event *e)
{
	static const enum log_level levels[] = { LOG_LEVEL_INFO, LOG_LEVEL_WARNING, LOG_LEVEL_ERROR };
	log_msg(levels[(unsigned)e->level <= ALERT_ERROR ? e->level : ALERT_ERROR],
	        "alert: %s: %s %s%s%s%s%s%s%s%s%s%s", e->domain, e->code, alert_state_name(e->state),
	        *e->before ? " before=" : "", e->before, *e->after ? " after=" : "", e->after,
	        *e->writer ? " by " : "", e->writer, *e->detail ? " (" : "", e->detail,
	        *e->detail ? ")" : "");
}

struct post {
	const struct alert_hooks *h;
	const struct alert_event *e;
	const char *json;
	size_t len;
	int first;
};

static int post_one(const char *url, void *ctx)
{
	struct post *p = ctx;
	char err[256];
	int rc = alert_webhook_post(url, p->json, p->len, p->h->ca, (int)p->h->timeout_s * 1000,
	                            err, sizeof(err));
	if (rc) {
		log_warning("alert: %s: %s: webhook %s failed: %s", p->e->domain, p->e->code, url, err);
		if (p->first == 0)
			p->first = rc;
	}
	return 0;
}

int alert_send(const struct alert_hooks *h, const struct alert_event *e)
{
	log_event(e);
	return alert_deliver(h, e);
}

int alert_deliver(const struct alert_hooks *h, const struct alert_event *e)
{
	if (!alert_hooks_any(h))
		return 0;
	json_t *j = alert_json(e);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (text == NULL)
		return -ENOMEM;
	struct post p = { h, e, text, strlen(text), 0 };
	unsigned timeout = h->timeout_s ? h->timeout_s : ALERT_TIMEOUT_DEFAULT;
	struct alert_hooks hh = *h;
	hh.timeout_s = timeout;
	p.h = &hh;
	each_url(h->webhooks, post_one, &p);
	if (h->command && *h->command) {
		char err[256];
		int rc = alert_command(h->command, text, p.len, timeout, err, sizeof(err));
		if (rc) {
			log_warning("alert: %s: %s: command %s failed: %s", e->domain, e->code,
			            h->command, err);
			if (p.first == 0)
				p.first = rc;
		}
	}
	free(text);
	return p.first;
}

/* Writes all of json to fd (non-blocking) before deadline; a program that stops reading
 * early (it need not read everything) is not an error. */
static void feed(int fd, const char *json, size_t len, int64_t deadline)
{
	size_t off = 0;
	while (off < len) {
		int wait = (int)(deadline - clock_mono_ms());
		struct pollfd pfd = { fd, POLLOUT, 0 };
		if (wait <= 0 || poll(&pfd, 1, wait) <= 0)
			return;
		ssize_t n = write(fd, json + off, len - off);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return;
		if (n > 0)
			off += (size_t)n;
	}
}

int alert_command(const char *path, const char *json, size_t len, unsigned timeout_s,
                  char *err, size_t errlen)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -errno;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	char *argv[] = { (char *)path, NULL };
	pid_t pid;
	int rc = posix_spawn(&pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[0]);
	if (rc != 0) {
		close(fds[1]);
		snprintf(err, errlen, "cannot run it: %s", strerror(rc));
		return -rc;
	}
	int64_t deadline = clock_mono_ms() + (int64_t)timeout_s * 1000;
	fcntl(fds[1], F_SETFL, O_NONBLOCK);
	/* A program that exits without reading must not kill us with SIGPIPE: MSG_NOSIGNAL
	 * does not exist for pipes, so the signal is blocked in this thread meanwhile. */
	sigset_t pipe_set, old;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	feed(fds[1], json, len, deadline);
	close(fds[1]);
	struct timespec zero = { 0, 0 };
	while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
		;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	int status;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			snprintf(err, errlen, "waitpid: %s", strerror(errno));
			return -errno;
		}
		if (clock_mono_ms() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			snprintf(err, errlen, "still running after %u s; killed", timeout_s);
			return -ETIMEDOUT;
		}
		struct timespec nap = { 0, 20 * 1000000 };
		nanosleep(&nap, NULL);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(err, errlen, "exit status %d", WEXITSTATUS(status));
	else
		snprintf(err, errlen, "killed by signal %d", WTERMSIG(status));
	return -ECHILD;
}
