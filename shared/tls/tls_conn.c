/* TCP with a deadline and the mbedTLS I/O callbacks over it. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include "shared/util/clock.h"
#include "shared/util/addr.h"
#include "shared/util/err.h"
#include "shared/tls/tls_conn.h"

int tls_conn_wait(struct tls_conn *c, short events)
{
	for (;;) {
		int64_t left = c->deadline - clock_mono_ms();
		if (left <= 0 || (c->cancel && atomic_load(c->cancel)))
			return 0;
		/* a cancellable wait polls in slices to see the flag */
		int64_t slice = c->cancel && left > TLS_CONN_CANCEL_SLICE_MS ?
		                TLS_CONN_CANCEL_SLICE_MS : left;
		struct pollfd p = { c->fd, events, 0 };
		int rc = poll(&p, 1, (int)slice);
		if (rc > 0)
			return 1;
		if (rc == 0 && slice == left)
			return 0;
		if (rc == 0)
			continue;
		if (errno != EINTR)
			return 1;   /* the next send/recv reports the error */
	}
}

int tls_conn_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct tls_conn *c = ctx;
	for (;;) {
		ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if (n >= 0)
			return (int)n;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return MBEDTLS_ERR_NET_SEND_FAILED;
		if (!tls_conn_wait(c, POLLOUT))
			return MBEDTLS_ERR_SSL_TIMEOUT;
	}
}

int tls_conn_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct tls_conn *c = ctx;
	for (;;) {
		ssize_t n = recv(c->fd, buf, len, 0);
		if (n >= 0)
			return (int)n;
		if (errno == EINTR)
			continue;
		if (errno == ECONNRESET)
			return MBEDTLS_ERR_NET_CONN_RESET;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return MBEDTLS_ERR_NET_RECV_FAILED;
		if (!tls_conn_wait(c, POLLIN))
			return MBEDTLS_ERR_SSL_TIMEOUT;
	}
}

/* Connects c to sa within c's deadline; what failed goes to err under name. */
static int connect_sa(struct tls_conn *c, const struct sockaddr *sa, socklen_t sl,
                      const char *name, char *err, size_t errlen)
{
	c->fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		snprintf(err, errlen, "%s: socket: %s", name, strerror(errno));
		return -errno;
	}
	/* TLS sends its handshake in several small writes: without this, Nagle holds each one
	 * back until the peer's delayed ACK, 40 ms a time. */
	int one = 1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, sa, sl) != 0 && errno != EINPROGRESS) {
		snprintf(err, errlen, "%s: connect: %s", name, strerror(errno));
		return -errno;
	}
	int soerr = 0;
	socklen_t el = sizeof(soerr);
	if (!tls_conn_wait(c, POLLOUT)) {
		snprintf(err, errlen, "%s: connect: timed out", name);
		return -ETIMEDOUT;
	}
	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &el);
	if (soerr) {
		snprintf(err, errlen, "%s: connect: %s", name, strerror(soerr));
		return -soerr;
	}
	return 0;
}

int tls_conn_open(struct tls_conn *c, const char *endpoint, int default_port, char *err,
                  size_t errlen)
{
	struct sockaddr_storage ss;
	uint8_t a[16];
	uint16_t port;
	int family;
	if (addr_parse(endpoint, default_port, &family, a, &port) != 0) {
		snprintf(err, errlen, "%s: not an address", endpoint);
		return LS_ECONFIG;
	}
	socklen_t sl = addr_sockaddr(family, a, port, &ss);
	return connect_sa(c, (struct sockaddr *)&ss, sl, endpoint, err, errlen);
}

/* A name lookup on a thread of its own: getaddrinfo() has no timeout (the resolver's own are
 * 5 s a try and server), so the caller waits on the thread only until its deadline. A lookup
 * given up on finishes on its own; whichever of the two lets go last frees it. */
struct lookup {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs;
	bool done;
	int rc;                   /* getaddrinfo()'s */
	struct addrinfo *res;
	char host[TLS_CONN_HOST_MAX], port[8];
};

void (*tls_conn_lookup_hook)(void);

