/* Hand-written parser for the common record types; declines anything it is not sure of. */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include "shared/dns/rrfast.h"
#include "shared/dns/rrlint.h"
#include "shared/dns/wire.h"
#include "shared/store/zone_check.h"     /* T_* type numbers */

#define FAST_TOKENS 24
#define FAST_RDATA 2048

struct tok {
	const char *s;
	size_t len;
};

/* Splits on blanks; a quoted string is one token (quotes kept). False when odd. */
static int tokenize(const char *s, struct tok *t, int max)
{
	int n = 0;
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == 0)
			break;
		if (n == max)
			return -1;
		const char *b = s;
		if (*s == '"') {
			for (s++; *s && *s != '"'; s++)
				if (*s == '\\' && *++s == 0)
					return -1;
			if (*s++ != '"' || (*s && *s != ' ' && *s != '\t'))
				return -1;
		} else {
			for (; *s && *s != ' ' && *s != '\t'; s++) {
				/* A comment or a parenthesis means to ldns what it does in a master file. */
				if (*s == '"' || *s == ';' || *s == '(' || *s == ')')
					return -1;
				if (*s == '\\' && *++s == 0)
					return -1;
			}
		}
		t[n].s = b;
		t[n].len = (size_t)(s - b);
		n++;
	}
	return n;
}

static bool is(const struct tok *t, const char *word)
{
	return strlen(word) == t->len && strncasecmp(t->s, word, t->len) == 0;
}

static bool u16(const struct tok *t, uint16_t *out)
{
	uint32_t v = 0;
	if (t->len == 0 || t->len > 5)
		return false;
	for (size_t i = 0; i < t->len; i++) {
		if (!isdigit((unsigned char)t->s[i]))
			return false;
		v = v * 10 + (uint32_t)(t->s[i] - '0');
	}
	if (v > 65535)
		return false;
	*out = (uint16_t)v;
	return true;
}

/* A name token into out, made lower case (canonical form for storage). Returns length or -1. */
static int name(const struct tok *t, const uint8_t *origin, uint8_t *out)
{
	char buf[DNAME_STR_MAX + 1];
	if (t->len >= sizeof(buf) || t->len == 0)
		return -1;
	memcpy(buf, t->s, t->len);
	buf[t->len] = 0;
	/* ldns treats a lone "." and "@" like we do; names with escapes, quoted ones (only
	 * character-strings are quoted) or that start with '@' ("@." is the origin to ldns),
	 * are its business. */
	if (memchr(buf, '\\', t->len) || buf[0] == '"' || (buf[0] == '@' && t->len > 1))
		return -1;
	int n = dname_parse(out, buf, origin);
	if (n > 0)
		dname_lower(out);
	return n;
}

/* One character-string: quoted or bare, with \X and \DDD escapes. */
static int charstr(const struct tok *t, uint8_t *out, size_t room)
{
	const char *s = t->s, *e = t->s + t->len;
	if (*s == '"') {
		s++;
		e--;
	}
	size_t n = 0;
	while (s < e) {
		int c = (unsigned char)*s++;
		if (c == '\\') {
			if (s + 2 < e && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
			    isdigit((unsigned char)s[2])) {
				c = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
				if (c > 255)
					return -1;
				s += 3;
			} else if (s < e && !isdigit((unsigned char)*s)) {
				c = (unsigned char)*s++;
			} else {
				return -1;
			}
		}
		if (n == 255 || n + 2 > room)
			return -1;
		out[1 + n++] = (uint8_t)c;
	}
	out[0] = (uint8_t)n;
	return (int)n + 1;
}

