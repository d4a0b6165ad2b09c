/* shared/util/daemon.c: the command line, listen addresses and their text, client addresses, worker
 * counts, binding, the state directory's lock, the user to run as, and the privilege drop (in a
 * child process). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "unit.h"
#include "shared/util/daemon.h"
#include "shared/util/log.h"
#include "shared/util/privs.h"

#define USAGE "usage: prog [-c FILE]\n"

static char *conf_path;

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


/* Limits of the configuration's list: more than DAEMON_MAX_LISTEN, or longer than it reads. */
static void test_listen_limits(void **state)
{
	struct daemon_args a = { .workers = -1 };
	struct daemon_addr out[DAEMON_MAX_LISTEN];
	char err[LOG_LINE_MAX] = "", list[2048] = "";
	size_t n;
	(void)state;
	log_set_component("testd");
	log_set_sink(quiet, err);
	for (int i = 0; i <= DAEMON_MAX_LISTEN; i++)
		strcat(list, "127.0.0.1:53 ");
	assert_int_equal(daemon_listen(&a, list, "listen", "f", out, &n), -1);
	assert_non_null(strstr(err, "f: listen: more than 16 listen addresses"));
	list[strlen(list) - strlen("127.0.0.1:53 ")] = 0;
	assert_int_equal(daemon_listen(&a, list, "listen", "f", out, &n), 0);
	assert_int_equal(n, DAEMON_MAX_LISTEN);
	/* Cut, "127.0.0.1:5353" at the end of a long list became an address with another port. */
	memset(list, ' ', 1010);
	strcpy(list + 1010, "127.0.0.1:5353");
	int rc = daemon_listen(&a, list, "listen", "f", out, &n);
	if (rc == 0 && (n != 1 || strcmp(out[0].text, "127.0.0.1:5353") != 0))
		fail_msg("a long list read as %zu addresses, the first '%s'", n, out[0].text);
	if (rc != 0)
		assert_non_null(strstr(err, "f: listen: "));
	static const char *const bad[] = { "127.0.0.1", "::1", "[::1]", "localhost:53", ":53",
	                                   "127.0.0.1:99999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(daemon_listen(&a, bad[i], "listen", "f", out, &n), -1);
		assert_non_null(strstr(err, "bad listen address"));
	}
	log_set_sink(NULL, NULL);
}

/* Runs daemon_start on the NULL-terminated words (after "-c CONF", an empty configuration)
 * with stdout and stderr caught in out. */
static int parse(struct daemon_args *a, const char *const *words, char *out, size_t len)
{
	char *argv[2 * DAEMON_MAX_LISTEN + 8];
	int argc = 0;
	argv[argc++] = "prog";
	argv[argc++] = "-c";
	argv[argc++] = conf_path;
	while (*words) {
		assert_true(argc + 1 < (int)(sizeof(argv) / sizeof(argv[0])));
		argv[argc++] = (char *)*words++;
	}
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	FILE *tmp = tmpfile();
	int o = dup(1), e = dup(2);
	dup2(fileno(tmp), 1);
	dup2(fileno(tmp), 2);
	struct config cfg;
	memset(&cfg, 0, sizeof(cfg));
	int rc = daemon_start(a, &cfg, argc, argv, "prog", "1.2.3", USAGE);
	if (rc == DAEMON_RUN)
		config_free(&cfg);
	log_reset();        /* daemon_start configured the log for stderr as it was here */
	fflush(stdout);
	fflush(stderr);
	dup2(o, 1);
	dup2(e, 2);
	close(o);
	close(e);
	rewind(tmp);
	size_t n = fread(out, 1, len - 1, tmp);
	out[n] = 0;
	fclose(tmp);
	return rc;
}

