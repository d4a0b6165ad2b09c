/* shared/util/log.c: component prefix, level filter, the line's form on each kind of stderr,
 * log files and their reopening, syslog, per-site rate limits. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include "unit.h"
#include "shared/util/log.h"

struct capture {
	char lines[8][LOG_LINE_MAX + 1];
	enum log_level level[8];
	int n;
};

static void sink(enum log_level level, const char *line, void *arg)
{
	struct capture *c = arg;
	if (c->n < 8) {
		snprintf(c->lines[c->n], sizeof(c->lines[0]), "%s", line);
		c->level[c->n] = level;
	}
	c->n++;
}

static int setup(void **state)
{
	static struct capture c;
	memset(&c, 0, sizeof(c));
	log_set_component("testd");
	log_set_level(LOG_LEVEL_INFO);
	log_set_sink(sink, &c);
	*state = &c;
	return 0;
}

/* The same without the sink: lines go where log_configure() sends them. */
static int setup_out(void **state)
{
	setup(state);
	log_set_sink(NULL, NULL);
	return 0;
}

static int teardown(void **state)
{
	log_set_sink(NULL, NULL);
	log_reset();
	(void)state;
	return 0;
}

static void test_component_and_levels(void **state)
{
	struct capture *c = *state;
	log_error("cannot open %s: %s", "x", "gone");
	log_notice("ready");
	log_info("query: %d", 7);
	log_debug("not shown at the default level");
	assert_int_equal(c->n, 3);
	assert_string_equal(c->lines[0], "testd: cannot open x: gone");
	assert_int_equal(c->level[0], LOG_LEVEL_ERROR);
	assert_string_equal(c->lines[1], "testd: ready");
	assert_int_equal(c->level[1], LOG_LEVEL_NOTICE);
	assert_string_equal(c->lines[2], "testd: query: 7");
	assert_int_equal(c->level[2], LOG_LEVEL_INFO);
}

static void test_filter(void **state)
{
	struct capture *c = *state;
	log_set_level(LOG_LEVEL_WARNING);
	assert_true(log_enabled(LOG_LEVEL_ERROR));
	assert_false(log_enabled(LOG_LEVEL_NOTICE));
	log_notice("dropped");
	log_info("dropped");
	log_warning("kept");
	assert_int_equal(c->n, 1);
	assert_string_equal(c->lines[0], "testd: kept");
	log_set_level(LOG_LEVEL_DEBUG);
	log_debug("now %s", "shown");
	assert_int_equal(c->n, 2);
	assert_string_equal(c->lines[1], "testd: now shown");
}

