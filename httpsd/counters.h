/* httpsd's counters (per worker, relaxed atomics) and the /metrics page made from them. */
#ifndef HTTPSD_COUNTERS_H
#define HTTPSD_COUNTERS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "httpsd/api/api_counters.h"
#include "httpsd/limiter.h"
#include "shared/tls/cert_metrics.h"
#include "shared/util/metrics.h"

/* Why a handshake did not finish. */
enum counters_hs {
	HS_NO_SNI,        /* a ClientHello without server_name: the unrecognized_name alert */
	HS_UNKNOWN_NAME,  /* no certificate for the name asked (or not an mta-sts name) */
	HS_CLOSED,        /* the client closed mid-handshake */
	HS_TIMEOUT,       /* header-timeout ran out */
	HS_ERROR,         /* any other failure: version, ciphers, a bad record */
	HS_N
};

/* What went wrong on a connection after its handshake. */
enum counters_err {
	ERR_HEADER_TIMEOUT,   /* a request head not complete within header-timeout */
	ERR_WRITE_TIMEOUT,    /* an answer not read within idle-timeout */
	ERR_TLS,              /* a bad TLS record: closed with an alert */
	ERR_IO,               /* a socket write failed */
	ERR_MEMORY,           /* out of memory */
	ERR_N
};

/* The statuses httpsd answers with; the last slot is any other. */
#define COUNTERS_STATUSES 200, 400, 404, 405, 408, 411, 413, 415, 421, 429, 431, 500, 503, 505
#define COUNTERS_NSTATUS 14

struct counters {
	atomic_uint_fast64_t accepted, refused;   /* connections: taken, closed by a limit */
	atomic_uint_fast64_t handshakes;          /* finished */
	atomic_uint_fast64_t hs_failed[HS_N];
	atomic_uint_fast64_t status[COUNTERS_NSTATUS + 1];
	atomic_uint_fast64_t errors[ERR_N];
};

#define COUNT(x) atomic_fetch_add_explicit(&(x), 1, memory_order_relaxed)

/* Counts an answer with status. */
void counters_status(struct counters *k, int status);

struct httpsd_worker;
struct clients;
struct certs;

/* What the page is made from; borrowed from the server, read on the main loop. */
struct tlsrpt_spool_log;

struct counters_page {
	const struct httpsd_worker *w;
	size_t nworkers;
	struct clients *clients;                  /* connections open now */
	struct limiter *limiter;                  /* handshake flood limits and their counts */
	const char *version;
	int64_t start_time;
	struct cert_metrics certs;                /* owned: counters_page_free() */
	const struct api_counters *api;           /* the API process's, or NULL (no API) */
	struct certs *cache;                      /* the certificate cache: hits, misses, evictions */
	struct tlsrpt_spool_log *spool;           /* POST /tlsrpt's group commit, or NULL */
};

/* metrics_http's render callback (arg: a struct counters_page). 0 or a negative code. */
int counters_render(void *arg, struct metrics_buf *b);
void counters_page_free(struct counters_page *p);

#endif
