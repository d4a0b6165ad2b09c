/* Counters, counted by the workers and summed by the main thread. */
#include <stddef.h>
#include "dnsd/query.h"
#include "dnsd/stats.h"
#include "shared/store/zone_check.h"

const char *const stats_type_names[ST_NTYPES] = {
	"A", "AAAA", "MX", "TXT", "NS", "SOA", "CNAME", "SRV", "PTR", "CAA", "DS", "ANY", "other",
};
const char *const stats_rcode_names[STATS_RCODES] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
	"NXRRSET", "NOTAUTH", "NOTZONE",
};

static enum stats_type type_of(uint16_t t)
{
	switch (t) {
	case T_A: return ST_A;
	case T_AAAA: return ST_AAAA;
	case T_MX: return ST_MX;
	case T_TXT: return ST_TXT;
	case T_NS: return ST_NS;
	case T_SOA: return ST_SOA;
	case T_CNAME: return ST_CNAME;
	case 33: return ST_SRV;
	case 12: return ST_PTR;
	case 257: return ST_CAA;
	case 43: return ST_DS;
	case T_ANY: return ST_ANY;
	default: return ST_OTHER;
	}
}

/* Each worker writes only its own counters, on its own thread: a plain add, no locked
 * instruction; the relaxed atomic store keeps the summing reader's loads whole. */
#define ADD(x, n) atomic_store_explicit(&(x), atomic_load_explicit(&(x), memory_order_relaxed) \
                                        + (n), memory_order_relaxed)
#define INC(x) ADD(x, 1)

void stats_count(struct stats *s, const struct answer_info *info, int tcp)
{
	if (tcp)
		INC(s->tcp);
	else
		INC(s->udp);
	if (info->dropped) {
		INC(s->dropped);
		return;
	}
	if (info->rrl_dropped)
		INC(s->rrl_dropped);
	if (info->rrl_slipped)
		INC(s->rrl_slipped);
	if (info->cookie == COOKIE_CLIENT_ONLY)
		INC(s->cookie_client);
	else if (info->cookie == COOKIE_BAD)
		INC(s->cookie_bad);
	else if (info->cookie == COOKIE_VALID)
		INC(s->cookie_valid);
	INC(s->type[type_of(info->qtype)]);
	if (info->rcode < STATS_RCODES)
		INC(s->rcode[info->rcode]);
	else if (info->rcode == RCODE_BADCOOKIE)
		INC(s->badcookie);
	else if (info->rcode == RCODE_BADVERS)
		INC(s->badvers);
	else
		INC(s->rcode_other);
	if (info->truncated)
		INC(s->truncated);
	if (info->edns)
		INC(s->edns);
	if (info->cached)
		INC(s->cached);
}

const double stats_latency_bounds[STATS_LATENCY_N] = { STATS_LATENCY_BOUNDS };

void stats_latency(struct stats *s, uint64_t ns, uint64_t n)
{
	/* The bounds in nanoseconds, as integers: no floating point per query. */
	static const uint64_t ns_bounds[STATS_LATENCY_N] = { 10000, 25000, 50000, 100000, 250000,
	                                                      500000, 1000000, 2500000, 5000000,
	                                                      10000000, 100000000 };
	size_t i = 0;
	while (i < STATS_LATENCY_N && ns > ns_bounds[i])
		i++;
	ADD(s->latency[i], n);
	ADD(s->latency_ns, ns * n);
}

uint64_t stats_sum(const struct stats *w, size_t n, size_t off)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v += atomic_load_explicit((const atomic_uint_fast64_t *)((const char *)&w[i] + off),
		                          memory_order_relaxed);
	return v;
}

#define SUM(field) (unsigned long long)stats_sum(w, n, offsetof(struct stats, field))

void stats_write(const struct stats *w, size_t n, FILE *out)
{
	fprintf(out, "queries.udp %llu\nqueries.tcp %llu\n", SUM(udp), SUM(tcp));
	fprintf(out, "queries.dropped %llu\nanswers.truncated %llu\nqueries.edns %llu\n",
	        SUM(dropped), SUM(truncated), SUM(edns));
	fprintf(out, "answers.cached %llu\n", SUM(cached));
	for (int r = 0; r < STATS_RCODES; r++)
		fprintf(out, "rcode.%s %llu\n", stats_rcode_names[r],
		        (unsigned long long)stats_sum(w, n, offsetof(struct stats, rcode) +
		                                      (size_t)r * sizeof(w->rcode[0])));
	fprintf(out, "rcode.BADVERS %llu\nrcode.BADCOOKIE %llu\nrcode.other %llu\n", SUM(badvers),
	        SUM(badcookie), SUM(rcode_other));
	for (int t = 0; t < ST_NTYPES; t++)
		fprintf(out, "qtype.%s %llu\n", stats_type_names[t],
		        (unsigned long long)stats_sum(w, n, offsetof(struct stats, type) +
		                                      (size_t)t * sizeof(w->type[0])));
	fprintf(out, "tcp.refused %llu\ntcp.timeout %llu\ntcp.evicted %llu\n", SUM(tcp_refused),
	        SUM(tcp_timeout), SUM(tcp_evicted));
	fprintf(out, "rrl.dropped %llu\nrrl.slipped %llu\n", SUM(rrl_dropped), SUM(rrl_slipped));
	fprintf(out, "udp.drains %llu\n", SUM(udp_drains));
	fprintf(out, "udp.xdp %llu\nudp.xdp-dropped %llu\n", SUM(xdp), SUM(xdp_dropped));
	fprintf(out, "cookies.client %llu\ncookies.bad %llu\ncookies.valid %llu\n",
	        SUM(cookie_client), SUM(cookie_bad), SUM(cookie_valid));
}
