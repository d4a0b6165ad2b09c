/* Address prefixes as operators write them: 192.0.2.0/24, 2001:db8::/32, or one address. */
#ifndef LS_PREFIX_H
#define LS_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PREFIX_LIST_MAX 64

struct prefix {
	int family;                /* AF_INET, AF_INET6 */
	uint8_t addr[16];
	unsigned bits;
};

/* One prefix ("ADDR" or "ADDR/BITS"); host bits must be zero. Returns 0 or -1. */
int prefix_parse(const char *text, struct prefix *out);
/* A blank-separated list of at most max prefixes into out[0..*n). Returns 0 or -1. */
int prefix_list_parse(const char *text, struct prefix *out, size_t max, size_t *n);
/* True when sa (an IPv4-mapped IPv6 address counts as IPv4) is in one of list[0..n). */
bool prefix_list_match(const struct prefix *list, size_t n, const struct sockaddr *sa);

#endif
