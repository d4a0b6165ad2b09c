/*
 * HTTPS load for bench_https.py: C client threads, each with one connection at a time, fetch a
 * path for some seconds (or a number of requests) and report requests per second.
 *
 *   keepalive  one TLS connection per thread, requests one after the other on it
 *   new        a new TCP connection and full handshake per request (Connection: close)
 *   resume     the same, resuming the thread's last TLS session (tickets)
 *
 * With -X FILE each request is a POST of FILE's bytes (Content-Type from -T), as a TLS report
 * sender's; -r RATE paces the requests of all threads together to RATE a second.
 *
 * It uses OpenSSL, not mbedTLS: a client's handshake does as much public-key work as the
 * server's (ECDHE, and verifying the server's signature), and mbedTLS doing it would make the
 * client, not the server, the measured limit.
 *
 * usage: https_load -p PORT [-a ADDR] [-s HOST | -H HOSTFILE] [-P PATH] [-c THREADS]
 *                   [-d SECONDS] [-n REQUESTS] [-m keepalive|new|resume] [-b BODYFILE] [-C CAFILE]
 *                   [-X POSTFILE [-T TYPE]] [-r RATE]
 * Prints one line: mode=M requests=N errors=E seconds=S rps=R resumed=K connects=C p50_ms=L
 * p99_ms=L. A request's latency runs from its start (with -r, the time the pacing gave it, so a
 * server that falls behind shows in it) to the end of its answer, connect and handshake included.
 * The exit status is 1 when any request failed or a body differed from BODYFILE.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#define THREADS_MAX 256
#define HOSTS_MAX 200000
#define HOST_LEN 256
#define RESP_MAX (128 * 1024)
#define IO_TIMEOUT_S 10
#define LAT_MAX (1 << 22)        /* latencies kept; later requests count, unsampled */

enum mode { KEEPALIVE, NEW, RESUME };

static struct {
	const char *addr, *path, *cafile;
	int port, threads;
	double seconds;
	long max_requests;
	enum mode mode;
	char (*hosts)[HOST_LEN];
	size_t nhosts;
	char *body;
	size_t body_len;
	char *post;                /* -X: the body of every request, a POST */
	size_t post_len;
	const char *post_type;
	double rate;               /* -r: requests a second, all threads together; 0: no pacing */
	double start;
	SSL_CTX *ctx;
	double deadline;
} opt = { .addr = "127.0.0.1", .path = "/.well-known/mta-sts.txt", .threads = 8, .seconds = 10,
	    .mode = KEEPALIVE };

static atomic_long requests, errors, resumed, connects, next_host, issued, nlat;
static float *lat_ms;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Claims the next request; false when the count or the time is used up. *start: when it is due. */
static bool claim(double *start)
{
	*start = now();
	if (*start >= opt.deadline)
		return false;
	long k = atomic_fetch_add(&issued, 1);
	if (opt.max_requests && k >= opt.max_requests)
		return false;
	if (opt.rate > 0) {
		double at = opt.start + (double)k / opt.rate, wait = at - now();
		if (at >= opt.deadline)
			return false;
		if (wait > 0) {
			struct timespec ts = { (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };
			nanosleep(&ts, NULL);
		}
		*start = at;
	}
	return true;
}

static const char *host_for(long i)
{
	return opt.hosts[(size_t)i % opt.nhosts];
}

struct conn {
	int fd;
	SSL *ssl;
	const char *host;
};

static void conn_free(struct conn *c, bool clean)
{
	if (c->ssl) {
		if (clean)
			SSL_shutdown(c->ssl);   /* a session ended without it may not be resumed */
		SSL_free(c->ssl);
	}
	if (c->fd >= 0)
		close(c->fd);
	c->ssl = NULL;
	c->fd = -1;
}

static int conn_open(struct conn *c, const char *host, SSL_SESSION *sess)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port) };
	struct timeval tv = { IO_TIMEOUT_S, 0 };
	int one = 1;
	c->host = host;
	c->ssl = NULL;
	inet_pton(AF_INET, opt.addr, &a.sin_addr);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(c->fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		return -1;
	c->ssl = SSL_new(opt.ctx);
	if (c->ssl == NULL)
		return -1;
	SSL_set_fd(c->ssl, c->fd);
	SSL_set_tlsext_host_name(c->ssl, host);
	if (opt.cafile)
		SSL_set1_host(c->ssl, host);
	if (sess)
		SSL_set_session(c->ssl, sess);
	if (SSL_connect(c->ssl) != 1)
		return -1;
	atomic_fetch_add(&connects, 1);
	if (SSL_session_reused(c->ssl))
		atomic_fetch_add(&resumed, 1);
	return 0;
}

