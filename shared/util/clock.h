/* The monotonic clock: deadlines, rate limits, pauses and durations that a change of the
 * wall clock must not move. */
#ifndef SHARED_UTIL_CLOCK_H
#define SHARED_UTIL_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
int64_t clock_mono_ms(void);
/* CLOCK_MONOTONIC in nanoseconds: durations of microseconds (dnsd's answer times). */
uint64_t clock_mono_ns(void);
/* CLOCK_MONOTONIC in seconds, with the fraction: durations that feed metrics in seconds. */
double clock_mono_s(void);

#endif
