/* Address-and-port parsing shared by the daemons' listen addresses, the zones' secondaries and
 * the MTA-STS endpoints, and the socket addresses made from them. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/addr.h"

int addr_parse(const char *text, int default_port, int *family, uint8_t addr[16],
               uint16_t *port)
{
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
		char *end;
		unsigned long v = strtoul(p, &end, 10);
		if (*p == 0 || *end || v > 65535)
			return -1;
		*port = (uint16_t)v;
	} else if (default_port < 0) {
		return -1;
	} else {
		*port = (uint16_t)default_port;
	}
	if (inet_pton(AF_INET, host, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, host, addr) == 1)
		*family = AF_INET6;
	else
		return -1;
	return 0;
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
