/* httpsd's counters: kept by the workers, summed at each scrape. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include "httpsd/certs.h"
#include "httpsd/counters.h"
#include "httpsd/worker.h"
#include "shared/rpt/tlsrpt_spool_log.h"

static const int statuses[COUNTERS_NSTATUS] = { COUNTERS_STATUSES };
static const char *const hs_names[HS_N] = { "no_sni", "unknown_name", "closed", "timeout",
                                            "error" };
static const char *const err_names[ERR_N] = { "header_timeout", "write_timeout", "tls", "io",
                                              "memory" };

void counters_status(struct counters *k, int status)
{
	size_t i = 0;
	while (i < COUNTERS_NSTATUS && statuses[i] != status)
		i++;
	COUNT(k->status[i]);
}

/* One counter (at byte offset off in struct counters) summed over the workers. */
static uint64_t sum(const struct counters_page *p, size_t off)
{
	uint64_t v = 0;
	for (size_t i = 0; i < p->nworkers; i++) {
		const char *k = (const char *)&p->w[i].count;
		v += atomic_load_explicit((const atomic_uint_fast64_t *)(k + off),
		                          memory_order_relaxed);
	}
	return v;
}

#define SUM(field) sum(p, offsetof(struct counters, field))

/* A family with one sample per name of names, labelled label. */
static void by(struct metrics_buf *b, const struct counters_page *p, const char *name,
               const char *help, const char *label, const char *const *names, size_t n,
               size_t off)
{
	metrics_family(b, name, "counter", help);
	for (size_t i = 0; i < n; i++)
		metrics_u64(b, name, (const char *[]){ label, names[i], NULL },
		            sum(p, off + i * sizeof(atomic_uint_fast64_t)));
}

/* POST /tlsrpt's group commit: how many reports each sync made durable. */
static void spool_render(struct metrics_buf *b, struct tlsrpt_spool_log *log)
{
	uint64_t records, syncs;
	if (log == NULL)
		return;
	tlsrpt_spool_log_stats(log, &records, &syncs);
	metrics_family(b, "httpsd_tlsrpt_spooled_total", "counter",
	               "TLS reports made durable in the spool (each answered 200).");
	metrics_u64(b, "httpsd_tlsrpt_spooled_total", NULL, records);
	metrics_family(b, "httpsd_tlsrpt_syncs_total", "counter",
	               "Syncs of the spool's segments; reports taken together share one.");
	metrics_u64(b, "httpsd_tlsrpt_syncs_total", NULL, syncs);
}

/* The certificate cache (httpsd: cert-cache:): how often a handshake found its name parsed. */
static void cache_render(struct metrics_buf *b, struct certs *c)
{
	struct certs_stats st;
	if (c == NULL)
		return;
	certs_stats_get(c, &st);
	static const char *const names[] = {
		"httpsd_cert_cache_hits_total", "httpsd_cert_cache_misses_total",
		"httpsd_cert_cache_evictions_total", "httpsd_cert_cache_reloads_total" };
	static const char *const helps[] = {
		"Certificate look-ups served from the cache.",
		"Certificate look-ups that read a name's files (not in the cache).",
		"Names dropped from the cache, least recently used first, to stay within cert-cache.",
		"Cached names read again because their files changed." };
	const uint64_t v[] = { st.hits, st.misses, st.evictions, st.reloads };
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		metrics_family(b, names[i], "counter", helps[i]);
		metrics_u64(b, names[i], NULL, v[i]);
	}
	metrics_family(b, "httpsd_cert_cache_entries", "gauge", "Names in the certificate cache now.");
	metrics_u64(b, "httpsd_cert_cache_entries", NULL, st.cached);
	metrics_family(b, "httpsd_cert_cache_size", "gauge", "The cache's bound (cert-cache).");
	metrics_u64(b, "httpsd_cert_cache_size", NULL, st.max);
}

