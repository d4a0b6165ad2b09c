/*
 * The checks only the owner can make, for a domain with MTA-STS enabled in the local store:
 * every secondary serves the published id, every httpsd endpoint the current body, and no
 * publish step is waiting.
 */
#ifndef LS_CHECK_OWN_H
#define LS_CHECK_OWN_H

#include <stddef.h>
#include <stdint.h>
#include "shared/check/check.h"

#define CHECK_OWN_SECONDARIES 16   /* secondaries asked per zone */

/* Adds secondary-stale, endpoint-stale, state-waiting to r; nothing for a domain the store
 * does not have enabled. 0, or a negative code with err (the store failed). */
int check_own(const char *domain, const struct check_opts *o, int64_t deadline,
              struct check_result *r, char *err, size_t errlen);

#endif
