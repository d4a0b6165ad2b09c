/*
 * Items run on a few threads at once, for work that waits (on the network, say) more than it
 * computes: the publish step's verifying fetches. Threads last one call.
 */
#ifndef LS_PARALLEL_H
#define LS_PARALLEL_H

#include <stddef.h>

#define PARALLEL_THREADS_MAX 256

/*
 * Runs fn(i, arg) once for each i in [0, n) on up to nthreads threads (the caller's among
 * them; fewer when threads cannot start), taking items in order. Once an fn returns
 * non-zero, no further item starts. Returns 0, or the first non-zero code an fn returned.
 */
int parallel_run(size_t n, unsigned nthreads, int (*fn)(size_t i, void *arg), void *arg);

#endif
