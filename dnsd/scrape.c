/*
 * dnsd's metrics, rendered at each scrape from the counters the workers keep (relaxed atomics,
 * summed here: nothing is added to the answer path but the increments) and from the store.
 */
#include <stddef.h>
#include <time.h>
#include "dnsd/scrape.h"
#include "dnsd/updater.h"
#include "shared/acme/acme_problem.h"
#include "shared/acme/acme_record.h"
#include "shared/sts/sts_record.h"

#define SUM(field) stats_sum(w, n, offsetof(struct stats, field))
#define AT(field, i) stats_sum(w, n, offsetof(struct stats, field) + (size_t)(i) * \
                               sizeof(((struct stats *)0)->field[0]))

static void counter(struct metrics_buf *b, const char *name, const char *help, uint64_t v)
{
	metrics_family(b, name, "counter", help);
	metrics_u64(b, name, NULL, v);
}

static void gauge(struct metrics_buf *b, const char *name, const char *help, double v)
{
	metrics_family(b, name, "gauge", help);
	metrics_double(b, name, NULL, v);
}

static void queries(struct metrics_buf *b, const struct stats *w, size_t n)
{
	metrics_family(b, "dnsd_queries_total", "counter", "Queries received, by transport.");
	metrics_u64(b, "dnsd_queries_total", (const char *[]){ "transport", "udp", NULL }, SUM(udp));
	metrics_u64(b, "dnsd_queries_total", (const char *[]){ "transport", "tcp", NULL }, SUM(tcp));
	metrics_family(b, "dnsd_queries_by_type_total", "counter",
	               "Queries answered, by question type (types not named are \"other\").");
	for (int t = 0; t < ST_NTYPES; t++)
		metrics_u64(b, "dnsd_queries_by_type_total",
		            (const char *[]){ "type", stats_type_names[t], NULL }, AT(type, t));
	metrics_family(b, "dnsd_responses_total", "counter", "Answers sent, by rcode.");
	for (int r = 0; r < STATS_RCODES; r++)
		metrics_u64(b, "dnsd_responses_total",
		            (const char *[]){ "rcode", stats_rcode_names[r], NULL }, AT(rcode, r));
	metrics_u64(b, "dnsd_responses_total", (const char *[]){ "rcode", "BADVERS", NULL },
	            SUM(badvers));
	metrics_u64(b, "dnsd_responses_total", (const char *[]){ "rcode", "BADCOOKIE", NULL },
	            SUM(badcookie));
	metrics_u64(b, "dnsd_responses_total", (const char *[]){ "rcode", "other", NULL },
	            SUM(rcode_other));
	counter(b, "dnsd_queries_dropped_total",
	        "Queries given no answer (malformed, or the store could not be read).", SUM(dropped));
	counter(b, "dnsd_responses_truncated_total", "UDP answers sent with TC set.",
	        SUM(truncated));
	counter(b, "dnsd_queries_edns_total", "Queries with an EDNS OPT record.", SUM(edns));
	counter(b, "dnsd_answers_cached_total",
	        "Answers taken from the answer cache (answer-cache) instead of built.", SUM(cached));
	counter(b, "dnsd_tcp_refused_total",
	        "TCP connections closed at once: tcp-max-clients or tcp-max-per-address reached.",
	        SUM(tcp_refused));
	counter(b, "dnsd_tcp_timeouts_total",
	        "TCP connections closed by tcp-idle-timeout or tcp-io-timeout.", SUM(tcp_timeout));
	counter(b, "dnsd_tcp_evicted_total",
	        "TCP connections closed, idle longest, to make way for a new one in a full table.",
	        SUM(tcp_evicted));
	counter(b, "dnsd_udp_drains_total",
	        "Times a UDP socket that kept filling whole batches was read off epoll (drain).",
	        SUM(udp_drains));
	counter(b, "dnsd_xdp_queries_total",
	        "UDP queries read through AF_XDP (dnsd.xdp-listen); they count in the totals too.",
	        SUM(xdp));
	counter(b, "dnsd_xdp_dropped_total",
	        "Queries read through AF_XDP left unanswered: every answer frame was still in flight.",
	        SUM(xdp_dropped));
	metrics_family(b, "dnsd_rrl_total", "counter",
	               "UDP answers over the response rate limit: dropped, or slipped (sent with TC).");
	metrics_u64(b, "dnsd_rrl_total", (const char *[]){ "action", "dropped", NULL },
	            SUM(rrl_dropped));
	metrics_u64(b, "dnsd_rrl_total", (const char *[]){ "action", "slipped", NULL },
	            SUM(rrl_slipped));
	metrics_family(b, "dnsd_cookies_total", "counter",
	               "Queries with a DNS COOKIE: client cookie only, a server cookie not ours, valid.");
	metrics_u64(b, "dnsd_cookies_total", (const char *[]){ "kind", "client", NULL },
	            SUM(cookie_client));
	metrics_u64(b, "dnsd_cookies_total", (const char *[]){ "kind", "bad", NULL },
	            SUM(cookie_bad));
	metrics_u64(b, "dnsd_cookies_total", (const char *[]){ "kind", "valid", NULL },
	            SUM(cookie_valid));

	uint64_t buckets[STATS_LATENCY_N + 1];
	for (size_t i = 0; i <= STATS_LATENCY_N; i++)
		buckets[i] = AT(latency, i);
	metrics_family(b, "dnsd_answer_duration_seconds", "histogram",
	               "Time from a query in hand to its answer made (UDP: its batch's answers sent).");
	metrics_histogram(b, "dnsd_answer_duration_seconds", NULL, stats_latency_bounds, buckets,
	                  STATS_LATENCY_N, (double)SUM(latency_ns) / 1e9);

	metrics_family(b, "dnsd_transfers_total", "counter", "Zone transfers started, by type.");
	metrics_u64(b, "dnsd_transfers_total", (const char *[]){ "type", "axfr", NULL },
	            AT(xfr, SX_AXFR));
	metrics_u64(b, "dnsd_transfers_total", (const char *[]){ "type", "ixfr", NULL },
	            AT(xfr, SX_IXFR));
	counter(b, "dnsd_transfers_refused_total",
	        "AXFR and IXFR queries refused (not a secondary, TSIG, AXFR over UDP).",
	        AT(xfr, SX_REFUSED));
	counter(b, "dnsd_transfers_failed_total",
	        "Transfers cut short by a store error.", AT(xfr, SX_FAILED));
}

