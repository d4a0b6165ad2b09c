/* Query counters: per worker, summed and written to the state directory for `zonectl stats`. */
#ifndef DNSD_STATS_H
#define DNSD_STATS_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include "dnsd/answer.h"

#define STATS_FILE "dnsd.stats"

/* Types counted by name; the rest go under "other". */
enum stats_type { ST_A, ST_AAAA, ST_MX, ST_TXT, ST_NS, ST_SOA, ST_CNAME, ST_SRV, ST_PTR, ST_CAA,
                  ST_DS, ST_ANY, ST_OTHER, ST_NTYPES };

struct stats {
	atomic_uint_fast64_t udp, tcp, dropped, truncated, edns;
	atomic_uint_fast64_t rcode[6];            /* NOERROR .. REFUSED */
	atomic_uint_fast64_t badvers, badcookie, tcp_refused, tcp_timeout, tcp_evicted;
	atomic_uint_fast64_t rrl_dropped, rrl_slipped;
	atomic_uint_fast64_t cookie_client, cookie_bad, cookie_valid;
	atomic_uint_fast64_t type[ST_NTYPES];
};

/* Counts one answered (or dropped) query; relaxed atomics, the reader only sums. */
void stats_count(struct stats *s, const struct answer_info *info, int tcp);
/* Writes the sum of n workers' counters as "name value" lines. */
void stats_write(const struct stats *w, size_t n, FILE *out);

#endif
