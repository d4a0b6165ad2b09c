/* Address prefixes as operators write them (192.0.2.0/24, 2001:db8::/32, or one address), and
 * lists of them: httpsd's trusted clients. */
#ifndef LS_PREFIX_H
#define LS_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PREFIX_LIST_MAX 64       /* prefixes in one list */

struct prefix {
	int family;                  /* AF_INET or AF_INET6 */
	uint8_t addr[16];            /* bits past len are zero */
	uint8_t len;                 /* 0..32 or 0..128 */
};

/* "ADDR" or "ADDR/LEN" (no port, no brackets). Bits past LEN must be zero, so a typo like
 * 192.0.2.1/24 is refused rather than read as 192.0.2.0/24. Returns 0 or -1. */
int prefix_parse(const char *text, struct prefix *p);
/* Space-separated prefixes into out[0..*n); an empty text gives none. The list may also hold
 * word (NULL: no such word), which sets *seen (false otherwise). Returns 0, or -1 for a bad
 * word or more than max prefixes (out is then partly written). */
int prefix_list_parse(const char *text, const char *word, bool *seen, struct prefix *out,
                      size_t max, size_t *n);
/* True when a (AF_INET or AF_INET6; an IPv4-mapped IPv6 address counts as IPv4) is in p. */
bool prefix_match(const struct prefix *p, const struct sockaddr *a);

#endif
