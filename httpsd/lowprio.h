/*
 * CPU work that yields to the event loops: it runs on a few threads at nice LOWPRIO_NICE and
 * is handed over and waited for by a thread at normal priority (one of libuv's pool). Only
 * normal-priority threads talk to libuv: a niced thread calling uv_async_send() (as a pool
 * thread does when its work ends) is preempted by the loop it wakes before it finishes the
 * call, and the loop then spins in sched_yield() until it gets the CPU back (libuv 1.44's
 * uv__async_spin), which slowed policy fetches by three quarters under a flood of reports.
 *
 * When a thread may lower its nice value back (RLIMIT_NICE, which httpsd raises before it drops
 * root and systemd's LimitNICE sets, or CAP_SYS_NICE; tried once on a thread of its own), the
 * calling thread itself runs the work at LOWPRIO_NICE and returns to its own value before it
 * goes on: two thread hand-overs a report fewer, and the niced threads are never started.
 */
#ifndef HTTPSD_LOWPRIO_H
#define HTTPSD_LOWPRIO_H

#define LOWPRIO_NICE 10      /* reports take what the loops leave (a sender retries, a fetch not) */
#define LOWPRIO_THREADS 2    /* threads started on first use */

/* As root, before dropping it: raises RLIMIT_NICE so that a thread may return to nice 0. */
void lowprio_allow_return(void);

/* Runs fn(arg) niced (on this thread, or on a niced one: see above) and returns when it has
 * (inline at this thread's priority when neither is possible).
 * Blocks: never call it on an event loop. */
void lowprio_run(void (*fn)(void *arg), void *arg);

#endif
