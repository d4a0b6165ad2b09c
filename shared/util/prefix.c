/* Prefix lists: parsed once, matched per packet without allocation. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/addr.h"
#include "shared/util/prefix.h"

/* The leading bits bytes of a and b agree. */
static bool same_bits(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, whole) != 0)
		return false;
	return rest == 0 || ((a[whole] ^ b[whole]) & (uint8_t)(0xff00u >> rest)) == 0;
}

int prefix_parse(const char *text, struct prefix *out)
{
	char host[ADDR_TEXT_MAX];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, text, n);
	host[n] = 0;
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, out->addr) == 1)
		out->family = AF_INET;
	else if (inet_pton(AF_INET6, host, out->addr) == 1)
		out->family = AF_INET6;
	else
		return -1;
	unsigned max = out->family == AF_INET ? 32 : 128;
	out->bits = max;
	if (slash) {
		char *end;
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		unsigned long b = strtoul(slash + 1, &end, 10);
		if (*end || b > max)
			return -1;
		out->bits = (unsigned)b;
	}
	/* 192.0.2.1/24 is most likely a typo for a single address or for 192.0.2.0/24. */
	static const uint8_t zero[16];
	uint8_t host_bits[16];
	for (unsigned i = 0; i < max / 8; i++) {
		unsigned keep = out->bits >= 8 * (i + 1) ? 8 : out->bits > 8 * i ? out->bits - 8 * i : 0;
		host_bits[i] = out->addr[i] & (uint8_t)~(0xff00u >> keep);
	}
	return memcmp(host_bits, zero, max / 8) == 0 ? 0 : -1;
}

int prefix_list_parse(const char *text, struct prefix *out, size_t max, size_t *n)
{
	char word[ADDR_TEXT_MAX];
	*n = 0;
	while (*text) {
		text += strspn(text, " \t");
		size_t len = strcspn(text, " \t");
		if (len == 0)
			break;
		if (len >= sizeof(word) || *n == max)
			return -1;
		memcpy(word, text, len);
		word[len] = 0;
		if (prefix_parse(word, &out[*n]) != 0)
			return -1;
		(*n)++;
		text += len;
	}
	return 0;
}

bool prefix_list_match(const struct prefix *list, size_t n, const struct sockaddr *sa)
{
	const uint8_t *a;
	int family = sa ? sa->sa_family : AF_UNSPEC;
	if (family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
	} else if (family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a)) {
			a += 12;
			family = AF_INET;
		}
	} else {
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (list[i].family == family && same_bits(a, list[i].addr, list[i].bits))
			return true;
	return false;
}
