/* SOA serial numbers: RFC 1982 arithmetic and the serial policies. */
#ifndef LS_SERIAL_H
#define LS_SERIAL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

enum serial_policy {
	SERIAL_INCREMENT,   /* serial + 1 */
	SERIAL_DATECOUNTER, /* YYYYMMDDnn of today (UTC), or + 1 when that is not ahead */
	SERIAL_UNIXTIME,    /* seconds since the epoch, or + 1 when that is not ahead */
};

/* RFC 1982 3.2: true when a is greater than b. */
bool serial_gt(uint32_t a, uint32_t b);
/* The serial after old under policy, at time now. Always serial_gt(result, old). */
uint32_t serial_next(uint32_t old, enum serial_policy policy, time_t now);
int serial_policy_parse(const char *s, enum serial_policy *out);
const char *serial_policy_name(enum serial_policy p);

#endif
