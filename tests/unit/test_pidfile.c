/* shared/util/pidfile.c: the lock file a second daemon finds taken, with the first one's PID. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "unit.h"
#include "shared/util/pidfile.h"

static long pid_in(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_non_null(strchr(buf, '\n'));
	return strtol(buf, NULL, 10);
}

static void test_lock(void **state)
{
	char *dir = temp_dir(), path[256];
	pid_t holder = -1;
	struct stat st;
	(void)state;
	snprintf(path, sizeof(path), "%s/dnsd.lock", dir);
	/* A stale PID from an earlier run is replaced. */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("99999999999\ngarbage", f);
	fclose(f);
	int fd = pidfile_lock(path, (uid_t)-1, (gid_t)-1, &holder);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(pid_in(path), getpid());
	/* Taken: the second try says so at once, with the holder's PID. */
	assert_int_equal(pidfile_lock(path, (uid_t)-1, (gid_t)-1, &holder), -EWOULDBLOCK);
	assert_int_equal(holder, getpid());
	/* Another process too (a lock is per open file, so this is what a second daemon sees). */
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pid_t h = 0;
		_exit(pidfile_lock(path, (uid_t)-1, (gid_t)-1, &h) == -EWOULDBLOCK && h == getppid()
		      ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Released with the descriptor (or the process); the file stays. */
	close(fd);
	fd = pidfile_lock(path, (uid_t)-1, (gid_t)-1, &holder);
	assert_true(fd >= 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	close(fd);
	/* No directory to put it in. */
	snprintf(path, sizeof(path), "%s/missing/dnsd.lock", dir);
	assert_int_equal(pidfile_lock(path, (uid_t)-1, (gid_t)-1, &holder), -ENOENT);
	rm_tree(dir);
}

static void test_write(void **state)
{
	char *dir = temp_dir(), path[256];
	struct stat st;
	(void)state;
	snprintf(path, sizeof(path), "%s/dnsd.pid", dir);
	assert_int_equal(pidfile_write(path), 0);
	assert_int_equal(pid_in(path), getpid());
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(pidfile_write(path), 0);    /* replaces an old one */
	assert_int_equal(pid_in(path), getpid());
	snprintf(path, sizeof(path), "%s/missing/dnsd.pid", dir);
	assert_int_equal(pidfile_write(path), -ENOENT);
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