/* The first failed request's reason, on standard error (later ones are only counted). */
static void first_error(const char *what, const char *line, size_t len)
{
	static atomic_flag told = ATOMIC_FLAG_INIT;
	if (atomic_flag_test_and_set(&told))
		return;
	const char *eol = line ? memchr(line, '\r', len) : NULL;
	fprintf(stderr, "first error: %s%s%.*s\n", what, line ? ": " : "",
	        line ? (int)(eol ? (size_t)(eol - line) : len) : 0, line ? line : "");
}

/* One request and its answer; 0 when it was a 200 with the expected body. */
static int fetch(struct conn *c, bool close, char *buf)
{
	char req[1024];
	int n;
	if (opt.post)
		n = snprintf(req, sizeof(req), "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n"
		             "Content-Length: %zu\r\n%s\r\n", opt.path, c->host, opt.post_type,
		             opt.post_len, close ? "Connection: close\r\n" : "");
	else
		n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n", opt.path,
		             c->host, close ? "Connection: close\r\n" : "");
	if (SSL_write(c->ssl, req, n) != n) {
		first_error("cannot send the request", NULL, 0);
		return -1;
	}
	if (opt.post && SSL_write(c->ssl, opt.post, (int)opt.post_len) != (int)opt.post_len) {
		first_error("cannot send the body", NULL, 0);
		return -1;
	}
	size_t len = 0, need = 0, head = 0;
	for (;;) {
		if (head && len >= need)
			break;
		if (len == RESP_MAX)
			return -1;
		int r = SSL_read(c->ssl, buf + len, (int)(RESP_MAX - len));
		if (r <= 0) {
			first_error(errno == EAGAIN ? "no answer in time" : "connection closed", NULL, 0);
			return -1;
		}
		len += (size_t)r;
		if (!head) {
			char *e = memmem(buf, len, "\r\n\r\n", 4);
			if (e == NULL)
				continue;
			head = (size_t)(e - buf) + 4;
			char *cl = memmem(buf, head, "Content-Length: ", 16);
			if (cl == NULL || strncmp(buf, "HTTP/1.1 200 ", 13) != 0) {
				first_error("answer", buf, len);
				return -1;
			}
			need = head + strtoul(cl + 16, NULL, 10);
		}
	}
	if (opt.body && (need - head != opt.body_len || memcmp(buf + head, opt.body, opt.body_len))) {
		first_error("unexpected body", buf + head, need - head);
		return -1;
	}
	return 0;
}