static void test_long_line_is_cut(void **state)
{
	struct capture *c = *state;
	char big[LOG_LINE_MAX * 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	log_error("%s", big);
	assert_int_equal(c->n, 1);
	assert_int_equal(strlen(c->lines[0]), LOG_LINE_MAX - 1);
	assert_memory_equal(c->lines[0], "testd: aaa", 10);
}

static void test_limit_pass(void **state)
{
	struct log_limit l = LOG_LIMIT_INIT(2, 1000);
	unsigned sup = 99;
	(void)state;
	assert_true(log_limit_pass(&l, 5000, &sup));
	assert_int_equal(sup, 0);
	assert_true(log_limit_pass(&l, 5100, &sup));
	assert_false(log_limit_pass(&l, 5200, &sup));
	assert_false(log_limit_pass(&l, 5999, &sup));
	/* A new interval: the next line out reports the two held back. */
	assert_true(log_limit_pass(&l, 6000, &sup));
	assert_int_equal(sup, 2);
	assert_true(log_limit_pass(&l, 6001, &sup));
	assert_int_equal(sup, 0);
	assert_false(log_limit_pass(&l, 6002, &sup));
	assert_true(log_limit_pass(&l, 60000, &sup));
	assert_int_equal(sup, 1);
}

static void test_limited_lines(void **state)
{
	struct capture *c = *state;
	/* A long interval: within the test everything after the burst is held back. */
	static struct log_limit l = LOG_LIMIT_INIT(1, 3600 * 1000);
	for (int i = 0; i < 4; i++)
		log_limited(&l, LOG_LEVEL_WARNING, "refused %d", i);
	assert_int_equal(c->n, 1);
	assert_string_equal(c->lines[0], "testd: refused 0");
	assert_int_equal(l.suppressed, 3);
	/* Filtered lines are not counted as suppressed: they were never wanted. */
	log_set_level(LOG_LEVEL_ERROR);
	log_limited(&l, LOG_LEVEL_WARNING, "filtered");
	assert_int_equal(l.suppressed, 3);
	/* The interval ends: the next line carries the count. */
	log_set_level(LOG_LEVEL_INFO);
	l.start_ms -= 3600 * 1000;
	log_limited(&l, LOG_LEVEL_WARNING, "refused %d", 4);
	assert_int_equal(c->n, 2);
	assert_string_equal(c->lines[1], "testd: refused 4 (3 similar lines suppressed)");
}

/* The default sink: one line with a newline on stderr. */
static void test_stderr(void **state)
{
	char path[] = "/tmp/lockstep-log.XXXXXX", buf[256] = "";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	(void)state;
	fflush(stderr);
	int saved = dup(2);
	assert_true(dup2(fd, 2) == 2);
	log_set_sink(NULL, NULL);
	log_warning("%s: transfer refused for %s", "example.com.", "127.0.0.1");
	log_debug("hidden");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	close(fd);
	unlink(path);
	buf[n] = '\0';
	assert_string_equal(buf, "testd: example.com.: transfer refused for 127.0.0.1\n");
}

/* ---- where lines go: log_configure() */

/* The whole of a file, NUL-terminated; malloc'ed. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	char *buf = calloc(1, 4 * LOG_LINE_MAX);
	assert_non_null(buf);
	size_t n = fread(buf, 1, 4 * LOG_LINE_MAX - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* Everything readable from fd now (a pipe or a terminal's master side), NUL-terminated. */
static void drain(int fd, char *buf, size_t size)
{
	size_t n = 0;
	int flags = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	for (;;) {
		ssize_t r = read(fd, buf + n, size - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	fcntl(fd, F_SETFL, flags);
	buf[n] = '\0';
}

/* stderr pointed at fd for a while, as a service manager or a shell would leave it. */
static int stderr_to(int fd)
{
	fflush(stderr);
	int saved = dup(2);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	return saved;
}

static void stderr_back(int saved)
{
	fflush(stderr);
	assert_int_equal(dup2(saved, 2), 2);
	close(saved);
}

/*
 * A line that starts with an RFC 3339 UTC time stamp of now, milliseconds and Z
 * ("2026-12-03T08:30:01.123Z "); returns what follows it.
 */
static const char *after_stamp(const char *line)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ ";
	for (size_t i = 0; i < sizeof(shape) - 1; i++) {
		if (shape[i] == 'd' ? line[i] < '0' || line[i] > '9' : line[i] != shape[i])
			fail_msg("no time stamp at the start of '%s' (byte %zu)", line, i);
	}
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	assert_non_null(strptime(line, "%Y-%m-%dT%H:%M:%S", &tm));
	time_t t = timegm(&tm), now = time(NULL);
	if (t < now - 5 || t > now + 1)
		fail_msg("time stamp '%.24s' is not now (UTC)", line);
	return line + sizeof(shape) - 1;
}

struct tmpfile {
	char *dir;
	char path[512];
};

static void tmpfile_make(struct tmpfile *t, const char *name)
{
	t->dir = temp_dir();
	snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, name);
}

/* A log file: time stamp, level, component, message; the level filter as configured. */
static void test_file(void **state)
{
	struct tmpfile t;
	char err[512];
	(void)state;
	tmpfile_make(&t, "d.log");
	/* Nothing goes to stderr once a file is configured. */
	snprintf(err, sizeof(err), "%s/stderr", t.dir);
	int efd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(efd >= 0);
	int saved = stderr_to(efd);
	struct log_opts o = { .level = LOG_LEVEL_WARNING, .file = t.path };
	int rc = log_configure(&o);
	log_error("cannot open %s", "x");
	log_notice("below warning");
	log_info("below warning");
	log_warning("%s: refused", "example.com.");
	stderr_back(saved);
	close(efd);
	assert_int_equal(rc, 0);
	assert_string_equal(log_file(), t.path);
	char *text = slurp(t.path), *second = strchr(text, '\n');
	assert_non_null(second);
	*second++ = '\0';
	assert_string_equal(after_stamp(text), "error testd: cannot open x");
	assert_string_equal(after_stamp(second), "warning testd: example.com.: refused\n");
	free(text);
	text = slurp(err);
	assert_string_equal(text, "");
	free(text);
	/* The level can change later (a reload); info lines come back. */
	log_set_level(LOG_LEVEL_INFO);
	log_info("query %d", 1);
	text = slurp(t.path);
	assert_non_null(strstr(text, "Z info testd: query 1\n"));
	free(text);
	log_reset();
	assert_null(log_file());
	rm_tree(t.dir);
}

/* A cut line keeps its prefix and its newline: the room before the line is enough. */
static void test_file_long_line(void **state)
{
	struct tmpfile t;
	char big[LOG_LINE_MAX * 2];
	(void)state;
	tmpfile_make(&t, "d.log");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	struct log_opts o = { .level = LOG_LEVEL_DEBUG, .file = t.path };
	assert_int_equal(log_configure(&o), 0);
	log_warning("%s", big);
	char *text = slurp(t.path);
	const char *rest = after_stamp(text);
	assert_memory_equal(rest, "warning testd: aaa", 18);
	assert_int_equal(strlen(rest), strlen("warning ") + LOG_LINE_MAX - 1 + 1);
	assert_int_equal(rest[strlen(rest) - 1], '\n');
	free(text);
	log_reset();
	rm_tree(t.dir);
}

/* A relative path is kept as an absolute one, so a reopen finds it after a chdir. */
static void test_file_relative(void **state)
{
	char cwd[512], want[512], old[512];
	char *dir = temp_dir();
	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	struct log_opts o = { .level = LOG_LEVEL_INFO, .file = "rel.log" };
	int rc = log_configure(&o);
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(rc, 0);
	snprintf(want, sizeof(want), "%s/rel.log", dir);
	snprintf(old, sizeof(old), "%s/old.log", dir);
	assert_string_equal(log_file(), want);
	assert_int_equal(rename(want, old), 0);
	assert_int_equal(log_reopen(), 0);
	assert_int_equal(access(want, F_OK), 0);
	assert_int_equal(chdir(cwd), 0);
	log_reset();
	rm_tree(dir);
}

/* A file that cannot be opened: -errno, and lines go on where they went. */
static void test_file_cannot_open(void **state)
{
	struct log_opts o = { .level = LOG_LEVEL_INFO, .file = "/nonexistent-dir/x/d.log" };
	(void)state;
	assert_int_equal(log_configure(&o), -ENOENT);
	assert_null(log_file());
	int p[2];
	assert_int_equal(pipe(p), 0);
	int saved = stderr_to(p[1]);
	log_notice("still here");
	stderr_back(saved);
	close(p[1]);
	char buf[256];
	drain(p[0], buf, sizeof(buf));
	close(p[0]);
	assert_string_equal(buf, "testd: still here\n");     /* not configured: the plain form */
}

/* logrotate: the file renamed, SIGUSR1, a new file gets the next lines; a failed reopen keeps
 * the old one. */
static void test_reopen(void **state)
{
	struct tmpfile t;
	char old[600], moved[600], path[700];
	(void)state;
	assert_int_equal(log_reopen(), 0);          /* no file: nothing to do */
	tmpfile_make(&t, "d.log");
	struct log_opts o = { .level = LOG_LEVEL_INFO, .file = t.path };
	assert_int_equal(log_configure(&o), 0);
	log_notice("one");
	snprintf(old, sizeof(old), "%s.1", t.path);
	assert_int_equal(rename(t.path, old), 0);
	log_notice("two");                          /* still the renamed file, as logrotate wants */
	assert_int_equal(log_reopen(), 0);
	log_notice("three");
	char *a = slurp(old), *b = slurp(t.path);
	assert_non_null(strstr(a, "notice testd: one\n"));
	assert_non_null(strstr(a, "notice testd: two\n"));
	assert_null(strstr(a, "three"));
	assert_string_equal(after_stamp(b), "notice testd: three\n");
	free(a);
	free(b);
	/* The directory is gone: the reopen fails, lines keep going to the open file. */
	snprintf(moved, sizeof(moved), "%s.moved", t.dir);
	assert_int_equal(rename(t.dir, moved), 0);
	assert_int_equal(log_reopen(), -ENOENT);
	log_notice("four");
	snprintf(path, sizeof(path), "%s/d.log", moved);
	b = slurp(path);
	assert_non_null(strstr(b, "notice testd: four\n"));
	free(b);
	log_reset();
	rm_tree(strdup(moved));
	free(t.dir);
}

/* stderr is the journal when JOURNAL_STREAM names it: the level as <N>, no time stamp. */
static void test_journal(void **state)
{
	struct tmpfile t;
	struct stat st;
	char env[64];
	(void)state;
	tmpfile_make(&t, "journal");
	int fd = open(t.path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino);
	setenv("JOURNAL_STREAM", env, 1);
	int saved = stderr_to(fd);
	log_configure(NULL);
	log_warning("%s: refused", "example.com.");
	log_error("gone");
	log_debug("hidden");
	/* Another stream's numbers: stderr was redirected after systemd started us. */
	snprintf(env, sizeof(env), "%llu:%llu", (unsigned long long)st.st_dev,
	         (unsigned long long)st.st_ino + 1);
	setenv("JOURNAL_STREAM", env, 1);
	log_configure(NULL);
	log_notice("not the journal");
	stderr_back(saved);
	unsetenv("JOURNAL_STREAM");
	close(fd);
	char *text = slurp(t.path);
	static const char want[] = "<4>testd: example.com.: refused\n<3>testd: gone\n";
	assert_memory_equal(text, want, sizeof(want) - 1);
	assert_string_equal(after_stamp(text + sizeof(want) - 1), "notice testd: not the journal\n");
	free(text);
	rm_tree(t.dir);
}

/* A pipe (a supervisor that stamps lines itself, the system tests): level, no time stamp. */
static void test_pipe(void **state)
{
	int p[2];
	char buf[512];
	(void)state;
	setenv("JOURNAL_STREAM", "1:1", 1);         /* some other stream */
	assert_int_equal(pipe(p), 0);
	int saved = stderr_to(p[1]);
	log_configure(NULL);
	log_info("query %d", 7);
	log_notice("ready");
	stderr_back(saved);
	unsetenv("JOURNAL_STREAM");
	close(p[1]);
	drain(p[0], buf, sizeof(buf));
	close(p[0]);
	assert_string_equal(buf, "info testd: query 7\nnotice testd: ready\n");
}

/* A terminal: time stamps, as in a file. */
static void test_terminal(void **state)
{
	char buf[512];
	struct termios tio;
	(void)state;
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0) {
		if (m >= 0)
			close(m);
		skip();
	}
	int s = open(ptsname(m), O_RDWR | O_NOCTTY);
	assert_true(s >= 0);
	assert_int_equal(tcgetattr(s, &tio), 0);
	cfmakeraw(&tio);                            /* no \r added to the newline */
	assert_int_equal(tcsetattr(s, TCSANOW, &tio), 0);
	assert_true(isatty(s));
	int saved = stderr_to(s);
	log_configure(NULL);
	log_error("cannot bind %s", "127.0.0.1:53");
	stderr_back(saved);
	usleep(10000);
	drain(m, buf, sizeof(buf));
	close(s);
	close(m);
	assert_string_equal(after_stamp(buf), "error testd: cannot bind 127.0.0.1:53\n");
}

