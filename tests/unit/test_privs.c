/* shared/util/privs.c: the policy (who a daemon runs as) and the drop, in child processes. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include "unit.h"
#include "shared/util/privs.h"

static void test_choose(void **state)
{
	const char *user = "x";
	(void)state;
	/* Root: stays root only when root is written. */
	assert_int_equal(privs_choose(0, "root", true, &user), PRIVS_KEEP);
	assert_null(user);
	assert_int_equal(privs_choose(0, "root", false, &user), PRIVS_KEEP);
	assert_int_equal(privs_choose(0, "nobody", true, &user), PRIVS_SWITCH);
	assert_string_equal(user, "nobody");
	assert_int_equal(privs_choose(0, "", true, &user), PRIVS_SWITCH);
	assert_string_equal(user, PRIVS_DEFAULT_USER);
	assert_int_equal(privs_choose(0, NULL, true, &user), PRIVS_SWITCH);
	assert_string_equal(user, "lockstep");
	assert_int_equal(privs_choose(0, "", false, &user), PRIVS_REFUSE);
	assert_null(user);
	assert_int_equal(privs_choose(0, NULL, false, &user), PRIVS_REFUSE);
	/* Anyone else: goes on as itself, unless a user is written (the drop checks it). */
	assert_int_equal(privs_choose(1000, "", true, &user), PRIVS_KEEP);
	assert_null(user);
	assert_int_equal(privs_choose(1000, NULL, false, &user), PRIVS_KEEP);
	assert_int_equal(privs_choose(1000, "lockstep", false, &user), PRIVS_SWITCH);
	assert_string_equal(user, "lockstep");
	assert_int_equal(privs_choose(1000, "root", true, &user), PRIVS_SWITCH);
	assert_string_equal(user, "root");
}

/* Field name's value in /proc/self/status as a number in base. */
static unsigned long long proc_status(const char *name, int base)
{
	char line[256];
	unsigned long long v = ~0ull;
	size_t n = strlen(name);
	FILE *f = fopen("/proc/self/status", "r");
	if (f == NULL)
		return v;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, n) == 0 && line[n] == ':')
			v = strtoull(line + n + 1, NULL, base);
	fclose(f);
	return v;
}

/* Binds some free TCP port from 600 to 699 on 127.0.0.1: true on success, false at EACCES. */
static bool bind_low_port(void)
{
	for (int port = 600; port < 700; port++) {
		struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
		                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return false;
		int rc = bind(fd, (struct sockaddr *)&in, sizeof(in));
		int e = errno;
		close(fd);
		if (rc == 0)
			return true;
		if (e != EADDRINUSE)
			return false;
	}
	return false;
}

static int drop_to_nobody(void)
{
	char err[256];
	const struct passwd *pw = getpwnam("nobody");
	uid_t uid = pw->pw_uid;
	if (privs_drop("nobody", err, sizeof(err)) != 0)
		return 1;
	if (getuid() != uid || geteuid() != uid || setuid(0) == 0)
		return 2;
	/* One capability left, so that a low port can still be bound, and no other. */
	if (proc_status("CapEff", 16) != 1ull << CAP_NET_BIND_SERVICE ||
	    proc_status("CapPrm", 16) != 1ull << CAP_NET_BIND_SERVICE)
		return 3;
	if (proc_status("CapInh", 16) != 0 || proc_status("CapAmb", 16) != 0)
		return 4;
	if (proc_status("CapBnd", 16) != 1ull << CAP_NET_BIND_SERVICE)
		return 5;
	if (privs_no_new_privs() != 0 || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 ||
	    proc_status("NoNewPrivs", 10) != 1)
		return 6;
	/* What the capability is for: a port below 1024, bound as nobody (a reload's new one). */
	if (!bind_low_port())
		return 8;
	/* Dropped for good: becoming another user fails with a reason. */
	if (privs_drop("root", err, sizeof(err)) == 0 || strstr(err, "only root") == NULL)
		return 7;
	return 0;
}

static int stay_self(void)
{
	char err[256];
	const struct passwd *pw = getpwuid(geteuid());
	return pw != NULL && privs_drop(pw->pw_name, err, sizeof(err)) == 0 ? 0 : 1;
}

static void test_drop(void **state)
{
	char err[256] = "";
	(void)state;
	assert_int_equal(privs_drop("no-such-user-lockstep", err, sizeof(err)), -1);
	assert_string_equal(err, "no such user 'no-such-user-lockstep'");
	/* The user it already is: nothing to do, whoever runs the test. */
	assert_int_equal(unit_in_child(stay_self), 0);
	if (geteuid() != 0 || getpwnam("nobody") == NULL)
		return;      /* the drop itself needs root and a user to become */
	assert_int_equal(unit_in_child(drop_to_nobody), 0);
	assert_int_equal(getuid(), 0);     /* the test itself is untouched */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_drop),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