static void *worker(void *arg)
{
	char *buf = malloc(RESP_MAX);
	struct conn c = { -1, NULL, NULL };
	SSL_SESSION *sess = NULL;
	double start;
	(void)arg;
	while (buf && claim(&start)) {
		const char *host = host_for(atomic_fetch_add(&next_host, 1));
		bool fresh = c.ssl == NULL || opt.mode != KEEPALIVE;
		if (fresh && conn_open(&c, host, opt.mode == RESUME ? sess : NULL) != 0) {
			first_error("cannot connect and shake hands", NULL, 0);
			atomic_fetch_add(&errors, 1);
			conn_free(&c, false);
			continue;
		}
		if (fetch(&c, opt.mode != KEEPALIVE, buf) != 0) {
			atomic_fetch_add(&errors, 1);
			conn_free(&c, false);
			continue;
		}
		atomic_fetch_add(&requests, 1);
		long k = atomic_fetch_add(&nlat, 1);
		if (k < LAT_MAX)
			lat_ms[k] = (float)((now() - start) * 1e3);
		if (opt.mode == RESUME) {
			SSL_SESSION *s = SSL_get1_session(c.ssl);
			if (s) {
				SSL_SESSION_free(sess);
				sess = s;
			}
		}
		if (opt.mode != KEEPALIVE)
			conn_free(&c, true);
	}
	conn_free(&c, true);
	SSL_SESSION_free(sess);
	free(buf);
	return NULL;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	char *b = malloc(RESP_MAX);
	*len = b ? fread(b, 1, RESP_MAX, f) : 0;
	fclose(f);
	return b;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* The q-quantile of the n sorted latencies (0 when there are none). */
static double quantile(size_t n, double q)
{
	return n ? lat_ms[(size_t)(q * (double)(n - 1) + 0.5)] : 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: https_load -p PORT [-a ADDR] [-s HOST | -H HOSTFILE] [-P PATH] "
	                "[-c THREADS] [-d SECONDS] [-n REQUESTS] [-m keepalive|new|resume] "
	                "[-b BODYFILE] [-C CAFILE] [-X POSTFILE [-T TYPE]] [-r RATE]\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *host = "mta-sts.example.com", *hostfile = NULL, *bodyfile = NULL, *postfile = NULL;
	int ch;
	opt.post_type = "application/tlsrpt+gzip";
	while ((ch = getopt(argc, argv, "a:p:s:H:P:c:d:n:m:b:C:X:T:r:")) != -1) {
		switch (ch) {
		case 'a': opt.addr = optarg; break;
		case 'p': opt.port = atoi(optarg); break;
		case 's': host = optarg; break;
		case 'H': hostfile = optarg; break;
		case 'P': opt.path = optarg; break;
		case 'c': opt.threads = atoi(optarg); break;
		case 'd': opt.seconds = atof(optarg); break;
		case 'n': opt.max_requests = atol(optarg); break;
		case 'b': bodyfile = optarg; break;
		case 'C': opt.cafile = optarg; break;
		case 'X': postfile = optarg; break;
		case 'T': opt.post_type = optarg; break;
		case 'r': opt.rate = atof(optarg); break;
		case 'm':
			opt.mode = strcmp(optarg, "new") == 0 ? NEW : strcmp(optarg, "resume") == 0 ? RESUME
			           : strcmp(optarg, "keepalive") == 0 ? KEEPALIVE : (enum mode)-1;
			if ((int)opt.mode < 0)
				return usage();
			break;
		default: return usage();
		}
	}
	if (opt.port <= 0 || opt.threads < 1 || opt.threads > THREADS_MAX || opt.seconds <= 0)
		return usage();
	opt.hosts = calloc(HOSTS_MAX, HOST_LEN);
	lat_ms = malloc(LAT_MAX * sizeof(*lat_ms));
	if (opt.hosts == NULL || lat_ms == NULL)
		return 1;
	if (hostfile) {
		FILE *f = fopen(hostfile, "r");
		if (f == NULL) {
			perror(hostfile);
			return 1;
		}
		while (opt.nhosts < HOSTS_MAX && fgets(opt.hosts[opt.nhosts], HOST_LEN, f))
			if ((opt.hosts[opt.nhosts][strcspn(opt.hosts[opt.nhosts], "\r\n")] = 0,
			     opt.hosts[opt.nhosts][0]))
				opt.nhosts++;
		fclose(f);
	} else {
		snprintf(opt.hosts[0], HOST_LEN, "%s", host);
		opt.nhosts = 1;
	}
	if (opt.nhosts == 0)
		return usage();
	if (bodyfile && (opt.body = read_all(bodyfile, &opt.body_len)) == NULL) {
		perror(bodyfile);
		return 1;
	}
	if (postfile && (opt.post = read_all(postfile, &opt.post_len)) == NULL) {
		perror(postfile);
		return 1;
	}
	opt.ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_min_proto_version(opt.ctx, TLS1_2_VERSION);
	/* Sessions are kept by the threads themselves, not in OpenSSL's client cache. */
	SSL_CTX_set_session_cache_mode(opt.ctx, SSL_SESS_CACHE_OFF);
	if (opt.cafile) {
		if (SSL_CTX_load_verify_locations(opt.ctx, opt.cafile, NULL) != 1) {
			fprintf(stderr, "https_load: cannot load %s\n", opt.cafile);
			return 1;
		}
		SSL_CTX_set_verify(opt.ctx, SSL_VERIFY_PEER, NULL);
	}
	pthread_t t[THREADS_MAX];
	double start = now();
	opt.start = start;
	opt.deadline = start + opt.seconds;
	for (int i = 0; i < opt.threads; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < opt.threads; i++)
		pthread_join(t[i], NULL);
	double secs = now() - start;
	long n = atomic_load(&requests), e = atomic_load(&errors);
	size_t nl = (size_t)(atomic_load(&nlat) < LAT_MAX ? atomic_load(&nlat) : LAT_MAX);
	qsort(lat_ms, nl, sizeof(*lat_ms), cmp_float);
	printf("mode=%s requests=%ld errors=%ld seconds=%.3f rps=%.1f resumed=%ld connects=%ld "
	       "p50_ms=%.3f p99_ms=%.3f\n",
	       opt.mode == KEEPALIVE ? "keepalive" : opt.mode == NEW ? "new" : "resume", n, e, secs,
	       (double)n / secs, atomic_load(&resumed), atomic_load(&connects), quantile(nl, 0.50),
	       quantile(nl, 0.99));
	SSL_CTX_free(opt.ctx);
	return e ? 1 : 0;
}
