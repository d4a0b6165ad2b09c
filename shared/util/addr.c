/* Address-and-port parsing shared by the daemons' listen addresses, the zones' secondaries and
 * the MTA-STS endpoints, and the socket addresses made from them. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/addr.h"

#define PORT_DIGITS_MAX 5

/* A port as operators write it: 1 to 5 decimal digits, at most 65535; nothing else. */
static int port_parse(const char *p, uint16_t *port)
{
	unsigned long v = 0;
	size_t n = 0;
	for (; p[n] >= '0' && p[n] <= '9'; n++)
		v = v * 10 + (unsigned long)(p[n] - '0');
	if (n == 0 || n > PORT_DIGITS_MAX || p[n] || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int addr_parse(const char *text, int default_port, int *family, uint8_t addr[16],
               uint16_t *port)
{
	bool bracketed = text[0] == '[';
	char host[ADDR_TEXT_MAX];
	const char *p = NULL;
	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (end == NULL || (size_t)(end - text - 1) >= sizeof(host) || (end[1] && end[1] != ':'))
			return -1;
		memcpy(host, text + 1, (size_t)(end - text - 1));
		host[end - text - 1] = 0;
		p = end[1] ? end + 2 : NULL;
	} else if (strchr(text, ':') != strrchr(text, ':')) {
		if (strlen(text) >= sizeof(host))
			return -1;
		strcpy(host, text);          /* a bare IPv6 address: a port needs the brackets */
	} else {
		const char *colon = strchr(text, ':');
		size_t n = colon ? (size_t)(colon - text) : strlen(text);
		if (n >= sizeof(host))
			return -1;
		memcpy(host, text, n);
		host[n] = 0;
		p = colon ? colon + 1 : NULL;
	}
	if (p) {
		if (port_parse(p, port) != 0)
			return -1;
	} else if (default_port < 0) {
		return -1;
	} else {
		*port = (uint16_t)default_port;
	}
	/* Brackets are for IPv6 only ("[192.0.2.1]:53" is a typo, not an address). */
	if (!bracketed && inet_pton(AF_INET, host, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, host, addr) == 1)
		*family = AF_INET6;
	else
		return -1;
	return 0;
}

int addr_ifport_parse(const char *text, char ifname[16], uint16_t *port)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_:";
	const char *at = strrchr(text, '@');
	size_t n = at ? (size_t)(at - text) : 0;
	if (n == 0 || n > 15 || strspn(text, ok) < n || port_parse(at + 1, port) != 0 || *port == 0)
		return -1;
	memcpy(ifname, text, n);
	ifname[n] = 0;
	return 0;
}

size_t addr_bytes(const struct sockaddr *a, uint8_t out[16])
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (a->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)a)->sin_addr, 4);
		return 4;
	}
	if (a->sa_family != AF_INET6)
		return 0;
	const uint8_t *b = ((const struct sockaddr_in6 *)a)->sin6_addr.s6_addr;
	if (memcmp(b, v4mapped, sizeof(v4mapped)) == 0) {
		memcpy(out, b + 12, 4);
		return 4;
	}
	memcpy(out, b, 16);
	return 16;
}

socklen_t addr_sockaddr(int family, const uint8_t addr[16], uint16_t port,
                        struct sockaddr_storage *out)
{
	memset(out, 0, sizeof(*out));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)out;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		memcpy(&a6->sin6_addr, addr, 16);
		return sizeof(*a6);
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)out;
	a4->sin_family = AF_INET;
	a4->sin_port = htons(port);
	memcpy(&a4->sin_addr, addr, 4);
	return sizeof(*a4);
}
