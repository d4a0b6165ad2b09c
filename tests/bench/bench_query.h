/* A DNS query in wire form for the benchmarks' C clients (id_watch.c, udp_load.c): one
 * question, class IN, id 0 (each send sets its own), no EDNS. */
#ifndef BENCH_QUERY_H
#define BENCH_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* NAME (dotted, a trailing dot or "." alone allowed) and TYPE into q; the length, or 0 when
 * a label is empty or over 63 bytes, or the query would pass cap. rd: the RD flag. */
static inline size_t bench_query(unsigned char *q, size_t cap, const char *name, int type,
                                 bool rd)
{
	size_t n = 12;
	if (cap < n + 5)
		return 0;
	memset(q, 0, n);
	q[2] = rd ? 1 : 0;
	q[5] = 1;                     /* QDCOUNT */
	while (*name && strcmp(name, ".") != 0) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);
		if (len == 0 || len > 63 || n + len + 1 + 5 > cap)
			return 0;
		q[n++] = (unsigned char)len;
		memcpy(q + n, name, len);
		n += len;
		name += len + (dot != NULL);
	}
	q[n++] = 0;
	q[n++] = (unsigned char)(type >> 8), q[n++] = (unsigned char)type;
	q[n++] = 0, q[n++] = 1;       /* IN */
	return n;
}

#endif
