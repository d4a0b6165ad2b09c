/* The monotonic clock in milliseconds: deadlines, rate limits and pauses that a change of the
 * wall clock must not move. */
#ifndef SHARED_UTIL_CLOCK_H
#define SHARED_UTIL_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds. */
int64_t clock_mono_ms(void);

#endif
