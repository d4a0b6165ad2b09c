/*
 * A daemon's listen addresses as SIGHUP changes them: each address is a slot, and each worker
 * has its own sockets of the slot (SO_REUSEPORT), bound on the main thread and opened in
 * libuv handles by the worker on its own loop. An address kept is never touched; a new one is
 * bound and handed to the workers; one removed is closed by each worker once nothing is queued
 * on its sockets, while the connections it accepted go on.
 */
#ifndef LS_LISTEN_SET_H
#define LS_LISTEN_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include "shared/util/daemon.h"

#define LISTEN_SET_SLOTS (2 * DAEMON_MAX_LISTEN)  /* the addresses in force and those closing */
#define LISTEN_SET_KINDS 2               /* sockets per address and worker: UDP and TCP */
#define LISTEN_SET_DRAIN_MS 1000         /* a removed socket still busy after this closes anyway */
#define LISTEN_SET_RETRY_MS 5            /* how often a worker looks again at a busy one */

struct listen_set;

/*
 * Opens the bound socket fd (kind: the index into the set's types) of slot in a handle on the
 * worker arg's loop and starts it. On success the handle owns fd and *h points at it; on
 * failure fd is closed and no handle is left open.
 */
typedef int (*listen_set_start_fn)(void *arg, size_t slot, size_t kind, int fd, uv_handle_t **h);

/* One worker's side: touched by the main thread only under the set's lock. */
struct listen_worker {
	struct listen_set *set;
	void *arg;                                       /* the daemon's worker */
	int fd[LISTEN_SET_SLOTS][LISTEN_SET_KINDS];      /* bound, not yet in a handle: else -1 */
	uv_handle_t *h[LISTEN_SET_SLOTS][LISTEN_SET_KINDS];  /* open handles (worker thread) */
	bool open[LISTEN_SET_SLOTS], closing[LISTEN_SET_SLOTS];
	uint64_t closing_since[LISTEN_SET_SLOTS];        /* uv_now() when the slot went */
	uv_async_t wake;                                 /* the main thread changed the set */
	uv_timer_t retry;                                /* a removed socket still had work */
	bool attached;
};

struct listen_set {
	uv_mutex_t lock;
	struct daemon_addr addr[LISTEN_SET_SLOTS];
	bool active[LISTEN_SET_SLOTS];
	size_t holders[LISTEN_SET_SLOTS];   /* workers whose sockets of the slot are still open */
	int types[LISTEN_SET_KINDS];        /* SOCK_DGRAM, SOCK_STREAM */
	size_t nkinds;
	struct listen_worker *w;
	size_t nworkers;
	listen_set_start_fn start;
	bool fixed;                         /* --listen given: the configuration's list is not used */
	bool lock_ok;
};

/* What a daemon's set is made of. */
struct listen_set_opts {
	size_t nworkers;
	const int *types;                   /* each address's sockets: SOCK_DGRAM, SOCK_STREAM */
	size_t nkinds;
	listen_set_start_fn start;
	bool fixed;                         /* the addresses came from --listen */
};

/*
 * At start, before dropping privileges: the set for o, with every address of a[0..n) bound
 * for every worker once none of them is taken by another server. Returns 0, or a negative
 * code with the address and why in err; free with listen_set_free() either way.
 */
int listen_set_open(struct listen_set *ls, const struct listen_set_opts *o,
                    const struct daemon_addr *a, size_t n, char *err, size_t errlen);
/*
 * Worker i's handles (wake, retry) on loop, and its sockets opened through start(arg, ...):
 * on the main thread before the worker runs. Returns 0 or the first libuv error.
 */
int listen_set_attach(struct listen_set *ls, size_t i, uv_loop_t *loop, void *arg);
/*
 * SIGHUP on the main thread: the addresses become those of list (the text of option in file,
 * as the configuration has it): kept ones stay as they are, new ones are bound and handed to
 * the workers, removed ones closed by them once drained. An address that cannot be opened is
 * logged with the reason and removes nothing (the sockets in force stay). With fixed set
 * (--listen), a changed list (old_list before) is only logged. Returns the number of
 * addresses added or removed.
 */
size_t listen_set_reload(struct listen_set *ls, const char *old_list, const char *list,
                         const char *option, const char *file);
/* The addresses in force joined by ", " into buf; returns buf. */
const char *listen_set_text(struct listen_set *ls, char *buf, size_t len);
/* Closes the sockets no worker took; after the workers' loops are closed. */
void listen_set_free(struct listen_set *ls);

#endif
