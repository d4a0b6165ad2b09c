/* TCP with a deadline and the mbedTLS I/O callbacks over it. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include "shared/util/addr.h"
#include "shared/util/err.h"
#include "shared/tls/tls_conn.h"

int64_t tls_conn_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int tls_conn_wait(struct tls_conn *c, short events)
{
	for (;;) {
		int64_t left = c->deadline - tls_conn_now();
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

int tls_conn_open_name(struct tls_conn *c, const char *host, const char *port, char *err,
                       size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL;
	char name[300];
	snprintf(name, sizeof(name), "%s:%s", host, port);
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "%s: cannot resolve the name: %s", name, gai_strerror(rc));
		return LS_ENOTFOUND;
	}
	rc = -EHOSTUNREACH;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		tls_conn_close(c);
		if ((rc = connect_sa(c, ai->ai_addr, ai->ai_addrlen, name, err, errlen)) == 0)
			break;
	}
	freeaddrinfo(res);
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