static void test_args(void **state)
{
	char conf[] = "/tmp/lockstep-unit-conf.XXXXXX";
	int cfd = mkstemp(conf);
	assert_true(cfd >= 0);
	close(cfd);
	conf_path = conf;
	struct daemon_args a;
	char out[512];
	const char *const none[] = { NULL };
	assert_int_equal(parse(&a, none, out, sizeof(out)), DAEMON_RUN);
	assert_string_equal(a.config_path, conf_path);
	assert_null(a.state);
	assert_int_equal(a.nlisten, 0);
	assert_int_equal(a.workers, -1);
	assert_false(a.check);
	assert_string_equal(out, "");

	const char *const all[] = { "-c", "/etc/l.conf", "--state", "/var/lib/l", "--listen",
	                            "127.0.0.1:53", "--listen", "[::1]:53", "--workers", "4", "-n",
	                            "--config", conf_path, NULL };
	assert_int_equal(parse(&a, all, out, sizeof(out)), DAEMON_RUN);
	assert_string_equal(a.config_path, conf_path);    /* the last one counts */
	assert_string_equal(a.state, "/var/lib/l");
	assert_int_equal(a.nlisten, 2);
	assert_string_equal(a.listen[1], "[::1]:53");
	assert_int_equal(a.workers, 4);
	assert_true(a.check);

	const char *const help[] = { "-n", "--help", "--bogus", NULL };
	assert_int_equal(parse(&a, help, out, sizeof(out)), 0);
	assert_string_equal(out, USAGE);
	const char *const version[] = { "--version", NULL };
	assert_int_equal(parse(&a, version, out, sizeof(out)), 0);
	assert_string_equal(out, "prog 1.2.3\n");

	static const char *const bad[][3] = { { "--bogus" }, { "-c" }, { "--state" }, { "--listen" },
	                                      { "--workers" }, { "-n", "x" }, { "-x" },
	                                      { "--json" } };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(&a, bad[i], out, sizeof(out)), 2);
		char want[128];
		snprintf(want, sizeof(want), "prog: bad argument '%s'\n" USAGE,
		         bad[i][1] ? bad[i][1] : bad[i][0]);
		assert_string_equal(out, want);
	}
	/* --workers takes a count: anything else is a bad argument, not 0 (one per core). */
	static const char *const workers[] = { "abc", "4x", "", "-1", "99999999999999999999" };
	for (size_t i = 0; i < sizeof(workers) / sizeof(workers[0]); i++) {
		const char *words[] = { "--workers", workers[i], NULL };
		char want[128];
		snprintf(want, sizeof(want), "prog: bad argument '%s'\n" USAGE, workers[i]);
		if (parse(&a, words, out, sizeof(out)) != 2 || strcmp(out, want) != 0)
			fail_msg("--workers '%s' accepted as %ld", workers[i], a.workers);
	}
	/* getopt_long's forms: -cFILE, --config=FILE, a long option shortened, any order. */
	char attached[300];
	snprintf(attached, sizeof(attached), "-c%s", conf_path);
	const char *const forms[] = { "--wor=2", attached, "--list", "127.0.0.1:53", NULL };
	assert_int_equal(parse(&a, forms, out, sizeof(out)), DAEMON_RUN);
	assert_int_equal(a.workers, 2);
	assert_string_equal(a.config_path, conf_path);
	assert_int_equal(a.nlisten, 1);
	const char *const zero[] = { "--workers", "0", NULL };
	assert_int_equal(parse(&a, zero, out, sizeof(out)), DAEMON_RUN);
	assert_int_equal(a.workers, 0);
	/* Listen addresses beyond the limit are refused, not dropped. */
	const char *many[2 * DAEMON_MAX_LISTEN + 4];
	size_t n = 0;
	for (int i = 0; i <= DAEMON_MAX_LISTEN; i++) {
		many[n++] = "--listen";
		many[n++] = "127.0.0.1:53";
	}
	many[n] = NULL;
	assert_int_equal(parse(&a, many, out, sizeof(out)), 2);
	many[n - 2] = NULL;
	assert_int_equal(parse(&a, many, out, sizeof(out)), DAEMON_RUN);
	assert_int_equal(a.nlisten, DAEMON_MAX_LISTEN);
	/* A configuration that does not load is exit status 1. */
	conf_path = "/nonexistent/lockstep.conf";
	assert_int_equal(parse(&a, none, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "prog: configuration /nonexistent/lockstep.conf: "));
	unlink(conf);
	(void)state;
}

static uint16_t port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
	                                      : ((struct sockaddr_in *)&ss)->sin_port);
}

/* One listen address from text, through daemon_listen. */
static int addr_of(const char *text, struct daemon_addr *d)
{
	struct daemon_args a = { .workers = -1 };
	size_t n;
	return daemon_listen(&a, text, "listen", NULL, d, &n);
}

