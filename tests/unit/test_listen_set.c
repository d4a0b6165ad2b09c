/* shared/util/listen_set.c: listen addresses added, kept and removed by SIGHUP, two workers. */
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "unit.h"
#include "shared/util/listen_set.h"
#include "shared/util/log.h"

#define WORKERS 2

struct worker {
	uv_loop_t loop;
	uv_udp_t udp[LISTEN_SET_SLOTS];
	uv_tcp_t tcp[LISTEN_SET_SLOTS];
	size_t starts, received;
	char buf[512];
};

struct fixture {
	struct listen_set ls;
	struct worker w[WORKERS];
	char log[8192];
	size_t loglen;
	uint16_t port[3];
	char list[3][64];
};

static void sink(enum log_level level, const char *line, void *arg)
{
	struct fixture *f = arg;
	(void)level;
	int n = snprintf(f->log + f->loglen, sizeof(f->log) - f->loglen, "%s\n", line);
	if (n > 0 && f->loglen + (size_t)n < sizeof(f->log))
		f->loglen += (size_t)n;
}

static void quiet(enum log_level level, const char *line, void *arg)
{
	(void)level;
	(void)line;
	(void)arg;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct worker *w = h->data;
	(void)suggested;
	*buf = uv_buf_init(w->buf, sizeof(w->buf));
}

static void on_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from,
                    unsigned flags)
{
	struct worker *w = h->data;
	(void)buf;
	(void)flags;
	if (n > 0 && from)
		w->received++;
}

static int start(void *arg, size_t slot, size_t kind, int fd, uv_handle_t **h)
{
	struct worker *w = arg;
	uv_udp_t *u = &w->udp[slot];
	(void)kind;
	w->starts++;
	assert_int_equal(uv_udp_init(&w->loop, u), 0);
	u->data = w;
	*h = (uv_handle_t *)u;
	int rc = uv_udp_open(u, fd);
	if (rc) {
		close(fd);
		return rc;
	}
	return uv_udp_recv_start(u, on_alloc, on_recv);
}

/* A port free on 127.0.0.1 for UDP right now. */
static uint16_t free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	return ntohs(a.sin_port);
}

static void run(struct fixture *f)
{
	/* Twice: the wake, then what it started or closed; and past the retry timer. */
	for (int round = 0; round < 4; round++) {
		for (size_t i = 0; i < WORKERS; i++)
			uv_run(&f->w[i].loop, UV_RUN_NOWAIT);
		usleep((LISTEN_SET_RETRY_MS + 1) * 1000);
	}
}

/* A datagram to 127.0.0.1:port from a connected socket; then what the socket says after the
 * loops ran: 0, or -ECONNREFUSED when nothing listens there. */
static int send_to(struct fixture *f, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(send(fd, "q", 1, 0), 1);
	run(f);
	char c;
	int rc = recv(fd, &c, 1, 0) < 0 && errno == ECONNREFUSED ? -ECONNREFUSED : 0;
	close(fd);
	return rc;
}

static size_t received(const struct fixture *f)
{
	size_t n = 0;
	for (size_t i = 0; i < WORKERS; i++)
		n += f->w[i].received;
	return n;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	static const int types[] = { SOCK_DGRAM };
	struct daemon_args none = { .workers = -1 };
	struct daemon_addr a[DAEMON_MAX_LISTEN];
	size_t n;
	char err[256];
	assert_non_null(f);
	log_set_sink(sink, f);
	const struct listen_set_opts o = { WORKERS, types, 1, start, false };
	/* A port found free can be taken by another process before we bind it: new ports then. */
	int rc = -EADDRINUSE;
	for (int tries = 0; tries < 5 && rc == -EADDRINUSE; tries++) {
		for (int i = 0; i < 3; i++) {
			f->port[i] = free_port();
			snprintf(f->list[i], sizeof(f->list[i]), "127.0.0.1:%u", f->port[i]);
		}
		assert_int_equal(daemon_listen(&none, f->list[0], "dnsd.listen", NULL, a, &n), 0);
		rc = listen_set_open(&f->ls, &o, a, n, err, sizeof(err));
	}
	assert_int_equal(rc, 0);
	for (size_t i = 0; i < WORKERS; i++) {
		assert_int_equal(uv_loop_init(&f->w[i].loop), 0);
		assert_int_equal(listen_set_attach(&f->ls, i, &f->w[i].loop, &f->w[i]), 0);
		assert_int_equal(f->w[i].starts, 1);
	}
	*state = f;
	return 0;
}

