/* Opt-in phase timestamps for benchmarks: with LOCKSTEP_TIMING=FILE in the environment, a
 * process notes CLOCK_MONOTONIC at named points and appends them to FILE in one line. */
#ifndef SHARED_UTIL_TIMING_H
#define SHARED_UTIL_TIMING_H

#define TIMING_ENV "LOCKSTEP_TIMING"
#define TIMING_MARKS_MAX 64   /* marks after these are dropped (and counted) */

/* Notes the time at what, a string that outlives the process (a literal). Costs a load and a
 * branch when LOCKSTEP_TIMING is unset; safe from any thread. */
void timing_mark(const char *what);

/*
 * Appends the marks noted so far to FILE as one line, "pid=P what=NS what=NS ...", NS the
 * CLOCK_MONOTONIC nanoseconds (the clock Python's time.monotonic_ns() reads), and forgets
 * them. 0 when done or disabled, else -errno.
 */
int timing_flush(void);

#endif