static void test_bind(void **state)
{
	struct daemon_addr d;
	char text[64];
	assert_int_equal(addr_of("127.0.0.1:0", &d), 0);
	int tcp = daemon_bind(&d, SOCK_STREAM);
	assert_true(tcp >= 0);
	assert_true(fcntl(tcp, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(tcp, F_GETFD) & FD_CLOEXEC);
	uint16_t port = port_of(tcp);
	assert_true(port > 0);
	/* Each worker binds the same address: SO_REUSEPORT. */
	snprintf(text, sizeof(text), "127.0.0.1:%u", port);
	assert_int_equal(addr_of(text, &d), 0);
	int tcp2 = daemon_bind(&d, SOCK_STREAM);
	assert_true(tcp2 >= 0);
	assert_int_equal(port_of(tcp2), port);
	int udp = daemon_bind(&d, SOCK_DGRAM);
	assert_true(udp >= 0);
	assert_int_equal(port_of(udp), port);
	close(tcp);
	close(tcp2);
	close(udp);
	/* IPv6 sockets are IPv6 only. */
	assert_int_equal(addr_of("[::1]:0", &d), 0);
	int v6 = daemon_bind(&d, SOCK_DGRAM);
	if (v6 >= 0) {
		int on = 0;
		socklen_t len = sizeof(on);
		assert_int_equal(getsockopt(v6, IPPROTO_IPV6, IPV6_V6ONLY, &on, &len), 0);
		assert_int_equal(on, 1);
		close(v6);
	}
	/* An address this host does not have. */
	assert_int_equal(addr_of("192.0.2.1:53", &d), 0);
	assert_int_equal(daemon_bind(&d, SOCK_DGRAM), -EADDRNOTAVAIL);
	(void)state;
}

/* No user to become: the same user, but no new privileges either. */
static int stay(void)
{
	char err[256];
	uid_t uid = getuid();
	if (daemon_drop_privileges(NULL, err, sizeof(err)) != 0 || getuid() != uid)
		return 1;
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 2;
}

/* The child drops for good: it is nobody, cannot come back, and gains nothing by exec. */
static int to_nobody(void)
{
	char err[256];
	uid_t uid = getpwnam("nobody")->pw_uid;
	if (daemon_drop_privileges("nobody", err, sizeof(err)) != 0)
		return 1;
	if (getuid() != uid || geteuid() != uid || setuid(0) == 0)
		return 2;
	return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 3;
}

static void test_drop_privileges(void **state)
{
	char err[256] = "";
	assert_int_equal(daemon_drop_privileges("no-such-user-lockstep", err, sizeof(err)), -1);
	assert_string_equal(err, "no such user 'no-such-user-lockstep'");
	assert_int_equal(unit_in_child(stay), 0);
	if (getuid() != 0 || getpwnam("nobody") == NULL)
		return;      /* the drop itself needs root and a user to become */
	assert_int_equal(unit_in_child(to_nobody), 0);
	assert_int_equal(getuid(), 0);     /* the test itself is untouched */
	(void)state;
}

static void test_user(void **state)
{
	char line[LOG_LINE_MAX] = "";
	const char *user = "x";
	(void)state;
	log_set_component("testd");
	log_set_sink(quiet, line);
	assert_int_equal(daemon_user("no-such-user-lockstep", "testd.user", &user), -1);
	assert_string_equal(line, "testd: testd.user: no such user 'no-such-user-lockstep'");
	if (geteuid() == 0) {
		/* Root stays root when told so, and only then. */
		assert_int_equal(daemon_user("root", "testd.user", &user), 0);
		assert_null(user);
		line[0] = '\0';
		int rc = daemon_user("", "testd.user", &user);
		if (getpwnam(PRIVS_DEFAULT_USER) == NULL) {
			assert_int_equal(rc, -1);
			assert_non_null(strstr(line, "started as root, and testd.user is not set"));
		} else {
			assert_int_equal(rc, 0);
			assert_string_equal(user, PRIVS_DEFAULT_USER);
		}
	} else {
		assert_int_equal(daemon_user("", "testd.user", &user), 0);
		assert_null(user);
	}
	log_set_sink(NULL, NULL);
}

/* The state directory's lock: made with the directory, refused the second time with the PID. */
static void test_lock(void **state)
{
	char line[LOG_LINE_MAX] = "", *dir = temp_dir(), state_dir[256], want[LOG_LINE_MAX];
	struct stat st;
	(void)state;
	log_set_component("testd");
	log_set_sink(quiet, line);
	snprintf(state_dir, sizeof(state_dir), "%s/state", dir);
	int fd = daemon_lock(state_dir, "testd", NULL);
	assert_true(fd >= 0);
	assert_int_equal(stat(state_dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(daemon_lock(state_dir, "testd", NULL), -1);
	snprintf(want, sizeof(want), "testd: testd already runs on %s as PID %ld (it holds "
	         "%s/testd.lock); not starting another", state_dir, (long)getpid(), state_dir);
	assert_string_equal(line, want);
	/* Another program has a lock of its own. */
	int other = daemon_lock(state_dir, "otherd", NULL);
	assert_true(other >= 0);
	close(other);
	close(fd);
	fd = daemon_lock(state_dir, "testd", NULL);
	assert_true(fd >= 0);
	close(fd);
	snprintf(state_dir, sizeof(state_dir), "%s/no/state", dir);
	assert_int_equal(daemon_lock(state_dir, "testd", NULL), -1);
	assert_non_null(strstr(line, "cannot create the state directory"));
	log_set_sink(NULL, NULL);
	rm_tree(dir);
}

/* A port another socket listens on, SO_REUSEPORT or not, is not this daemon's alone. */
static void test_bind_alone(void **state)
{
	struct daemon_addr d;
	char text[64];
	(void)state;
	assert_int_equal(addr_of("127.0.0.1:0", &d), 0);
	assert_int_equal(daemon_bind_alone(&d), 0);
	int tcp = daemon_bind(&d, SOCK_STREAM);
	assert_true(tcp >= 0);
	snprintf(text, sizeof(text), "127.0.0.1:%u", port_of(tcp));
	assert_int_equal(addr_of(text, &d), 0);
	assert_int_equal(listen(tcp, 8), 0);
	assert_int_equal(daemon_bind_alone(&d), -EADDRINUSE);
	/* A daemon's own workers still share it (daemon_bind), after the check. */
	int tcp2 = daemon_bind(&d, SOCK_STREAM);
	assert_true(tcp2 >= 0);
	close(tcp2);
	close(tcp);
	assert_int_equal(daemon_bind_alone(&d), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_listen_limits),
		cmocka_unit_test(test_bind),
		cmocka_unit_test(test_drop_privileges),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_bind_alone),
		cmocka_unit_test(test_listen),
		cmocka_unit_test(test_peer_text),
		cmocka_unit_test(test_workers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