int counters_render(void *arg, struct metrics_buf *b)
{
	struct counters_page *p = arg;
	char codes[COUNTERS_NSTATUS + 1][8];
	const char *code_names[COUNTERS_NSTATUS + 1];
	for (size_t i = 0; i < COUNTERS_NSTATUS; i++) {
		snprintf(codes[i], sizeof(codes[i]), "%d", statuses[i]);
		code_names[i] = codes[i];
	}
	code_names[COUNTERS_NSTATUS] = "other";

	metrics_family(b, "httpsd_build_info", "gauge", "Always 1; the labels say which httpsd runs.");
	metrics_u64(b, "httpsd_build_info", (const char *[]){ "version", p->version, NULL }, 1);
	metrics_family(b, "httpsd_start_time_seconds", "gauge", "Unix time at which httpsd started.");
	metrics_double(b, "httpsd_start_time_seconds", NULL, (double)p->start_time);
	metrics_family(b, "httpsd_workers", "gauge", "Threads serving connections.");
	metrics_u64(b, "httpsd_workers", NULL, p->nworkers);

	metrics_family(b, "httpsd_connections_accepted_total", "counter",
	               "Connections taken (within max-clients and max-per-address).");
	metrics_u64(b, "httpsd_connections_accepted_total", NULL, SUM(accepted));
	metrics_family(b, "httpsd_connections_refused_total", "counter",
	               "Connections closed at once: max-clients or max-per-address reached, or "
	               "httpsd stopping.");
	metrics_u64(b, "httpsd_connections_refused_total", NULL, SUM(refused));
	metrics_family(b, "httpsd_connections_open", "gauge", "Connections open now.");
	pthread_mutex_lock(&p->clients->mu);
	size_t open = p->clients->total;
	pthread_mutex_unlock(&p->clients->mu);
	metrics_u64(b, "httpsd_connections_open", NULL, open);

	struct limiter_counters *lc = &p->limiter->count;
	metrics_family(b, "httpsd_limiter_refused_total", "counter",
	               "Connections closed under a handshake flood, by the limit they hit.");
	static const char *const why[] = { "new-connections-per-second",
	                                   "max-handshakes-per-address", "max-handshakes", "table" };
	atomic_uint_fast64_t *const n[] = { &lc->refused_rate, &lc->refused_address,
	                                    &lc->refused_total, &lc->refused_table };
	for (size_t i = 0; i < sizeof(why) / sizeof(why[0]); i++)
		metrics_u64(b, "httpsd_limiter_refused_total", (const char *[]){ "limit", why[i], NULL },
		            atomic_load_explicit(n[i], memory_order_relaxed));
	metrics_family(b, "httpsd_limiter_trusted_total", "counter",
	               "Connections from trusted clients, which no limit applies to.");
	metrics_u64(b, "httpsd_limiter_trusted_total", NULL,
	            atomic_load_explicit(&lc->trusted, memory_order_relaxed));
	metrics_family(b, "httpsd_handshake_timeouts_total", "counter",
	               "Strangers' connections closed at handshake-timeout.");
	metrics_u64(b, "httpsd_handshake_timeouts_total", NULL,
	            atomic_load_explicit(&lc->handshake_timeouts, memory_order_relaxed));
	metrics_family(b, "httpsd_handshakes_in_progress", "gauge",
	               "Strangers' TLS handshakes in progress (max-handshakes caps them).");
	metrics_u64(b, "httpsd_handshakes_in_progress", NULL, limiter_handshakes(p->limiter));

	metrics_family(b, "httpsd_tls_handshakes_total", "counter", "TLS handshakes finished.");
	metrics_u64(b, "httpsd_tls_handshakes_total", NULL, SUM(handshakes));
	by(b, p, "httpsd_tls_handshake_failures_total", "TLS handshakes that did not finish, by why.",
	   "reason", hs_names, HS_N, offsetof(struct counters, hs_failed));
	by(b, p, "httpsd_responses_total",
	   "Answers sent, by status (\"other\" for any not listed).", "code", code_names,
	   COUNTERS_NSTATUS + 1, offsetof(struct counters, status));
	by(b, p, "httpsd_errors_total", "Connections ended by a problem after the handshake, by kind.",
	   "kind", err_names, ERR_N, offsetof(struct counters, errors));
	if (p->api)
		api_counters_render(p->api, b);
	cache_render(b, p->cache);
	spool_render(b, p->spool);
	int rc = cert_metrics_write(&p->certs, b, "httpsd", (int64_t)time(NULL));
	return rc ? rc : metrics_buf_error(b);
}

void counters_page_free(struct counters_page *p)
{
	cert_metrics_free(&p->certs);
}
