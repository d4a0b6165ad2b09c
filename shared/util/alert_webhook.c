/* An alert's webhook: one JSON POST over http:// or https://, within a bounded time. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/error.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#include "shared/util/alert_webhook.h"
#include "shared/util/err.h"

#define HOST_MAX 256
#define PATH_MAX_LEN 1024

struct url {
	bool tls;
	char host[HOST_MAX];
	char port[8];
	char path[PATH_MAX_LEN];
};

static int parse(const char *url, struct url *u)
{
	memset(u, 0, sizeof(*u));
	const char *p;
	if (strncasecmp(url, "http://", 7) == 0) {
		p = url + 7;
	} else if (strncasecmp(url, "https://", 8) == 0) {
		p = url + 8;
		u->tls = true;
	} else {
		return LS_EPARSE;
	}
	const char *hend;
	if (*p == '[') {
		hend = strchr(p, ']');
		if (hend == NULL || hend == p + 1 || (size_t)(hend - p - 1) >= sizeof(u->host))
			return LS_EPARSE;
		memcpy(u->host, p + 1, (size_t)(hend - p - 1));
		hend++;
	} else {
		hend = p + strcspn(p, ":/?#");
		if (hend == p || (size_t)(hend - p) >= sizeof(u->host))
			return LS_EPARSE;
		memcpy(u->host, p, (size_t)(hend - p));
	}
	if (strpbrk(u->host, " \t\r\n@"))
		return LS_EPARSE;
	p = hend;
	strcpy(u->port, u->tls ? "443" : "80");
	if (*p == ':') {
		char *end;
		long port = strtol(p + 1, &end, 10);
		if (end == p + 1 || port < 1 || port > 65535)
			return LS_EPARSE;
		snprintf(u->port, sizeof(u->port), "%ld", port);
		p = end;
	}
	if (*p && *p != '/')
		return LS_EPARSE;
	snprintf(u->path, sizeof(u->path), "%s", *p ? p : "/");
	if (strlen(p) >= sizeof(u->path) || strpbrk(u->path, " \t\r\n#"))
		return LS_EPARSE;
	return 0;
}

bool alert_webhook_valid(const char *url)
{
	struct url u;
	return parse(url, &u) == 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left(int64_t deadline)
{
	int64_t l = deadline - now_ms();
	return l > 0 ? (int)l : 0;
}

/* A name lookup that waits no longer than the deadline (getaddrinfo_a): the caller's time
 * bound covers the resolver too. A lookup that cannot be cancelled in time is left to
 * finish on its own; its request stays allocated for it. 0 or an EAI_ code. */