/*
 * syslog: facility daemon, the component as ident, the message without it; and the file as
 * well when both are configured. glibc writes to /dev/log, so the child puts a socket there in
 * a mount namespace of its own; where that is not allowed (a CI container) the test skips.
 */
#define SKIP_STATUS 77

static int syslog_child(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	char buf[1024], line[1024];
	if (unshare(CLONE_NEWNS) != 0 || mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("none", "/dev", "tmpfs", 0, "mode=0755") != 0)
		return SKIP_STATUS;
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);
	strcpy(a.sun_path, "/dev/log");
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) != 0)
		return 1;
	char dir[] = "/tmp/lockstep-log.XXXXXX";
	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(line, sizeof(line), "%s/d.log", dir);
	struct log_opts o = { .level = LOG_LEVEL_INFO, .file = line, .syslog = true };
	if (log_configure(&o) != 0)
		return 3;
	log_warning("%s: refused", "example.com.");
	log_debug("hidden");
	ssize_t n = recv(s, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	if (n <= 0)
		return 4;
	buf[n] = '\0';
	/* "<28>Dec  3 08:30:01 testd[PID]: example.com.: refused": daemon (3) * 8 + warning (4) */
	char want[64];
	snprintf(want, sizeof(want), "testd[%d]: example.com.: refused", (int)getpid());
	if (strncmp(buf, "<28>", 4) != 0 || strstr(buf, want) == NULL) {
		fprintf(stderr, "syslog got '%s'\n", buf);
		return 5;
	}
	if (recv(s, buf, sizeof(buf) - 1, MSG_DONTWAIT) > 0)
		return 6;                               /* the debug line was filtered */
	log_reset();
	char *text = slurp(line);
	int rc = strstr(text, "Z warning testd: example.com.: refused\n") ? 0 : 7;
	free(text);
	unlink(line);
	rmdir(dir);
	return rc;
}