/* RDATA of type from tokens t[0..n); returns its length or -1 to decline. */
static int rdata(uint16_t type, const struct tok *t, int n, const uint8_t *origin, uint8_t *rd)
{
	char ip[64];
	int len = 0, l;
	/* RFC 3597 "\#" data, anywhere: ldns gives it meanings of its own; leave it to ldns. */
	for (int i = 0; i < n; i++)
		if (t[i].len >= 2 && t[i].s[0] == '\\' && t[i].s[1] == '#')
			return -1;
	switch (type) {
	case T_A: case T_AAAA:
		if (n != 1 || t[0].len >= sizeof(ip))
			return -1;
		memcpy(ip, t[0].s, t[0].len);
		ip[t[0].len] = 0;
		if (inet_pton(type == T_A ? AF_INET : AF_INET6, ip, rd) != 1)
			return -1;
		return type == T_A ? 4 : 16;
	case T_NS: case T_CNAME: case 12 /* PTR */: case T_DNAME:
		return n == 1 ? name(&t[0], origin, rd) : -1;
	case T_MX: {
		uint16_t pref;
		if (n != 2 || !u16(&t[0], &pref))
			return -1;
		wire_put16(rd, pref);
		l = name(&t[1], origin, rd + 2);
		return l < 0 ? -1 : l + 2;
	}
	case 33: /* SRV */ {
		uint16_t v[3];
		if (n != 4 || !u16(&t[0], &v[0]) || !u16(&t[1], &v[1]) || !u16(&t[2], &v[2]))
			return -1;
		for (int i = 0; i < 3; i++)
			wire_put16(rd + 2 * i, v[i]);
		l = name(&t[3], origin, rd + 6);
		return l < 0 ? -1 : l + 6;
	}
	case T_SOA: {
		if (n != 7)
			return -1;
		int m = name(&t[0], origin, rd);
		int r = m < 0 ? -1 : name(&t[1], origin, rd + m);
		if (r < 0)
			return -1;
		len = m + r;
		for (int i = 2; i < 7; i++) {
			uint32_t v;
			/* The serial is a number; time units are for the timers (NSD, Knot). */
			if (!rrlint_period(t[i].s, t[i].len, &v))
				return -1;
			for (size_t c = 0; i == 2 && c < t[i].len; c++)
				if (!isdigit((unsigned char)t[i].s[c]))
					return -1;
			wire_put32(rd + len, v);
			len += 4;
		}
		return len;
	}
	case T_TXT:
		if (n < 1)
			return -1;
		for (int i = 0; i < n; i++) {
			l = charstr(&t[i], rd + len, (size_t)(FAST_RDATA - len));
			if (l < 0)
				return -1;
			len += l;
		}
		return len;
	}
	return -1;
}

static uint16_t fast_type(const struct tok *t)
{
	static const struct { const char *name; uint16_t type; } types[] = {
		{ "A", T_A }, { "AAAA", T_AAAA }, { "NS", T_NS }, { "CNAME", T_CNAME },
		{ "PTR", 12 }, { "DNAME", T_DNAME }, { "MX", T_MX }, { "TXT", T_TXT },
		{ "SOA", T_SOA }, { "SRV", 33 },
	};
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (is(t, types[i].name))
			return types[i].type;
	return 0;
}

bool rrfast_parse(struct rr_parser *p, const char *text, struct rr *out)
{
	struct tok t[FAST_TOKENS];
	uint8_t owner[DNAME_MAX], rd[FAST_RDATA];
	const uint8_t *origin = rr_parser_origin(p);
	int olen, i = 1;
	bool blank = text[0] == ' ' || text[0] == '\t';
	int n = tokenize(text, t, FAST_TOKENS);
	if (n < 2 || origin == NULL)
		return false;
	if (blank) {
		if (!p->have_prev_wire)
			return false;
		olen = dname_wire_len(p->prev_wire, DNAME_MAX);
		memcpy(owner, p->prev_wire, (size_t)olen);
		i = 0;
	} else if ((olen = name(&t[0], origin, owner)) < 0) {
		return false;
	}
	uint32_t ttl = 0;
	bool have_ttl = false, have_class = false;
	/* [TTL] [class] or [class] [TTL] (RFC 1035 5.1), then the type. */
	for (int k = 0; k < 2 && i < n; k++) {
		if (!have_ttl && isdigit((unsigned char)t[i].s[0])) {
			if (!rrlint_period(t[i].s, t[i].len, &ttl))
				return false;
			have_ttl = true;
			i++;
		} else if (!have_class && is(&t[i], "IN")) {
			have_class = true;
			i++;
		}
	}
	if (i >= n)
		return false;
	uint16_t type = fast_type(&t[i]);
	if (type == 0)
		return false;
	int rdlen = rdata(type, &t[i + 1], n - i - 1, origin, rd);
	if (rdlen < 0)
		return false;
	out->owner = rr_parser_owner(p, owner, (size_t)olen);
	out->rdata = arena_dup(p->a, rd, (size_t)rdlen);
	if (out->owner == NULL || out->rdata == NULL)
		return false;
	out->type = type;
	out->rdlen = (uint16_t)rdlen;
	out->file = NULL;
	out->line = 0;
	out->ttl = rr_parser_ttl(p, have_ttl, ttl);
	memcpy(p->prev_wire, owner, (size_t)olen);
	p->have_prev_wire = true;
	p->prev_stale = true;
	return true;
}