static void close_handle(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	for (size_t i = 0; i < WORKERS; i++) {
		uv_walk(&f->w[i].loop, close_handle, NULL);
		uv_run(&f->w[i].loop, UV_RUN_DEFAULT);
		assert_int_equal(uv_loop_close(&f->w[i].loop), 0);
	}
	listen_set_free(&f->ls);
	log_set_sink(NULL, NULL);
	free(f);
	return 0;
}

/* Added: every worker opens it; the address kept is not started again; removed: closed. */
static void test_add_keep_remove(void **state)
{
	struct fixture *f = *state;
	char both[160], shown[160], buf[DAEMON_ADDRS_TEXT_MAX];
	snprintf(both, sizeof(both), "%s %s", f->list[0], f->list[1]);
	snprintf(shown, sizeof(shown), "%s, %s", f->list[0], f->list[1]);
	assert_int_equal(send_to(f, f->port[1]), -ECONNREFUSED);
	assert_int_equal(listen_set_reload(&f->ls, f->list[0], both, "dnsd.listen", NULL), 1);
	run(f);
	for (size_t i = 0; i < WORKERS; i++)
		assert_int_equal(f->w[i].starts, 2);     /* the new slot only */
	assert_non_null(strstr(f->log, "SIGHUP: listening on 127.0.0.1:"));
	size_t before = received(f);
	assert_int_equal(send_to(f, f->port[1]), 0);
	assert_int_equal(send_to(f, f->port[0]), 0);
	assert_int_equal(received(f), before + 2);
	assert_string_equal(listen_set_text(&f->ls, buf, sizeof(buf)), shown);
	/* The same list again changes nothing. */
	assert_int_equal(listen_set_reload(&f->ls, both, both, "dnsd.listen", NULL), 0);
	/* Removed with a datagram still queued on it: read before the close. It comes after the
	 * wake, so that the workers see the wake first (epoll reports in order). */
	before = received(f);
	assert_int_equal(listen_set_reload(&f->ls, both, f->list[0], "dnsd.listen", NULL), 1);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(f->port[1]),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	for (int i = 0; i < 8; i++)
		assert_int_equal(sendto(fd, "q", 1, 0, (struct sockaddr *)&a, sizeof(a)), 1);
	close(fd);
	run(f);
	assert_int_equal(received(f), before + 8);
	assert_non_null(strstr(f->log, "stopped listening on 127.0.0.1:"));
	assert_int_equal(send_to(f, f->port[1]), -ECONNREFUSED);
	assert_int_equal(send_to(f, f->port[0]), 0);
	assert_string_equal(listen_set_text(&f->ls, buf, sizeof(buf)), f->list[0]);
	/* The freed slot serves the next new address. */
	assert_int_equal(listen_set_reload(&f->ls, f->list[0], f->list[2], "dnsd.listen", NULL), 2);
	run(f);
	assert_int_equal(send_to(f, f->port[2]), 0);
	assert_int_equal(send_to(f, f->port[0]), -ECONNREFUSED);
}

/* An address that cannot be opened: logged, the others open, none is removed. */
static void test_unopenable_removes_nothing(void **state)
{
	struct fixture *f = *state;
	char next[160], buf[DAEMON_ADDRS_TEXT_MAX], want[160];
	snprintf(next, sizeof(next), "%s 192.0.2.1:%u", f->list[1], f->port[2]);
	assert_int_equal(listen_set_reload(&f->ls, f->list[0], next, "dnsd.listen", NULL), 1);
	run(f);
	assert_non_null(strstr(f->log, "cannot bind 192.0.2.1:"));
	assert_non_null(strstr(f->log, "Cannot assign requested address; the other changes apply"));
	assert_non_null(strstr(f->log, "still listening on 127.0.0.1:"));
	snprintf(want, sizeof(want), "%s, %s", f->list[0], f->list[1]);
	assert_string_equal(listen_set_text(&f->ls, buf, sizeof(buf)), want);
	assert_int_equal(send_to(f, f->port[0]), 0);
	assert_int_equal(send_to(f, f->port[1]), 0);
	/* A list that does not parse changes nothing either. */
	assert_int_equal(listen_set_reload(&f->ls, next, "nowhere", "dnsd.listen", NULL), 0);
	assert_string_equal(listen_set_text(&f->ls, buf, sizeof(buf)), want);
}

