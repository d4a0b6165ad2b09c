/* shared/util/sdnotify.c: the datagram systemd reads, to a path and to an abstract name. */
#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "unit.h"
#include "shared/util/sdnotify.h"

/* A datagram socket bound to name (a path, or '@' for an abstract one), as systemd's is. */
static int listener(const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(name);
	assert_true(n < sizeof(sa.sun_path));
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0';
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa,
	                      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)), 0);
	struct timeval tv = { .tv_sec = 2 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static void expect(int fd, const char *want)
{
	char buf[SDNOTIFY_MAX + 16];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void test_path(void **state)
{
	char *dir = temp_dir(), path[256];
	(void)state;
	snprintf(path, sizeof(path), "%s/notify", dir);
	int fd = listener(path);
	assert_int_equal(setenv("NOTIFY_SOCKET", path, 1), 0);
	assert_int_equal(sdnotify("READY=1\nSTATUS=answering"), 0);
	expect(fd, "READY=1\nSTATUS=answering");
	assert_int_equal(sdnotifyf("STATUS=%d zones", 3), 0);
	expect(fd, "STATUS=3 zones");
	assert_int_equal(sdnotify("STOPPING=1"), 0);
	expect(fd, "STOPPING=1");
	close(fd);
	/* Nobody listens any more. */
	unlink(path);
	assert_int_equal(sdnotify("READY=1"), -ENOENT);
	unsetenv("NOTIFY_SOCKET");
	rm_tree(dir);
}

static void test_abstract(void **state)
{
	char name[64];
	(void)state;
	snprintf(name, sizeof(name), "@lockstep-unit-notify-%ld", (long)getpid());
	int fd = listener(name);
	assert_int_equal(setenv("NOTIFY_SOCKET", name, 1), 0);
	assert_int_equal(sdnotify("READY=1"), 0);
	expect(fd, "READY=1");
	close(fd);
	unsetenv("NOTIFY_SOCKET");
}

static void test_not_systemd(void **state)
{
	char big[SDNOTIFY_MAX + 8];
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sdnotify("READY=1"), 0);     /* not started by systemd: nothing to do */
	assert_int_equal(setenv("NOTIFY_SOCKET", "", 1), 0);
	assert_int_equal(sdnotify("READY=1"), 0);
	assert_int_equal(setenv("NOTIFY_SOCKET", "vsock:2:1234", 1), 0);
	assert_int_equal(sdnotify("READY=1"), -EAFNOSUPPORT);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(setenv("NOTIFY_SOCKET", "/nonexistent/notify", 1), 0);
	assert_int_equal(sdnotifyf("STATUS=%s", big), -EMSGSIZE);
	assert_int_equal(sdnotify(big), -EMSGSIZE);
	char longname[200];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[0] = '/';
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(setenv("NOTIFY_SOCKET", longname, 1), 0);
	assert_int_equal(sdnotify("READY=1"), -ENAMETOOLONG);
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_abstract),
		cmocka_unit_test(test_not_systemd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
