/* A dnsd worker thread: its sockets, buffers and counters; answering one query and logging it. */
#ifndef DNSD_WORKER_H
#define DNSD_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>
#include "dnsd/answer.h"
#include "dnsd/pkt.h"
#include "dnsd/stats.h"
#include "shared/util/config.h"
#include "shared/util/daemon.h"
#include "shared/util/listen_set.h"
#include "shared/store/store.h"
#include "shared/util/worker_pool.h"

#define UDP_BATCH 16                 /* datagrams per recvmmsg/sendmmsg */
#define UDP_SLOT 65536               /* libuv's buffer slot per datagram with recvmmsg */
#define UDP_ANSWER_MAX 4096          /* udp-max-size's upper bound */
#define TCP_MAX_QUERY 4096           /* larger TCP queries close the connection */

/* What every worker reads: set up once by main, before the workers start. */
struct dnsd_env {
	struct store *st;
	const struct config *cfg;   /* swapped by SIGHUP: read it with dnsd_env_cfg() */
	struct answer_opts opts;
	struct cookie_secrets cookies;   /* opts.cookies points here when cookies are on */
	struct rrl rrl;                  /* shared by the workers; opts.rrl when it is on */
};

/* The configuration in force; one that SIGHUP replaced stays valid until dnsd exits. */
static inline const struct config *dnsd_env_cfg(const struct dnsd_env *e)
{
	return __atomic_load_n(&e->cfg, __ATOMIC_ACQUIRE);
}

/* A UDP answer waiting for sendmmsg. */
struct dnsd_udp_out {
	uint8_t buf[UDP_ANSWER_MAX];
	size_t len;
	struct sockaddr_storage to;
	socklen_t tolen;
};

/* A query of a recvmmsg batch, held until the batch is in: its answer is looked up with the
 * others' (answer_cache_prefetch). msg points into rxbuf, valid until the batch ends. */
struct dnsd_udp_in {
	const uint8_t *msg;
	size_t len;
	uint64_t hash;
	struct sockaddr_storage from;
};

struct dnsd_worker {
	struct worker_pool_thread t;     /* loop, thread, read transaction, TCP connections */
	const struct dnsd_env *env;
	uv_udp_t udp[LISTEN_SET_SLOTS];  /* by listen slot (shared/util/listen_set.h) */
	uv_tcp_t tcp[LISTEN_SET_SLOTS];
	char *rxbuf;                     /* recvmmsg slots */
	struct dnsd_udp_out *out;        /* answers waiting for sendmmsg */
	size_t nout;
	uv_udp_t *out_handle;
	struct dnsd_udp_in in[UDP_BATCH];   /* queries of the batch being received */
	size_t nin;
	uv_udp_t *in_handle;
	uv_idle_t drain;                 /* reads the sockets in drain (udp.c) */
	uint32_t draining;               /* the listen slots read by drain, not by libuv */
	size_t batch_got;                /* datagrams of libuv's recvmmsg batch so far */
	uint64_t batch_start;            /* ns: when the batch's first query came in; 0: none yet */
	uint64_t batch_answered;         /* queries of the batch answered since the last sendmmsg */
	uint8_t tcp_answer[2 + PKT_MAX];  /* scratch: TCP answers go out from here */
	struct stats stats;
	struct answer_cache cache;       /* answers of the current snapshot (answer-cache) */
	uint32_t rrl_limited;            /* this worker's limited answers, for the slip */
};

/*
 * Answers the query msg[0..len) from peer into out (at most outlen bytes), in the worker's
 * read transaction (renewed here; the caller ends it with worker_pool_txn_done), counts it and
 * writes its log lines; the caller times it (stats_latency). Returns the answer's length, 0
 * for no answer.
 */
size_t dnsd_worker_answer(struct dnsd_worker *w, const uint8_t *msg, size_t len, uint8_t *out,
                          size_t outlen, bool tcp, const struct sockaddr *peer);

#endif
