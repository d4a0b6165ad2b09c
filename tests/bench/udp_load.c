/*
 * udp_load: a DNS load client over UDP that batches (sendmmsg, recvmmsg), so that one client
 * core can keep one server core busy (bench_dns.py, BENCH_DNS_CLIENT=udp_load). dnsperf
 * spends about as much CPU a query as a server does answering it, so on two cores it cannot
 * saturate a server that is faster than it is. Takes dnsperf's options where they overlap
 * and prints dnsperf's statistics lines, which bench_dns reads the same way.
 *
 *   udp_load -s ADDR -p PORT -d FILE -l SECONDS [-c SOCKETS] [-q OUTSTANDING] [-t TIMEOUT]
 *            [-m udp] [-T 1]
 *
 * FILE: one "name TYPE" a line, as dnsperf reads. Queries go out in the file's order, over
 * and over. At most OUTSTANDING wait for an answer (spread over the sockets); one without an
 * answer after TIMEOUT seconds is lost. Each socket is topped up as its answers come in, so
 * the server always has queries waiting; the client sleeps in poll() only when no answer
 * came in a round (its CPU time is so no measure of its load).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "bench_query.h"

#define MAX_SOCKETS 64
#define MAX_QUERIES 1000000
#define BATCH 32
#define QMAX 300
#define IDS 65536

struct query {
	uint16_t len;
	unsigned char wire[QMAX];
};

struct sock {
	int fd;
	unsigned outstanding;
	uint16_t next_id;
	int64_t *sent_at;            /* by id: send time (ns), 0 when free */
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int type_code(const char *t)
{
	static const struct { const char *name; int code; } types[] = {
		{ "A", 1 }, { "NS", 2 }, { "CNAME", 5 }, { "SOA", 6 }, { "PTR", 12 },
		{ "MX", 15 }, { "TXT", 16 }, { "AAAA", 28 }, { "SRV", 33 }, { "DS", 43 },
		{ "DNSKEY", 48 }, { "CAA", 257 }, { "ANY", 255 },
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcasecmp(t, types[i].name) == 0)
			return types[i].code;
	return -1;
}

static struct query *read_queries(const char *path, size_t *count)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		perror(path);
		return NULL;
	}
	struct query *qs = NULL;
	size_t n = 0, cap = 0, line = 0;
	char buf[512], name[300], type[32];
	while (fgets(buf, sizeof(buf), f) != NULL && n < MAX_QUERIES) {
		line++;
		if (sscanf(buf, "%299s %31s", name, type) != 2)
			continue;
		int t = type_code(type);
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			struct query *more = realloc(qs, cap * sizeof(*qs));
			if (more == NULL)
				goto fail;
			qs = more;
		}
		/* RD set, as dnsperf sends */
		size_t len = t < 0 ? 0 : bench_query(qs[n].wire, QMAX, name, t, true);
		if (len == 0) {
			fprintf(stderr, "%s:%zu: cannot encode \"%s %s\"\n", path, line, name, type);
			goto fail;
		}
		qs[n++].len = (uint16_t)len;
	}
	fclose(f);
	if (n == 0)
		fprintf(stderr, "%s: no queries\n", path);
	*count = n;
	return n ? qs : NULL;
fail:
	fclose(f);
	free(qs);
	return NULL;
}

