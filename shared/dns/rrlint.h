/*
 * Record text checks ldns does not make: numbers it would wrap (TTLs, 16-bit fields),
 * the RFC 1035 class-before-TTL order it refuses, and plain reasons for its refusals.
 */
#ifndef LS_RRLINT_H
#define LS_RRLINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RRLINT_TOKENS 64

struct ldns_struct_rr;

/* A record line split into blank-separated tokens (quoted strings whole). */
struct rr_fields {
	const char *tok[RRLINT_TOKENS];
	size_t len[RRLINT_TOKENS];
	int n;
	int owner, ttl, class, type;   /* token indexes, -1 when absent */
};

/* Splits text; false when it has more tokens than are kept (checks then stay silent). */
bool rrlint_split(const char *text, struct rr_fields *f);
/* A TTL or time: digits with optional s/m/h/d/w units, at most 2^32 - 1. */
bool rrlint_period(const char *s, size_t len, uint32_t *out);
/*
 * The line with the class moved behind the TTL (ldns reads only TTL before class),
 * malloc'ed; NULL when the order is already right.
 */
char *rrlint_reorder(const char *text, const struct rr_fields *f);
/* A plainer reason for an ldns refusal, when one can be found; false otherwise. */
bool rrlint_explain(const struct rr_fields *f, const uint8_t *origin, char *err, size_t len);
/* Values ldns accepted by wrapping them: false with the reason in err. */
bool rrlint_ranges(const struct rr_fields *f, const struct ldns_struct_rr *rr, char *err,
                   size_t len);

#endif
