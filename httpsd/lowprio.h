/*
 * CPU work that yields to the event loops: it runs on a few threads at nice LOWPRIO_NICE and
 * is handed over and waited for by a thread at normal priority (one of libuv's pool). Only
 * normal-priority threads talk to libuv: a niced thread calling uv_async_send() (as a pool
 * thread does when its work ends) is preempted by the loop it wakes before it finishes the
 * call, and the loop then spins in sched_yield() until it gets the CPU back (libuv 1.44's
 * uv__async_spin), which slowed policy fetches by three quarters under a flood of reports.
 */
#ifndef HTTPSD_LOWPRIO_H
#define HTTPSD_LOWPRIO_H

#define LOWPRIO_NICE 10      /* reports take what the loops leave (a sender retries, a fetch not) */
#define LOWPRIO_THREADS 2    /* threads started on first use */

/* Runs fn(arg) on a niced thread and returns when it has (inline when no thread could start).
 * Blocks: never call it on an event loop. */
void lowprio_run(void (*fn)(void *arg), void *arg);

#endif
