/* Unit tests for file.c's bounded read of a descriptor (file_read_fd). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/util/file.h"

struct feed {
	int fd;
	size_t n;
};

/* Writes n bytes ('a' + i % 26) into the pipe and closes it: more than a pipe holds at once. */
static void *feed(void *arg)
{
	struct feed *f = arg;
	char buf[4096];
	for (size_t off = 0; off < f->n;) {
		size_t k = f->n - off < sizeof(buf) ? f->n - off : sizeof(buf);
		for (size_t i = 0; i < k; i++)
			buf[i] = (char)('a' + (off + i) % 26);
		if (file_write_all(f->fd, buf, k) != 0)
			break;   /* the reader stopped at its limit */
		off += k;
	}
	close(f->fd);
	return NULL;
}

/* file_read_fd() of a pipe that carries n bytes, at most max. */
static int read_pipe(size_t n, size_t max, char **buf, size_t *len)
{
	int p[2];
	pthread_t t;
	assert_int_equal(pipe(p), 0);
	struct feed f = { p[1], n };
	assert_int_equal(pthread_create(&t, NULL, feed, &f), 0);
	int rc = file_read_fd(p[0], max, buf, len);
	close(p[0]);              /* a writer past the limit gets EPIPE and ends */
	assert_int_equal(pthread_join(t, NULL), 0);
	return rc;
}

static void test_read_fd(void **state)
{
	char *buf;
	size_t len;
	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(read_pipe(0, 10, &buf, &len), 0);
	assert_int_equal(len, 0);
	assert_int_equal(buf[0], 0);
	free(buf);
	/* Exactly the limit, across many reads and growths, NUL-terminated. */
	assert_int_equal(read_pipe(300000, 300000, &buf, &len), 0);
	assert_int_equal(len, 300000);
	assert_int_equal(buf[299999], 'a' + 299999 % 26);
	assert_int_equal(buf[300000], 0);
	free(buf);
	/* One byte more, and far more: refused, reading stops. */
	assert_int_equal(read_pipe(300001, 300000, &buf, &len), LS_ETOOBIG);
	assert_int_equal(read_pipe(5u << 20, 1000, &buf, &len), LS_ETOOBIG);
	assert_int_equal(read_pipe(3, 0, &buf, &len), LS_ETOOBIG);
	assert_int_equal(file_read_fd(-1, 10, &buf, &len), -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_fd),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
