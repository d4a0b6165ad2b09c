/* Unit tests for tls_conn's connect by name: a name that resolves connects, and a lookup whose
 * resolver never answers ends at the deadline (or the cancel flag) instead of blocking. */
#include <arpa/nameser.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <resolv.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <netdb.h>
#include "shared/util/clock.h"
#include "tests/unit/unit.h"
#include "shared/util/err.h"
#include "shared/tls/tls_conn.h"

#define NEVER "never.lockstep.test."   /* a name only the black hole is asked about */

static int blackhole_port;   /* a UDP socket on 127.0.0.1 that reads nothing, answers nothing */

/* The lookup thread's resolver: the black hole only, 5 s a try, two tries, no search list, so
 * a plain getaddrinfo() of NEVER blocks for 10 s or more. */
static void blackhole_resolver(void)
{
	res_init();
	_res.nscount = 1;
	_res.nsaddr_list[0].sin_family = AF_INET;
	_res.nsaddr_list[0].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	_res.nsaddr_list[0].sin_port = htons((uint16_t)blackhole_port);
	_res.retrans = 5;
	_res.retry = 2;
	_res.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES);
	_res.options |= RES_NORELOAD;   /* keep these settings, whatever /etc/resolv.conf says */
}

/* A socket of type on 127.0.0.1, on a port the kernel picks; TCP ones listen. */
static int loopback_socket(int type, int *port)
{
	int fd = socket(AF_INET, type, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_true(type != SOCK_STREAM || listen(fd, 4) == 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A name from /etc/hosts resolves and connects; a port nobody listens on is refused. */
static void test_open_name(void **state)
{
	(void)state;
	char err[256], port[8];
	int p, fd = loopback_socket(SOCK_STREAM, &p);
	struct tls_conn c = { -1, clock_mono_ms() + 5000, NULL };
	snprintf(port, sizeof(port), "%d", p);
	assert_int_equal(tls_conn_open_name(&c, "localhost", port, err, sizeof(err)), 0);
	assert_true(c.fd >= 0);
	tls_conn_close(&c);
	close(fd);
	c = (struct tls_conn){ -1, clock_mono_ms() + 5000, NULL };
	assert_int_not_equal(tls_conn_open_name(&c, "localhost", port, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "connect"));
	tls_conn_close(&c);
}

/* The old lookup (plain getaddrinfo() on the caller's thread) under the black hole. */
struct raw {
	atomic_bool done;
};

static void *raw_lookup(void *arg)
{
	struct raw *r = arg;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	blackhole_resolver();
	if (getaddrinfo(NEVER, "443", &hints, &res) == 0)
		freeaddrinfo(res);
	atomic_store(&r->done, true);
	return NULL;
}

/* A resolver that never answers: the lookup ends at the deadline with the reason, where
 * getaddrinfo() itself is still waiting long after. */
static void test_lookup_deadline(void **state)
{
	(void)state;
	char err[256];
	int hole = loopback_socket(SOCK_DGRAM, &blackhole_port);
	static struct raw raw;   /* the raw lookup outlives the test: its thread is detached */
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, raw_lookup, &raw), 0);
	pthread_detach(th);
	tls_conn_lookup_hook = blackhole_resolver;
	int64_t t0 = clock_mono_ms();
	struct tls_conn c = { -1, t0 + 300, NULL };
	int rc = tls_conn_open_name(&c, NEVER, "443", err, sizeof(err));
	int64_t took = clock_mono_ms() - t0;
	assert_int_equal(rc, -ETIMEDOUT);
	assert_int_equal(c.fd, -1);
	long n = -1;
	assert_int_equal(sscanf(err, "name lookup for " NEVER " timed out after %ld ms", &n), 1);
	assert_true(n >= 290 && n <= took);
	assert_true(took < 3000);   /* a loaded machine; the resolver alone takes 10 s */

	/* The black hole was asked (so the bound, not a quick failure, ended the lookup), and the
	 * old way, a plain getaddrinfo(), is still waiting a second later. */
	struct pollfd p = { hole, POLLIN, 0 };
	assert_int_equal(poll(&p, 1, 2000), 1);
	while (clock_mono_ms() - t0 < 1000)
		usleep(20000);
	assert_false(atomic_load(&raw.done));

	/* A cancel flag ends the lookup long before a far deadline. */
	atomic_bool cancel = true;
	t0 = clock_mono_ms();
	c = (struct tls_conn){ -1, t0 + 20000, &cancel };
	assert_int_equal(tls_conn_open_name(&c, NEVER, "443", err, sizeof(err)), -ETIMEDOUT);
	assert_true(clock_mono_ms() - t0 < 3000);
	assert_non_null(strstr(err, "name lookup for " NEVER " timed out"));
	tls_conn_lookup_hook = NULL;
	close(hole);   /* the lookups still waiting get refused, or time out: nobody waits on them */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_name),
		cmocka_unit_test(test_lookup_deadline),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
