/* Address prefixes: parsing operators' text and matching peers' socket addresses. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include "shared/util/addr.h"
#include "shared/util/prefix.h"

int prefix_parse(const char *text, struct prefix *p)
{
	char host[ADDR_TEXT_MAX];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);
	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, text, n);
	host[n] = '\0';
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, host, p->addr) == 1)
		p->family = AF_INET;
	else if (inet_pton(AF_INET6, host, p->addr) == 1)
		p->family = AF_INET6;
	else
		return -1;
	unsigned max = p->family == AF_INET ? 32 : 128, len = max;
	if (slash) {
		const char *d = slash + 1;
		size_t digits = strspn(d, "0123456789");
		if (digits == 0 || digits > 3 || d[digits])
			return -1;
		len = 0;
		for (size_t i = 0; i < digits; i++)
			len = len * 10 + (unsigned)(d[i] - '0');
		if (len > max)
			return -1;
	}
	p->len = (uint8_t)len;
	for (unsigned bit = len; bit < max; bit++)
		if (p->addr[bit / 8] & (0x80 >> (bit % 8)))
			return -1;
	return 0;
}

int prefix_list_parse(const char *text, const char *word, bool *seen, struct prefix *out,
                      size_t max, size_t *n)
{
	char w[ADDR_TEXT_MAX + 8];
	*n = 0;
	if (seen)
		*seen = false;
	while (*text) {
		size_t len = strcspn(text, " \t");
		if (len == 0) {
			text++;
			continue;
		}
		if (len >= sizeof(w))
			return -1;
		memcpy(w, text, len);
		w[len] = '\0';
		text += len;
		if (word && seen && strcmp(w, word) == 0) {
			*seen = true;
			continue;
		}
		if (*n == max || prefix_parse(w, &out[*n]) != 0)
			return -1;
		(*n)++;
	}
	return 0;
}

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool prefix_match(const struct prefix *p, const struct sockaddr *a)
{
	const uint8_t *b;
	if (a->sa_family == AF_INET) {
		if (p->family != AF_INET)
			return false;
		b = (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
	} else if (a->sa_family == AF_INET6) {
		b = ((const struct sockaddr_in6 *)a)->sin6_addr.s6_addr;
		if (p->family == AF_INET) {
			if (memcmp(b, v4mapped, sizeof(v4mapped)) != 0)
				return false;
			b += sizeof(v4mapped);
		}
	} else {
		return false;
	}
	size_t whole = p->len / 8;
	unsigned rest = p->len % 8;
	if (memcmp(b, p->addr, whole) != 0)
		return false;
	return rest == 0 || ((b[whole] ^ p->addr[whole]) & (0xff00 >> rest) & 0xff) == 0;
}