static int resolve(const struct url *u, int64_t deadline, struct addrinfo **res)
{
	struct lookup {
		struct gaicb cb;
		struct addrinfo hints;
		char host[HOST_MAX], port[8];
	} *l = calloc(1, sizeof(*l));
	if (l == NULL)
		return EAI_MEMORY;
	l->hints = (struct addrinfo){ .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	memcpy(l->host, u->host, sizeof(l->host));
	memcpy(l->port, u->port, sizeof(l->port));
	l->cb = (struct gaicb){ .ar_name = l->host, .ar_service = l->port, .ar_request = &l->hints };
	struct gaicb *list[1] = { &l->cb };
	int rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
	if (rc) {
		free(l);
		return rc;
	}
	while ((rc = gai_error(&l->cb)) == EAI_INPROGRESS) {
		int ms = left(deadline);
		struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
		if (ms == 0 || (gai_suspend((const struct gaicb *const *)list, 1, &ts) == EAI_AGAIN &&
		                left(deadline) == 0)) {
			int c = gai_cancel(&l->cb);
			if (c == EAI_ALLDONE && l->cb.ar_result)
				freeaddrinfo(l->cb.ar_result);
			if (c != EAI_NOTCANCELED)
				free(l);
			return EAI_AGAIN;
		}
	}
	*res = l->cb.ar_result;
	free(l);
	return rc;
}

/* A connected non-blocking socket to u, or a negative code (err set). */
static int dial(const struct url *u, int64_t deadline, char *err, size_t errlen)
{
	struct addrinfo *res, *ai;
	int rc = resolve(u, deadline, &res);
	if (rc) {
		snprintf(err, errlen, "%s: %s", u->host, rc == EAI_AGAIN ? "no address in time" :
		         gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	int fd = -1, last = ECONNREFUSED;
	for (ai = res; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			last = errno;
			continue;
		}
		int soerr = 0;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			soerr = errno;
			if (soerr == EINPROGRESS) {
				struct pollfd pfd = { fd, POLLOUT, 0 };
				socklen_t sl = sizeof(soerr);
				soerr = ETIMEDOUT;
				if (poll(&pfd, 1, left(deadline)) == 1)
					getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
			}
		}
		if (soerr) {
			last = soerr;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(err, errlen, "connect to %s port %s: %s", u->host, u->port, strerror(last));
	return fd >= 0 ? fd : -last;
}

/* The transport: a plain socket or TLS on it, both waiting with poll until the deadline. */
struct conn {
	int fd;
	int64_t deadline;
	mbedtls_ssl_context *ssl;
};

static int wait_fd(struct conn *c, short events)
{
	struct pollfd pfd = { c->fd, events, 0 };
	return poll(&pfd, 1, left(c->deadline)) == 1 ? 0 : -ETIMEDOUT;
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
	struct conn *c = ctx;
	ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
	if (n >= 0)
		return (int)n;
	return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_WRITE : MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
	struct conn *c = ctx;
	ssize_t n = recv(c->fd, buf, len, 0);
	if (n >= 0)
		return (int)n;
	return errno == EAGAIN ? MBEDTLS_ERR_SSL_WANT_READ : MBEDTLS_ERR_NET_RECV_FAILED;
}

static int io_write(struct conn *c, const char *p, size_t len)
{
	while (len) {
		int n = c->ssl ? mbedtls_ssl_write(c->ssl, (const unsigned char *)p, len)
		               : bio_send(c, (const unsigned char *)p, len);
		if (n == MBEDTLS_ERR_SSL_WANT_WRITE || n == MBEDTLS_ERR_SSL_WANT_READ) {
			if (wait_fd(c, n == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT))
				return -ETIMEDOUT;
			continue;
		}
		if (n <= 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads into buf until the head's first line is complete, the peer closes or buf is full. */
static int io_read_status(struct conn *c, char *buf, size_t cap)
{
	size_t have = 0;
	while (have + 1 < cap && memchr(buf, '\n', have) == NULL) {
		int n = c->ssl ? mbedtls_ssl_read(c->ssl, (unsigned char *)buf + have, cap - 1 - have)
		               : bio_recv(c, (unsigned char *)buf + have, cap - 1 - have);
		if (n == MBEDTLS_ERR_SSL_WANT_WRITE || n == MBEDTLS_ERR_SSL_WANT_READ) {
			if (wait_fd(c, n == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT))
				return -ETIMEDOUT;
			continue;
		}
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = 0;
	}
	buf[have] = 0;
	return have ? 0 : -ECONNRESET;
}

struct tls {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_x509_crt ca;
	mbedtls_ssl_config conf;
	mbedtls_ssl_context ssl;
};

static void tls_free(struct tls *t)
{
	mbedtls_ssl_free(&t->ssl);
	mbedtls_ssl_config_free(&t->conf);
	mbedtls_x509_crt_free(&t->ca);
	mbedtls_ctr_drbg_free(&t->drbg);
	mbedtls_entropy_free(&t->entropy);
}

static int tls_start(struct tls *t, struct conn *c, const struct url *u, const char *ca,
                     char *err, size_t errlen)
{
	mbedtls_entropy_init(&t->entropy);
	mbedtls_ctr_drbg_init(&t->drbg);
	mbedtls_x509_crt_init(&t->ca);
	mbedtls_ssl_config_init(&t->conf);
	mbedtls_ssl_init(&t->ssl);
	const char *file = ca && *ca ? ca : ALERT_SYSTEM_CA;
	if (mbedtls_x509_crt_parse_file(&t->ca, file) < 0 && t->ca.version == 0) {
		snprintf(err, errlen, "cannot read the CA file %s", file);
		return LS_ECONFIG;
	}
	int rc = mbedtls_ctr_drbg_seed(&t->drbg, mbedtls_entropy_func, &t->entropy,
	                               (const unsigned char *)"lockstep-alert", 14);
	if (rc == 0)
		rc = mbedtls_ssl_config_defaults(&t->conf, MBEDTLS_SSL_IS_CLIENT,
		                                 MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
	if (rc == 0) {
		mbedtls_ssl_conf_min_version(&t->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
		                             MBEDTLS_SSL_MINOR_VERSION_3);
		mbedtls_ssl_conf_authmode(&t->conf, MBEDTLS_SSL_VERIFY_REQUIRED);
		mbedtls_ssl_conf_ca_chain(&t->conf, &t->ca, NULL);
		mbedtls_ssl_conf_rng(&t->conf, mbedtls_ctr_drbg_random, &t->drbg);
		rc = mbedtls_ssl_setup(&t->ssl, &t->conf);
	}
	if (rc == 0)
		rc = mbedtls_ssl_set_hostname(&t->ssl, u->host);
	if (rc) {
		snprintf(err, errlen, "TLS set-up failed (-0x%04x)", (unsigned)-rc);
		return -EPROTO;
	}
	mbedtls_ssl_set_bio(&t->ssl, c, bio_send, bio_recv, NULL);
	c->ssl = &t->ssl;
	while ((rc = mbedtls_ssl_handshake(&t->ssl)) != 0) {
		if (rc != MBEDTLS_ERR_SSL_WANT_READ && rc != MBEDTLS_ERR_SSL_WANT_WRITE) {
			char why[128];
			uint32_t flags = mbedtls_ssl_get_verify_result(&t->ssl);
			if (flags && flags != (uint32_t)-1)
				mbedtls_x509_crt_verify_info(why, sizeof(why), "", flags);
			else
				mbedtls_strerror(rc, why, sizeof(why));
			why[strcspn(why, "\n")] = 0;
			snprintf(err, errlen, "TLS handshake with %s failed: %s", u->host, why);
			return -EPROTO;
		}
		if (wait_fd(c, rc == MBEDTLS_ERR_SSL_WANT_READ ? POLLIN : POLLOUT)) {
			snprintf(err, errlen, "TLS handshake with %s timed out", u->host);
			return -ETIMEDOUT;
		}
	}
	return 0;
}

int alert_webhook_post(const char *url, const char *body, size_t len, const char *ca,
                       int timeout_ms, char *err, size_t errlen)
{
	struct url u;
	if (parse(url, &u) != 0) {
		snprintf(err, errlen, "not an http[s]:// URL");
		return LS_EPARSE;
	}
	struct conn c = { -1, now_ms() + timeout_ms, NULL };
	struct tls *t = NULL;
	char head[ALERT_WEBHOOK_HEAD_MAX];
	int rc = dial(&u, c.deadline, err, errlen);
	if (rc < 0)
		return rc;
	c.fd = rc;
	if (u.tls) {
		if ((t = calloc(1, sizeof(*t))) == NULL) {
			rc = -ENOMEM;
			goto fail;
		}
		if ((rc = tls_start(t, &c, &u, ca, err, errlen)) != 0)
			goto fail;
	}
	bool v6 = strchr(u.host, ':') != NULL;
	int n = snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nHost: %s%s%s%s%s\r\n"
	                 "User-Agent: lockstep-alert\r\nContent-Type: application/json\r\n"
	                 "Content-Length: %zu\r\nConnection: close\r\n\r\n", u.path,
	                 v6 ? "[" : "", u.host, v6 ? "]" : "",
	                 strcmp(u.port, u.tls ? "443" : "80") ? ":" : "",
	                 strcmp(u.port, u.tls ? "443" : "80") ? u.port : "", len);
	if (n < 0 || (size_t)n >= sizeof(head)) {
		snprintf(err, errlen, "URL too long");
		rc = LS_ETOOBIG;
		goto fail;
	}
	if ((rc = io_write(&c, head, (size_t)n)) != 0 || (rc = io_write(&c, body, len)) != 0 ||
	    (rc = io_read_status(&c, head, sizeof(head))) != 0) {
		snprintf(err, errlen, "%s", rc == -ETIMEDOUT ? "timed out" : "connection failed");
		goto fail;
	}
	int status = 0;
	if (sscanf(head, "HTTP/1.%*1[01] %3d", &status) != 1) {
		snprintf(err, errlen, "not an HTTP answer");
		rc = -EPROTO;
		goto fail;
	}
	if (status < 200 || status > 299) {
		snprintf(err, errlen, "HTTP status %d", status);
		rc = -EPROTO;
		goto fail;
	}
	rc = 0;
	if (c.ssl)
		mbedtls_ssl_close_notify(c.ssl);
fail:
	if (t) {
		tls_free(t);
		free(t);
	}
	close(c.fd);
	return rc;
}