static void lookup_unref(struct lookup *l)
{
	pthread_mutex_lock(&l->lock);
	int left = --l->refs;
	pthread_mutex_unlock(&l->lock);
	if (left)
		return;
	if (l->res)
		freeaddrinfo(l->res);
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static void *lookup_run(void *arg)
{
	struct lookup *l = arg;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	if (tls_conn_lookup_hook)
		tls_conn_lookup_hook();
	int rc = getaddrinfo(l->host, l->port, &hints, &res);
	pthread_mutex_lock(&l->lock);
	l->rc = rc;
	l->res = rc ? NULL : res;
	l->done = true;
	pthread_cond_signal(&l->cond);
	pthread_mutex_unlock(&l->lock);
	lookup_unref(l);
	return NULL;
}

/* Starts the lookup of host and port; l holds two references, the thread's and the caller's. */
static int lookup_start(struct lookup **out, const char *host, const char *port)
{
	struct lookup *l = calloc(1, sizeof(*l));
	pthread_condattr_t ca;
	pthread_attr_t ta;
	pthread_t th;
	if (l == NULL)
		return -ENOMEM;
	snprintf(l->host, sizeof(l->host), "%s", host);
	snprintf(l->port, sizeof(l->port), "%s", port);
	l->refs = 2;
	pthread_mutex_init(&l->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);   /* the clock of deadlines */
	pthread_cond_init(&l->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_attr_init(&ta);
	pthread_attr_setdetachstate(&ta, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&th, &ta, lookup_run, l);
	pthread_attr_destroy(&ta);
	if (rc) {
		l->refs = 1;
		lookup_unref(l);
		return -rc;
	}
	*out = l;
	return 0;
}

/* Waits for l within c's deadline (in slices when c can be cancelled): 1 done, 0 not in time. */
static int lookup_wait(struct tls_conn *c, struct lookup *l)
{
	pthread_mutex_lock(&l->lock);
	while (!l->done) {
		int64_t now = clock_mono_ms(), until = c->deadline;
		if (now >= until || (c->cancel && atomic_load(c->cancel)))
			break;
		if (c->cancel && until - now > TLS_CONN_CANCEL_SLICE_MS)
			until = now + TLS_CONN_CANCEL_SLICE_MS;
		struct timespec ts = { until / 1000, (long)(until % 1000) * 1000000 };
		pthread_cond_timedwait(&l->cond, &l->lock, &ts);
	}
	bool done = l->done;
	pthread_mutex_unlock(&l->lock);
	return done;
}

int tls_conn_open_name(struct tls_conn *c, const char *host, const char *port, char *err,
                       size_t errlen)
{
	struct lookup *l = NULL;
	char name[TLS_CONN_HOST_MAX + 8];
	int64_t start = clock_mono_ms();
	snprintf(name, sizeof(name), "%s:%s", host, port);
	if (strlen(host) >= TLS_CONN_HOST_MAX || strlen(port) >= sizeof(l->port)) {
		snprintf(err, errlen, "%.64s...: name too long", host);
		return LS_ETOOBIG;
	}
	int rc = lookup_start(&l, host, port);
	if (rc) {
		snprintf(err, errlen, "%s: cannot start the name lookup: %s", name, strerror(-rc));
		return rc;
	}
	if (!lookup_wait(c, l)) {
		snprintf(err, errlen, "name lookup for %s timed out after %lld ms", host,
		         (long long)(clock_mono_ms() - start));
		lookup_unref(l);
		return -ETIMEDOUT;
	}
	if (l->rc) {
		snprintf(err, errlen, "%s: cannot resolve the name: %s", name, gai_strerror(l->rc));
		lookup_unref(l);
		return LS_ENOTFOUND;
	}
	rc = -EHOSTUNREACH;
	for (struct addrinfo *ai = l->res; ai; ai = ai->ai_next) {
		tls_conn_close(c);
		if ((rc = connect_sa(c, ai->ai_addr, ai->ai_addrlen, name, err, errlen)) == 0)
			break;
	}
	lookup_unref(l);
	return rc;
}

void tls_conn_close(struct tls_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

int64_t tls_conn_not_after(const struct mbedtls_x509_crt *crt)
{
	struct tm tm = { .tm_year = crt->valid_to.year - 1900, .tm_mon = crt->valid_to.mon - 1,
	                 .tm_mday = crt->valid_to.day, .tm_hour = crt->valid_to.hour,
	                 .tm_min = crt->valid_to.min, .tm_sec = crt->valid_to.sec };
	return (int64_t)timegm(&tm);
}
