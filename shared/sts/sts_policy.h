/* The MTA-STS policy body (RFC 8461 3.2): byte-identical text for the same inputs. */
#ifndef LS_STS_POLICY_H
#define LS_STS_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include "shared/sts/sts_record.h"

#define STS_POLICY_MX_MAX 256    /* mx lines in one policy */

/* A policy's inputs: patterns are host names or "*.suffix", any case, with or without a dot. */
struct sts_policy {
	enum sts_mode mode;
	uint32_t max_age;
	const char *mx[STS_POLICY_MX_MAX];
	size_t nmx;
};

/* Adds a pattern (borrowed until sts_policy_format). Returns 0 or LS_ETOOBIG. */
int sts_policy_add(struct sts_policy *p, const char *pattern);
/*
 * Writes the body: "version: STSv1", "mode", one "mx" per distinct pattern in sorted
 * order (lower case, no trailing dot), "max_age", CRLF line ends. Returns the length,
 * LS_ETOOBIG when it does not fit in cap, or LS_EPARSE for a pattern that is not one.
 */
int sts_policy_format(const struct sts_policy *p, char *out, size_t cap);
/* Checks an --mx-extra pattern: a host name in A-label form, or "*." and one. */
int sts_policy_pattern_check(const char *pattern);

#endif
