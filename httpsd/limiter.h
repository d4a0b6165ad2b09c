/*
 * What a TLS handshake flood may take from httpsd: per client address (IPv4: the address;
 * IPv6: its /64, the block one host usually gets) a token bucket of new connections and a
 * count of handshakes in progress, a cap on handshakes in progress in all, and trusted
 * clients (httpsd.trusted: usually this host) that no limit applies to. Shared by
 * every worker, under one mutex; the per-address table has a fixed size.
 */
#ifndef HTTPSD_LIMITER_H
#define HTTPSD_LIMITER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "shared/util/config.h"
#include "shared/util/prefix.h"

#define LIMITER_SLOTS 8192        /* addresses tracked at once; memory stays fixed */
#define LIMITER_PROBE 16          /* slots an address may sit in; the first free one is used */
#define LIMITER_BURST 2           /* a bucket holds this many seconds of new connections */

/* The limits in force; 0 for a count or rate means no limit. */
struct limiter_settings {
	uint32_t max_handshakes;          /* in progress, over all addresses */
	uint32_t max_handshakes_per_addr; /* in progress, per address */
	uint32_t conns_per_second;        /* new connections, per address */
	uint32_t handshake_ms;            /* the handshake time bound of strangers */
	bool local;                       /* this host, 127.0.0.1 and ::1 are trusted */
	struct prefix trusted[PREFIX_LIST_MAX];
	size_t ntrusted;
};

/* Plain counters since start; any thread may read them (relaxed). */
struct limiter_counters {
	atomic_uint_fast64_t trusted;           /* connections that bypassed the limits */
	atomic_uint_fast64_t admitted;          /* other connections let in */
	atomic_uint_fast64_t refused_rate;      /* over new-connections-per-second */
	atomic_uint_fast64_t refused_address;   /* over max-handshakes-per-address */
	atomic_uint_fast64_t refused_total;     /* over max-handshakes */
	atomic_uint_fast64_t refused_table;     /* no slot for the address: table full of busy ones */
	atomic_uint_fast64_t handshake_timeouts; /* strangers closed at handshake-timeout */
};

enum limiter_verdict {
	LIMITER_TRUSTED,      /* let in, nothing counted */
	LIMITER_ADMIT,        /* let in, one handshake counted: call limiter_done() once */
	LIMITER_RATE,         /* the rest are refusals */
	LIMITER_ADDRESS,
	LIMITER_TOTAL,
	LIMITER_TABLE,
};

struct limiter_slot;

struct limiter {
	pthread_mutex_t mu;
	struct limiter_settings set;
	struct limiter_slot *slots;       /* LIMITER_SLOTS */
	uint64_t seed;                    /* keys the slot hash, so no one aims at one slot */
	uint32_t handshakes;              /* in progress, counted ones */
	struct limiter_counters count;
};

/* The settings cfg's httpsd section gives. Returns 0, or -1 for a trusted list that does not
 * parse (config_load() has checked it already). */
int limiter_settings_read(struct limiter_settings *set, const struct config *cfg);
/* Returns 0 or -ENOMEM; free with limiter_free() either way. */
int limiter_init(struct limiter *l, const struct limiter_settings *set);
void limiter_free(struct limiter *l);
/* New limits, for every worker's next connection (SIGHUP); counts in progress are kept. */
void limiter_set(struct limiter *l, const struct limiter_settings *set);
/* The handshake time bound in force, in milliseconds. */
uint32_t limiter_handshake_ms(struct limiter *l);
/* Handshakes of strangers in progress now, over all workers. */
uint32_t limiter_handshakes(struct limiter *l);
/*
 * A new connection from peer, which reached the local address local (NULL: unknown) at
 * now_ms (a monotonic clock): trusted, admitted (a handshake counted), or why not. Refusals
 * and admissions are counted in l->count.
 */
enum limiter_verdict limiter_admit(struct limiter *l, const struct sockaddr *peer,
                                   const struct sockaddr *local, uint64_t now_ms);
/* Whether peer is a trusted client (as limiter_admit() decides it), nothing counted. */
bool limiter_trusted(struct limiter *l, const struct sockaddr *peer,
                     const struct sockaddr *local);
/* The handshake limiter_admit() counted for peer has ended (done, failed or closed). */
void limiter_done(struct limiter *l, const struct sockaddr *peer);
/* The counters as one line for the log; returns buf. */
const char *limiter_counters_text(struct limiter_counters *c, char *buf, size_t size);
/* A name for a refusal verdict, for logs: "new-connections-per-second" and so on. */
const char *limiter_reason(enum limiter_verdict v);

#endif
