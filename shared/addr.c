/* Address-and-port parsing shared by dnsd's listen addresses and the zones' secondaries. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "shared/addr.h"

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