/* Added and removed again before the workers looked: their sockets are closed, the slot freed. */
static void test_add_remove_before_the_workers_run(void **state)
{
	struct fixture *f = *state;
	char both[160];
	snprintf(both, sizeof(both), "%s %s", f->list[0], f->list[1]);
	assert_int_equal(listen_set_reload(&f->ls, f->list[0], both, "dnsd.listen", NULL), 1);
	assert_int_equal(listen_set_reload(&f->ls, both, f->list[0], "dnsd.listen", NULL), 1);
	run(f);
	for (size_t i = 0; i < WORKERS; i++)
		assert_int_equal(f->w[i].starts, 1);
	assert_int_equal(send_to(f, f->port[1]), -ECONNREFUSED);
	for (size_t s = 0; s < LISTEN_SET_SLOTS; s++)
		assert_int_equal(f->ls.holders[s], f->ls.active[s] ? WORKERS : 0);
	/* And it can come back. */
	assert_int_equal(listen_set_reload(&f->ls, f->list[0], both, "dnsd.listen", NULL), 1);
	run(f);
	assert_int_equal(send_to(f, f->port[1]), 0);
}

/* --listen: the file's list is not used, and a change is only logged. */
static void test_fixed(void **state)
{
	struct fixture *f = *state;
	f->ls.fixed = true;
	assert_int_equal(listen_set_reload(&f->ls, f->list[0], f->list[1], "dnsd.listen", NULL), 0);
	assert_non_null(strstr(f->log, "dnsd.listen changed, but --listen on the command line"));
	run(f);
	assert_int_equal(send_to(f, f->port[1]), -ECONNREFUSED);
	assert_int_equal(send_to(f, f->port[0]), 0);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct worker *w = server->data;
	uv_tcp_t *c = malloc(sizeof(*c));
	assert_non_null(c);
	uv_tcp_init(server->loop, c);
	if (status == 0 && uv_accept(server, (uv_stream_t *)c) == 0)
		w->received++;
	uv_close((uv_handle_t *)c, (uv_close_cb)free);
}

static int start_tcp(void *arg, size_t slot, size_t kind, int fd, uv_handle_t **h)
{
	struct worker *w = arg;
	uv_tcp_t *t = &w->tcp[slot];
	(void)kind;
	w->starts++;
	assert_int_equal(uv_tcp_init(&w->loop, t), 0);
	t->data = w;
	*h = (uv_handle_t *)t;
	assert_int_equal(uv_tcp_open(t, fd), 0);
	return uv_listen((uv_stream_t *)t, 16, on_connection);
}

/* A TCP address accepts connections from the moment SIGHUP logs it, before any worker ran:
 * they wait in the backlog. */
static void test_tcp_listens_before_the_workers_run(void **state)
{
	static const int types[] = { SOCK_STREAM };
	struct worker *w = calloc(1, sizeof(*w));
	const struct listen_set_opts o = { 1, types, 1, start_tcp, false };
	struct daemon_args none = { .workers = -1 };
	struct listen_set ls;
	struct daemon_addr a;
	char err[256], first[64], next[64];
	size_t n;
	uint16_t port = free_port();
	(void)state;
	assert_non_null(w);
	log_set_sink(quiet, NULL);
	snprintf(first, sizeof(first), "127.0.0.1:%u", free_port());
	snprintf(next, sizeof(next), "127.0.0.1:%u", port);
	assert_int_equal(daemon_listen(&none, first, "httpsd.listen", NULL, &a, &n), 0);
	assert_int_equal(listen_set_open(&ls, &o, &a, n, err, sizeof(err)), 0);
	assert_int_equal(uv_loop_init(&w->loop), 0);
	assert_int_equal(listen_set_attach(&ls, 0, &w->loop, w), 0);
	assert_int_equal(listen_set_reload(&ls, first, next, "httpsd.listen", NULL), 2);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port),
	                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
	for (int i = 0; i < 20 && w->received == 0; i++) {
		uv_run(&w->loop, UV_RUN_NOWAIT);
		usleep((LISTEN_SET_RETRY_MS + 1) * 1000);
	}
	assert_int_equal(w->received, 1);
	close(fd);
	uv_walk(&w->loop, close_handle, NULL);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&w->loop), 0);
	listen_set_free(&ls);
	log_set_sink(NULL, NULL);
	free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_keep_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unopenable_removes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_remove_before_the_workers_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixed, setup, teardown),
		cmocka_unit_test(test_tcp_listens_before_the_workers_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
