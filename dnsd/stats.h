/* Query counters: per worker, summed and written to the state directory for `zonectl stats`. */
#ifndef DNSD_STATS_H
#define DNSD_STATS_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include "dnsd/answer.h"

#define STATS_FILE "dnsd.stats"

#define STATS_RCODES 11            /* header rcodes counted by name: NOERROR (0) to NOTZONE (10) */

/* Types counted by name; the rest go under "other". */
enum stats_type { ST_A, ST_AAAA, ST_MX, ST_TXT, ST_NS, ST_SOA, ST_CNAME, ST_SRV, ST_PTR, ST_CAA,
                  ST_DS, ST_ANY, ST_OTHER, ST_NTYPES };

/* Upper bounds (seconds) of the answer time histogram's buckets: the answer path takes a few
 * microseconds, a slow store read or a big TCP answer milliseconds. */
#define STATS_LATENCY_BOUNDS 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, \
                             0.0025, 0.005, 0.01, 0.1
#define STATS_LATENCY_N 11

/* Transfers: started (AXFR, IXFR), refused by the ACL or TSIG, ended early by a store error. */
enum stats_xfr { SX_AXFR, SX_IXFR, SX_REFUSED, SX_FAILED, SX_N };

struct stats {
	atomic_uint_fast64_t udp, tcp, dropped, truncated, edns, cached;
	atomic_uint_fast64_t rcode[STATS_RCODES];  /* NOERROR .. NOTZONE (UPDATE's among them) */
	atomic_uint_fast64_t badvers, badcookie, rcode_other, tcp_refused, tcp_timeout, tcp_evicted;
	atomic_uint_fast64_t rrl_dropped, rrl_slipped;
	atomic_uint_fast64_t udp_drains;     /* sockets gone from epoll to drain (udp.c) */
	atomic_uint_fast64_t xdp, xdp_dropped;   /* queries read through AF_XDP; no frame free */
	atomic_uint_fast64_t cookie_client, cookie_bad, cookie_valid;
	atomic_uint_fast64_t type[ST_NTYPES];
	/* Only for /metrics (zonectl stats shows the counters above). */
	atomic_uint_fast64_t latency[STATS_LATENCY_N + 1];   /* per bucket, the last above all */
	atomic_uint_fast64_t latency_ns;                     /* the sum */
	atomic_uint_fast64_t xfr[SX_N];
};

extern const double stats_latency_bounds[STATS_LATENCY_N];
extern const char *const stats_type_names[ST_NTYPES];
extern const char *const stats_rcode_names[STATS_RCODES];

/* Counts one answered (or dropped) query; only s's worker calls it (one writer), readers sum. */
void stats_count(struct stats *s, const struct answer_info *info, int tcp);
/* Counts n answers that each took ns nanoseconds (a UDP batch goes out at once) in its bucket. */
void stats_latency(struct stats *s, uint64_t ns, uint64_t n);
/* The sum of counter field over n workers' stats (offset: offsetof(struct stats, field)). */
uint64_t stats_sum(const struct stats *w, size_t n, size_t offset);
/* Writes the sum of n workers' counters as "name value" lines. */
void stats_write(const struct stats *w, size_t n, FILE *out);

#endif
