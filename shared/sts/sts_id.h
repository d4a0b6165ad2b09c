/* MTA-STS ids: time-derived, strictly increasing per domain, never reused. */
#ifndef LS_STS_ID_H
#define LS_STS_ID_H

#include <stdint.h>
#include "shared/sts/sts_record.h"

/*
 * The id after prev ("" for none) at time now: the UTC time as YYYYMMDDhhmmss followed by 00,
 * or prev + 1 when that would not be greater: the next id of the same second (...01, ...02:
 * still that second's time), or after a clock that went back. Ids of the older 14-digit form
 * are always smaller.
 * out holds STS_ID_MAX + 1 bytes. Returns 0 or LS_EPARSE when prev is not all digits.
 */
int sts_id_next(const char *prev, int64_t now, char out[STS_ID_MAX + 1]);
/* True for 1 to 32 ASCII letters or digits (RFC 8461 3.1). */
int sts_id_valid(const char *id);

#endif
