/*
 * id_watch: asks a DNS server on 127.0.0.1 for a name's TXT every INTERVAL_US, as a sender
 * would, and prints the CLOCK_MONOTONIC time at which an answer first carried an MTA-STS id
 * other than the first one seen (bench_change.py). A process of its own, in C: a watcher
 * thread in the Python driver held the interpreter lock while the driver started zonectl.
 *
 *   id_watch PORT NAME INTERVAL_US TIMEOUT_MS
 *
 * Prints "ready ID" once the first answer is in, then "seen NS ID" and exits 0; exits 1
 * after TIMEOUT_MS without a new id, 2 on bad arguments or a socket error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "bench_query.h"

#define ID_MAX 32

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The id of the "v=STSv1; id=..." string in an answer, into id; 0 when there is none. */
static int find_id(const unsigned char *a, size_t len, char id[ID_MAX + 1])
{
	static const char tag[] = "v=STSv1; id=";
	const unsigned char *p = memmem(a, len, tag, sizeof(tag) - 1);
	if (p == NULL)
		return 0;
	p += sizeof(tag) - 1;
	size_t n = 0;
	while (p + n < a + len && n < ID_MAX &&
	       ((p[n] >= '0' && p[n] <= '9') || (p[n] >= 'a' && p[n] <= 'z') ||
	        (p[n] >= 'A' && p[n] <= 'Z')))
		n++;
	memcpy(id, p, n);
	id[n] = '\0';
	return n > 0;
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: id_watch PORT NAME INTERVAL_US TIMEOUT_MS\n");
		return 2;
	}
	int port = atoi(argv[1]);
	long interval = atol(argv[3]), timeout_ms = atol(argv[4]);
	unsigned char q[300], a[4096];
	size_t qlen = bench_query(q, sizeof(q), argv[2], 16, false);
	if (port <= 0 || port > 65535 || interval < 50 || timeout_ms <= 0 || qlen == 0) {
		fprintf(stderr, "id_watch: bad argument\n");
		return 2;
	}
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
		perror("id_watch: socket");
		return 2;
	}
	char first[ID_MAX + 1] = "", id[ID_MAX + 1];
	long long start = now_ns(), end = start + timeout_ms * 1000000LL;
	long long max_sends = timeout_ms * 1000 / interval + 2;
	for (long long k = 0; k < max_sends && now_ns() < end; k++) {
		q[0] = (unsigned char)(k >> 8), q[1] = (unsigned char)k;
		if (send(fd, q, qlen, 0) < 0 && errno != ECONNREFUSED)
			break;
		long long due = now_ns() + interval * 1000LL;
		for (int polls = 0; polls < 64; polls++) {
			long long left = due - now_ns();
			struct pollfd p = { .fd = fd, .events = POLLIN };
			struct timespec wait = { .tv_sec = left / 1000000000LL,
			                         .tv_nsec = left % 1000000000LL };
			if (left <= 0 || ppoll(&p, 1, &wait, NULL) <= 0)
				break;
			ssize_t n = recv(fd, a, sizeof(a), MSG_DONTWAIT);
			if (n <= 0 || !find_id(a, (size_t)n, id))
				continue;
			if (first[0] == '\0') {
				memcpy(first, id, sizeof(first));
				printf("ready %s\n", first);
				fflush(stdout);
			} else if (strcmp(id, first) != 0) {
				printf("seen %lld %s\n", now_ns(), id);
				return 0;
			}
		}
	}
	fprintf(stderr, "id_watch: no new id within %ld ms (first: %s)\n", timeout_ms,
	        first[0] ? first : "none");
	return 1;
}
