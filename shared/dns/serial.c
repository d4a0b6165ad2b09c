/* RFC 1982 serial arithmetic and the three serial policies. */
#include <string.h>
#include "shared/dns/serial.h"

bool serial_gt(uint32_t a, uint32_t b)
{
	/* RFC 1982: undefined when the distance is exactly 2^31; treat it as not greater. */
	return a != b && (uint32_t)(a - b) < 0x80000000u;
}

uint32_t serial_next(uint32_t old, enum serial_policy policy, time_t now)
{
	uint32_t want = old + 1;
	uint32_t cand = want;
	if (policy == SERIAL_DATECOUNTER) {
		struct tm tm;
		gmtime_r(&now, &tm);
		cand = (uint32_t)(tm.tm_year + 1900) * 1000000u + (uint32_t)(tm.tm_mon + 1) * 10000u +
		       (uint32_t)tm.tm_mday * 100u;
	} else if (policy == SERIAL_UNIXTIME) {
		cand = (uint32_t)now;
	}
	return serial_gt(cand, old) ? cand : want;
}

static const char *const names[] = {
	[SERIAL_INCREMENT] = "increment",
	[SERIAL_DATECOUNTER] = "dateserial",
	[SERIAL_UNIXTIME] = "unixtime",
};

int serial_policy_parse(const char *s, enum serial_policy *out)
{
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (enum serial_policy)i;
			return 0;
		}
	return -1;
}

const char *serial_policy_name(enum serial_policy p)
{
	return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p] : "?";
}