static void test_syslog(void **state)
{
	int status;
	(void)state;
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(syslog_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == SKIP_STATUS)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_level_names(void **state)
{
	(void)state;
	assert_string_equal(log_level_name(LOG_LEVEL_ERROR), "error");
	assert_string_equal(log_level_name(LOG_LEVEL_WARNING), "warning");
	assert_string_equal(log_level_name(LOG_LEVEL_NOTICE), "notice");
	assert_string_equal(log_level_name(LOG_LEVEL_INFO), "info");
	assert_string_equal(log_level_name(LOG_LEVEL_DEBUG), "debug");
	assert_string_equal(log_level_name((enum log_level)0), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_component_and_levels, setup, teardown),
		cmocka_unit_test_setup_teardown(test_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line_is_cut, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limit_pass, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limited_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stderr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file, setup_out, teardown),
		cmocka_unit_test_setup_teardown(test_file_long_line, setup_out, teardown),
		cmocka_unit_test_setup_teardown(test_file_relative, setup_out, teardown),
		cmocka_unit_test_setup_teardown(test_file_cannot_open, setup_out, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup_out, teardown),
		cmocka_unit_test_setup_teardown(test_journal, setup_out, teardown),
		cmocka_unit_test_setup_teardown(test_pipe, setup_out, teardown),
		cmocka_unit_test_setup_teardown(test_terminal, setup_out, teardown),
		cmocka_unit_test_setup_teardown(test_syslog, setup_out, teardown),
		cmocka_unit_test_setup_teardown(test_level_names, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