static void updates(struct metrics_buf *b)
{
	struct updater_counts u;
	updater_counts(&u);
	metrics_family(b, "dnsd_updates_total", "counter",
	               "DNS UPDATE requests: applied, allowed with nothing to change, refused (any "
	               "error rcode), not run because too many were pending.");
	metrics_u64(b, "dnsd_updates_total", (const char *[]){ "result", "applied", NULL },
	            u.applied);
	metrics_u64(b, "dnsd_updates_total", (const char *[]){ "result", "unchanged", NULL },
	            u.unchanged);
	metrics_u64(b, "dnsd_updates_total", (const char *[]){ "result", "refused", NULL },
	            u.refused);
	metrics_u64(b, "dnsd_updates_total", (const char *[]){ "result", "busy", NULL }, u.busy);
}

static void notify(struct metrics_buf *b, const struct notifier *nt)
{
	counter(b, "dnsd_notify_sent_total", "NOTIFY messages sent to secondaries (retries too).",
	        nt->sent);
	counter(b, "dnsd_notify_answered_total", "NOTIFY answers received with NOERROR.",
	        nt->answered);
	counter(b, "dnsd_notify_refused_total", "NOTIFY answers received with an error rcode.",
	        nt->refused);
	counter(b, "dnsd_notify_failed_total",
	        "NOTIFYs given up: no answer after every try, or none could be made.", nt->failed);
}

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

static void publisher(struct metrics_buf *b, const struct publisher *p)
{
	const struct publisher_counters *k = &p->count;
	uint64_t buckets[PUBLISHER_LATENCY_N + 1];
	for (size_t i = 0; i <= PUBLISHER_LATENCY_N; i++)
		buckets[i] = LOAD(k->latency[i]);
	metrics_family(b, "dnsd_mtasts_publish_latency_seconds", "histogram",
	               "Time from the commit of a policy change to its id published, for the "
	               "publishes this dnsd made (whole seconds).");
	metrics_histogram(b, "dnsd_mtasts_publish_latency_seconds", NULL, publisher_latency_bounds,
	                  buckets, PUBLISHER_LATENCY_N, (double)LOAD(k->latency_sum));
	counter(b, "dnsd_mtasts_rotations_total", "Ids rotated with the policy unchanged.",
	        LOAD(k->rotations));
	counter(b, "dnsd_mtasts_publish_waits_total",
	        "Publish tries that found an endpoint not serving the policy yet.", LOAD(k->waits));
	counter(b, "dnsd_mtasts_publish_errors_total", "Runs of the publish step the store failed.",
	        LOAD(k->failures));
}

static void acme_counters(struct metrics_buf *b, const struct publisher_counters *k)
{
	counter(b, "dnsd_acme_orders_started_total",
	        "New ACME orders this dnsd began (resumed orders not counted).",
	        LOAD(k->acme_started));
	counter(b, "dnsd_acme_orders_finished_total",
	        "ACME order runs of this dnsd that ended with a certificate in place.",
	        LOAD(k->acme_issued));
	counter(b, "dnsd_acme_orders_failed_total",
	        "ACME order runs of this dnsd that failed (retried after the back-off).",
	        LOAD(k->acme_failed));
	metrics_family(b, "dnsd_acme_problems_total", "counter",
	               "Failed ACME order runs of this dnsd by the CA's problem type (short name) or "
	               "this client's own; types not known are \"other\". Only types seen are shown.");
	for (unsigned i = 0; i < ACME_PROBLEM_N; i++) {
		uint64_t v = LOAD(k->acme_problems[i]);
		if (v)
			metrics_u64(b, "dnsd_acme_problems_total",
			            (const char *[]){ "type", acme_problem_names[i], NULL }, v);
	}
}

