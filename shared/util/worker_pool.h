/*
 * The worker threads both daemons run: one libuv loop each, started and stopped from the main
 * loop (which also waits for SIGTERM/SIGINT and reopens the log file on SIGUSR1), each with a
 * store read transaction kept for its life and renewed per batch of requests, and a list of
 * the connections it has open.
 */
#ifndef LS_WORKER_POOL_H
#define LS_WORKER_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>
#include "shared/store/store.h"

#define WORKER_POOL_MAX 64       /* threads; --workers is checked against it */

/* A connection a thread has open; close ends it (and unlinks it with worker_pool_conn_del). */
struct worker_pool_conn {
	struct worker_pool_conn *next, **prevp;
	void (*close)(struct worker_pool_conn *c);
};

struct worker_pool_thread {
	int index;
	uv_loop_t loop;
	uv_thread_t thread;
	uv_async_t stop;
	struct store_txn rt;             /* the read transaction, renewed per batch */
	MDB_cursor *cur;                 /* on STORE_RRSETS, when asked for at init */
	bool loop_ok, store_ok, renewed;
	bool stopping;                   /* set on the thread when the pool stops */
	struct worker_pool_conn *conns;
	size_t nconns;
};

struct worker_pool {
	uv_loop_t loop;                  /* the main loop: signals, and the daemon's own timers */
	uv_signal_t term, intr;
	uv_signal_t reopen;              /* SIGUSR1: log_reopen() */
	uv_signal_t hup;                 /* SIGHUP: reload(reload_arg) on the main loop */
	void (*reload)(void *arg);
	void *reload_arg;
	struct worker_pool_thread *t[WORKER_POOL_MAX];
	size_t n, started;
	int stop_signal;                 /* the signal worker_pool_wait() returned on */
	bool loop_ok;
};

/*
 * The main loop and its signal handlers, then init(arg, i) for each of n workers: it calls
 * worker_pool_add() and opens the worker's sockets. Returns 0, or the first error. Free with
 * worker_pool_free() either way.
 */
int worker_pool_init(struct worker_pool *p, size_t n, int (*init)(void *arg, size_t i),
                     void *arg);
/*
 * Adds thread t (inside the daemon's own worker struct) to the pool: its loop, its stop
 * handle and a read transaction on st (with a cursor on STORE_RRSETS when cursor is set; a
 * store that does not open leaves store_ok false and worker_pool_txn() failing). The daemon
 * then opens its sockets on t->loop. Returns 0 or a libuv error.
 */
int worker_pool_add(struct worker_pool *p, struct worker_pool_thread *t, struct store *st,
                    bool cursor);
/* SIGHUP calls fn(arg) on the main loop (the daemon re-reads its configuration); without,
 * SIGHUP is logged and changes nothing. It never ends the daemon. */
void worker_pool_on_reload(struct worker_pool *p, void (*fn)(void *arg), void *arg);
/* Starts a thread per worker. Returns 0 or a libuv error (those started keep running). */
int worker_pool_start(struct worker_pool *p);
/* Runs the main loop until SIGTERM or SIGINT; returns the signal. */
int worker_pool_wait(struct worker_pool *p);
/* Stops the started threads (each closes its connections and handles) and joins them. */
void worker_pool_stop(struct worker_pool *p);
/* Closes what is left on every loop, the main one last, and the read transactions. */
void worker_pool_free(struct worker_pool *p);

/* The read transaction for a batch of requests: renewed on first use, reset at the end. */
bool worker_pool_txn(struct worker_pool_thread *t);
void worker_pool_txn_done(struct worker_pool_thread *t);

/*
 * A new connection's two handles on t's loop, a stream and a timer (their data set to data),
 * the stream accepted from server and the peer's address in *peer (left as it was when the
 * peer has gone already). Returns 0 or a libuv error; either way both handles are open and
 * the caller closes them.
 */
int worker_pool_accept(struct worker_pool_thread *t, uv_stream_t *server, uv_tcp_t *tcp,
                       uv_timer_t *timer, void *data, struct sockaddr_storage *peer);
void worker_pool_conn_add(struct worker_pool_thread *t, struct worker_pool_conn *c,
                          void (*close)(struct worker_pool_conn *c));
/* Unlinks c; does nothing the second time. */
void worker_pool_conn_del(struct worker_pool_thread *t, struct worker_pool_conn *c);

#endif
