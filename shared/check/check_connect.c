/* --connect-to rules, as curl reads them: HOST:PORT:ADDR:PORT, IPv6 addresses in brackets. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "shared/util/addr.h"
#include "shared/check/check_connect.h"

struct rule {
	char host[256], addr[64];
	long port, to_port;   /* -1: any / keep */
};

/* One port field: "" is -1, else 1..65535; -2 when it is neither. */
static long port_field(const char *s, size_t n)
{
	if (n == 0)
		return -1;
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || (v = v * 10 + (s[i] - '0')) > 65535)
			return -2;
	}
	return v ? v : -2;
}

static int rule_parse(const char *text, struct rule *r)
{
	const char *c1 = strchr(text, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (c2 == NULL || (size_t)(c1 - text) >= sizeof(r->host))
		return -1;
	snprintf(r->host, sizeof(r->host), "%.*s", (int)(c1 - text), text);
	if ((r->port = port_field(c1 + 1, (size_t)(c2 - c1 - 1))) == -2)
		return -1;
	const char *a = c2 + 1, *c3;
	if (*a == '[') {
		const char *rb = strchr(a, ']');
		if (rb == NULL || rb[1] != ':')
			return -1;
		c3 = rb + 1;
	} else if ((c3 = strchr(a, ':')) == NULL) {
		return -1;
	}
	if ((size_t)(c3 - a) >= sizeof(r->addr))
		return -1;
	snprintf(r->addr, sizeof(r->addr), "%.*s", (int)(c3 - a), a);
	if ((r->to_port = port_field(c3 + 1, strlen(c3 + 1))) == -2)
		return -1;
	if (r->addr[0]) {
		/* An address, not a name; IPv6 only in brackets, or its colons read as the port's. */
		int family;
		uint8_t bytes[16];
		uint16_t port;
		char bare[64];
		bool br = r->addr[0] == '[';
		size_t al = strlen(r->addr);
		snprintf(bare, sizeof(bare), "%.*s", br ? (int)al - 2 : (int)al, r->addr + br);
		if (addr_parse(bare, 1, &family, bytes, &port) != 0 || (strchr(bare, ':') != NULL) != br)
			return -1;
	}
	return 0;
}

int check_connect_parse(const char *const *rules, size_t n, char *err, size_t errlen)
{
	struct rule r;
	for (size_t i = 0; i < n; i++) {
		if (rule_parse(rules[i], &r) != 0) {
			snprintf(err, errlen, "--connect-to '%s' is not HOST:PORT:ADDR:PORT (an IPv6 "
			         "address in brackets)", rules[i]);
			return -1;
		}
	}
	return 0;
}

bool check_connect_find(const char *const *rules, size_t n, const char *host, uint16_t port,
                        char *out, size_t cap, uint16_t *to_port)
{
	struct rule r;
	for (size_t i = 0; i < n; i++) {
		if (rule_parse(rules[i], &r) != 0)
			continue;
		if ((r.host[0] && strcasecmp(r.host, host) != 0) || (r.port >= 0 && r.port != port))
			continue;
		*to_port = r.to_port >= 0 ? (uint16_t)r.to_port : port;
		out[0] = 0;
		if (r.addr[0])
			snprintf(out, cap, "%s:%u", r.addr, *to_port);
		return true;
	}
	*to_port = port;
	return false;
}