struct acme_tally {
	uint64_t by_state[ACME_FAILED + 1];
	int64_t renew_at;             /* the earliest of the certificates issued; 0: none */
};

static int count_acme(const struct acme_cert *c, void *ctx)
{
	struct acme_tally *a = ctx;
	if ((unsigned)c->state <= ACME_FAILED)
		a->by_state[c->state]++;
	if ((c->state == ACME_ISSUED || c->state == ACME_RENEWING) && c->renew_at &&
	    (a->renew_at == 0 || c->renew_at < a->renew_at))
		a->renew_at = c->renew_at;
	return 0;
}

/* ACME names by state, from the store (zonectl's orders count too). */
static void acme_gauges(struct metrics_buf *b, const struct acme_tally *a, int64_t now)
{
	metrics_family(b, "dnsd_acme_certificates", "gauge",
	               "Certificate names in the ACME step, by state.");
	for (int s = ACME_QUEUED; s <= ACME_FAILED; s++)
		metrics_u64(b, "dnsd_acme_certificates",
		            (const char *[]){ "state", acme_state_name(s), NULL }, a->by_state[s]);
	gauge(b, "dnsd_acme_queue_length",
	      "Names waiting for their turn under acme.orders-per-hour.",
	      (double)a->by_state[ACME_QUEUED]);
	metrics_family(b, "dnsd_acme_next_renew_seconds", "gauge",
	               "Seconds until the earliest renew_at of the certificates issued (negative: "
	               "overdue); no sample when none is.");
	if (a->renew_at)
		metrics_double(b, "dnsd_acme_next_renew_seconds", NULL, (double)(a->renew_at - now));
}

struct waiting {
	uint64_t n;
	int64_t oldest;
};

static int count_waiting(const struct sts_domain *d, void *ctx)
{
	struct waiting *wt = ctx;
	if (d->state != STS_REMOVED && d->version != d->published) {
		wt->n++;
		if (wt->oldest == 0 || d->version_time < wt->oldest)
			wt->oldest = d->version_time;
	}
	return 0;
}

/* From the store, so publishes and orders zonectl made count too. */
static int domains(struct metrics_buf *b, struct store *st)
{
	struct store_txn t;
	struct waiting wt = { 0, 0 };
	struct acme_tally a = { { 0 }, 0 };
	int rc = store_begin(st, false, 0, &t);
	if (rc)
		return rc;
	rc = sts_record_each(&t, count_waiting, &wt);
	if (rc == 0)
		rc = acme_record_each(&t, count_acme, &a);
	store_abort(&t);
	if (rc)
		return rc;
	gauge(b, "dnsd_mtasts_domains_waiting",
	      "Domains whose newest policy's id is not published yet.", (double)wt.n);
	gauge(b, "dnsd_mtasts_oldest_waiting_seconds",
	      "Unix time of the commit the longest-waiting domain waits to publish; 0 when none "
	      "waits.", (double)wt.oldest);
	acme_gauges(b, &a, (int64_t)time(NULL));
	return 0;
}

int scrape_render(void *arg, struct metrics_buf *b)
{
	struct scrape *s = arg;
	static struct stats w[WORKER_POOL_MAX];    /* main loop only */
	size_t n = s->nworkers;
	for (size_t i = 0; i < n; i++)
		w[i] = s->w[i].stats;
	metrics_family(b, "dnsd_build_info", "gauge", "Always 1; the labels say which dnsd runs.");
	metrics_u64(b, "dnsd_build_info", (const char *[]){ "version", s->version, NULL }, 1);
	gauge(b, "dnsd_start_time_seconds", "Unix time at which dnsd started.",
	      (double)s->start_time);
	gauge(b, "dnsd_workers", "Threads answering queries.", (double)n);
	gauge(b, "dnsd_xdp_queues",
	      "AF_XDP sockets reading queries (dnsd.xdp-listen): 0 without it, or once its "
	      "interface is gone.", s->xdp->open && !s->xdp->gone ? (double)s->xdp->nq : 0.0);
	queries(b, w, n);
	notify(b, s->notify);
	updates(b);
	publisher(b, s->pub);
	acme_counters(b, &s->pub->count);
	int rc = domains(b, s->st);
	if (rc == 0)
		rc = cert_metrics_write(&s->certs, b, "dnsd", (int64_t)time(NULL));
	return rc ? rc : metrics_buf_error(b);
}

void scrape_free(struct scrape *s)
{
	cert_metrics_free(&s->certs);
}