static const char *rcode_name(int rc, char *buf, size_t len)
{
	static const char *names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
	                               "NOTIMP", "REFUSED" };
	if (rc < 6)
		return names[rc];
	snprintf(buf, len, "RCODE%d", rc);
	return buf;
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *file = NULL;
	int port = 53, seconds = 0, nsock = 8, c;
	unsigned outstanding = 200;
	double timeout = 2.0;
	while ((c = getopt(argc, argv, "s:p:d:l:c:q:t:m:T:")) != -1) {
		switch (c) {
		case 's': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'd': file = optarg; break;
		case 'l': seconds = atoi(optarg); break;
		case 'c': nsock = atoi(optarg); break;
		case 'q': outstanding = (unsigned)atoi(optarg); break;
		case 't': timeout = atof(optarg); break;
		case 'm':
			if (strcmp(optarg, "udp") != 0) {
				fprintf(stderr, "udp_load: UDP only (-m udp)\n");
				return 2;
			}
			break;
		case 'T': break;             /* one thread: dnsperf's option, accepted */
		default:
			return 2;
		}
	}
	if (file == NULL || seconds <= 0 || port <= 0 || port > 65535 || nsock < 1 ||
	    nsock > MAX_SOCKETS || outstanding < (unsigned)nsock || timeout <= 0) {
		fprintf(stderr, "usage: udp_load -s ADDR -p PORT -d FILE -l SECONDS [-c SOCKETS 1-%d]"
		        " [-q OUTSTANDING] [-t TIMEOUT]\n", MAX_SOCKETS);
		return 2;
	}
	size_t nq;
	struct query *qs = read_queries(file, &nq);
	if (qs == NULL)
		return 1;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	if (inet_pton(AF_INET, addr, &to.sin_addr) != 1) {
		fprintf(stderr, "udp_load: -s takes an IPv4 address\n");
		return 2;
	}
	struct sock socks[MAX_SOCKETS];
	struct pollfd pfd[MAX_SOCKETS];
	unsigned per = outstanding / (unsigned)nsock;
	if (per > IDS - 1)
		per = IDS - 1;
	for (int i = 0; i < nsock; i++) {
		int big = 4 << 20;
		socks[i] = (struct sock){ .fd = socket(AF_INET, SOCK_DGRAM, 0) };
		socks[i].sent_at = calloc(IDS, sizeof(int64_t));
		if (socks[i].fd < 0 || socks[i].sent_at == NULL ||
		    connect(socks[i].fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
			perror("udp_load: socket");
			return 1;
		}
		setsockopt(socks[i].fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
		pfd[i] = (struct pollfd){ .fd = socks[i].fd, .events = POLLIN };
	}

	static unsigned char out[BATCH][QMAX], in[BATCH][512];
	struct mmsghdr om[BATCH], im[BATCH];
	struct iovec oi[BATCH], ii[BATCH];
	for (int k = 0; k < BATCH; k++) {
		oi[k] = (struct iovec){ .iov_base = out[k] };
		ii[k] = (struct iovec){ .iov_base = in[k], .iov_len = sizeof(in[k]) };
		om[k] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &oi[k], .msg_iovlen = 1 } };
		im[k] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &ii[k], .msg_iovlen = 1 } };
	}
	uint64_t sent = 0, completed = 0, lost = 0, rcodes[16] = { 0 }, req_bytes = 0,
	         resp_bytes = 0;
	double latency_sum = 0;
	size_t qi = 0;
	int64_t tmo = (int64_t)(timeout * 1e9), start = now_ns();
	int64_t end = start + (int64_t)seconds * 1000000000LL, drain_end = end + tmo;
	int64_t next_sweep = start + 50000000LL, last_answer = start;
	for (uint64_t loops = 0; loops < 4000000000ULL; loops++) {
		int64_t now = now_ns();
		if (now >= drain_end)
			break;
		bool sending = now < end, any = false;
		unsigned waiting = 0;
		for (int i = 0; i < nsock; i++) {
			struct sock *s = &socks[i];
			unsigned n = 0;
			while (sending && n < BATCH && s->outstanding + n < per) {
				const struct query *q = &qs[qi];
				qi = (qi + 1) % nq;
				uint16_t id = s->next_id++;
				if (s->sent_at[id] != 0)
					continue;      /* still waiting (a wrapped id): skip it */
				memcpy(out[n], q->wire, q->len);
				out[n][0] = (unsigned char)(id >> 8), out[n][1] = (unsigned char)id;
				oi[n].iov_len = q->len;
				s->sent_at[id] = now;
				n++;
			}
			if (n > 0) {
				int done = sendmmsg(s->fd, om, n, MSG_DONTWAIT);
				for (int k = done < 0 ? 0 : done; k < (int)n; k++) {
					unsigned id = (unsigned)out[k][0] << 8 | out[k][1];
					s->sent_at[id] = 0;        /* not sent: not counted */
				}
				if (done > 0) {
					for (int k = 0; k < done; k++)
						req_bytes += oi[k].iov_len;
					sent += (uint64_t)done;
					s->outstanding += (unsigned)done;
					any = true;
				}
			}
			int got = recvmmsg(s->fd, im, BATCH, MSG_DONTWAIT, NULL);
			int64_t at = got > 0 ? now_ns() : 0;
			for (int k = 0; k < got; k++) {
				if (im[k].msg_len < 12)
					continue;
				unsigned id = (unsigned)in[k][0] << 8 | in[k][1];
				if (s->sent_at[id] == 0)
					continue;              /* late: already counted lost */
				latency_sum += (double)(at - s->sent_at[id]) / 1e9;
				s->sent_at[id] = 0;
				s->outstanding--;
				completed++;
				rcodes[in[k][3] & 15]++;
				resp_bytes += im[k].msg_len;
				last_answer = at;
				any = true;
			}
			waiting += s->outstanding;
		}
		if (now >= next_sweep) {             /* unanswered past the timeout: lost */
			next_sweep = now + 50000000LL;
			for (int i = 0; i < nsock; i++)
				for (unsigned id = 0; id < IDS && socks[i].outstanding; id++)
					if (socks[i].sent_at[id] && now - socks[i].sent_at[id] > tmo) {
						socks[i].sent_at[id] = 0;
						socks[i].outstanding--;
						lost++;
					}
		}
		if (!sending && waiting == 0)
			break;
		if (!any)
			(void)poll(pfd, (nfds_t)nsock, 1);
	}
	for (int i = 0; i < nsock; i++) {
		lost += socks[i].outstanding;
		close(socks[i].fd);
		free(socks[i].sent_at);
	}
	free(qs);
	double run = (double)((last_answer > end ? last_answer : end) - start) / 1e9;
	printf("Statistics:\n\n");
	printf("  Queries sent:         %llu\n", (unsigned long long)sent);
	printf("  Queries completed:    %llu (%.2f%%)\n", (unsigned long long)completed,
	       sent ? 100.0 * completed / sent : 0.0);
	printf("  Queries lost:         %llu (%.2f%%)\n\n", (unsigned long long)lost,
	       sent ? 100.0 * lost / sent : 0.0);
	printf("  Response codes:       ");
	const char *sep = "";
	for (int rc = 0; rc < 16; rc++) {
		char b[16];
		if (rcodes[rc] == 0)
			continue;
		printf("%s%s %llu (%.2f%%)", sep, rcode_name(rc, b, sizeof(b)),
		       (unsigned long long)rcodes[rc], 100.0 * rcodes[rc] / completed);
		sep = ", ";
	}
	printf("\n  Average packet size:  request %llu, response %llu\n",
	       (unsigned long long)(sent ? req_bytes / sent : 0),
	       (unsigned long long)(completed ? resp_bytes / completed : 0));
	printf("  Run time (s):         %.6f\n", run);
	printf("  Queries per second:   %.6f\n\n", run > 0 ? completed / run : 0.0);
	printf("  Average Latency (s):  %.6f\n", completed ? latency_sum / completed : 0.0);
	return 0;
}
