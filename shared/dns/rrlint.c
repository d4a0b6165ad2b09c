/* Checks on record text around ldns: number ranges, field order, clearer refusals. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ldns/ldns.h>
#include "shared/dns/dname.h"
#include "shared/dns/rrlint.h"

static bool is_class(const char *s, size_t n)
{
	return (n == 2 && (strncasecmp(s, "IN", 2) == 0 || strncasecmp(s, "CH", 2) == 0 ||
	                   strncasecmp(s, "HS", 2) == 0)) ||
	       (n > 5 && strncasecmp(s, "CLASS", 5) == 0 && isdigit((unsigned char)s[5]));
}

bool rrlint_split(const char *text, struct rr_fields *f)
{
	const char *s = text;
	memset(f, 0, sizeof(*f));
	f->owner = f->ttl = f->class = f->type = -1;
	bool blank = *s == ' ' || *s == '\t';
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == 0)
			break;
		if (f->n == RRLINT_TOKENS)
			return false;
		const char *b = s;
		bool quote = false;
		for (; *s && (quote || (*s != ' ' && *s != '\t')); s++) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				quote = !quote;
		}
		f->tok[f->n] = b;
		f->len[f->n++] = (size_t)(s - b);
	}
	int i = 0;
	if (!blank && f->n > 0)
		f->owner = i++;
	for (int k = 0; k < 2 && i < f->n; k++) {
		if (f->ttl < 0 && isdigit((unsigned char)f->tok[i][0]))
			f->ttl = i++;
		else if (f->class < 0 && is_class(f->tok[i], f->len[i]))
			f->class = i++;
	}
	if (i < f->n)
		f->type = i;
	return true;
}

bool rrlint_period(const char *s, size_t len, uint32_t *out)
{
	uint64_t total = 0, cur = 0;
	bool digits = false;
	if (len == 0 || !isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = (char)tolower((unsigned char)s[i]);
		if (isdigit((unsigned char)c)) {
			cur = cur * 10 + (uint64_t)(c - '0');
			digits = true;
			if (cur > 0xffffffffu)
				return false;
			continue;
		}
		uint64_t mul = c == 's' ? 1 : c == 'm' ? 60 : c == 'h' ? 3600 : c == 'd' ? 86400
		             : c == 'w' ? 604800 : 0;
		if (mul == 0 || !digits)
			return false;
		total += cur * mul;
		cur = 0;
		digits = false;
		if (total > 0xffffffffu)
			return false;
	}
	total += cur;
	if (total > 0xffffffffu)
		return false;
	*out = (uint32_t)total;
	return true;
}

char *rrlint_reorder(const char *text, const struct rr_fields *f)
{
	if (f->class < 0 || f->ttl < 0 || f->class > f->ttl)
		return NULL;
	size_t len = strlen(text);
	char *s = malloc(len + 2), *p = s;
	if (s == NULL)
		return NULL;
	if (f->owner < 0)
		*p++ = ' ';
	else
		p += sprintf(p, "%.*s ", (int)f->len[f->owner], f->tok[f->owner]);
	p += sprintf(p, "%.*s %.*s ", (int)f->len[f->ttl], f->tok[f->ttl], (int)f->len[f->class],
	             f->tok[f->class]);
	const char *rest = f->type >= 0 ? f->tok[f->type] : "";
	strcpy(p, rest);
	return s;
}

/* Wire length of a name token (escapes counted as one octet); sets *label when one is too long. */
static size_t name_len(const char *s, size_t n, bool *label_long, bool *absolute)
{
	size_t total = 1, cur = 0;
	*label_long = false;
	*absolute = n > 0 && s[n - 1] == '.' && !(n > 1 && s[n - 2] == '\\');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			total += cur + (cur ? 1 : 0);
			cur = 0;
			continue;
		}
		if (s[i] == '\\')
			i += (i + 3 < n && isdigit((unsigned char)s[i + 1])) ? 3 : 1;
		if (++cur > 63)
			*label_long = true;
	}
	return total + cur + (cur ? 1 : 0);
}

static bool check_name(const char *s, size_t n, const uint8_t *origin, char *err, size_t len)
{
	bool label_long, absolute;
	if (n == 1 && (*s == '@' || *s == '.'))
		return false;
	size_t wire = name_len(s, n, &label_long, &absolute);
	if (!absolute && origin)
		wire += (size_t)dname_wire_len(origin, DNAME_MAX) - 1;
	if (label_long) {
		snprintf(err, len, "a label of '%.40s%s' is longer than 63 octets", s, n > 40 ? "..." : "");
		return true;
	}
	if (wire > DNAME_MAX) {
		snprintf(err, len, "name '%.40s%s' is longer than 255 octets%s", s, n > 40 ? "..." : "",
		         absolute ? "" : " with the origin");
		return true;
	}
	return false;
}

static bool known_type(const char *s, size_t n)
{
	char buf[32];
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	if (strncasecmp(buf, "TYPE", 4) == 0 && isdigit((unsigned char)buf[4]))
		return true;
	return ldns_get_rr_type_by_name(buf) != 0;
}

bool rrlint_explain(const struct rr_fields *f, const uint8_t *origin, char *err, size_t len)
{
	if (f->owner >= 0 && check_name(f->tok[f->owner], f->len[f->owner], origin, err, len))
		return true;
	if (f->type < 0) {
		snprintf(err, len, "no record type");
		return true;
	}
	if (!known_type(f->tok[f->type], f->len[f->type])) {
		snprintf(err, len, "unknown record type '%.*s'", (int)(f->len[f->type] > 32 ? 32 : f->len[f->type]),
		         f->tok[f->type]);
		return true;
	}
	char tn[32];
	snprintf(tn, sizeof(tn), "%.*s", (int)f->len[f->type], f->tok[f->type]);
	const ldns_rr_descriptor *d = ldns_rr_descript(ldns_get_rr_type_by_name(tn));
	for (int i = f->type + 1, k = 0; d && i < f->n && (size_t)k < ldns_rr_descriptor_maximum(d); i++, k++) {
		ldns_rdf_type t = ldns_rr_descriptor_field_type(d, (size_t)k);
		if (t == LDNS_RDF_TYPE_DNAME && check_name(f->tok[i], f->len[i], origin, err, len))
			return true;
		if (t != LDNS_RDF_TYPE_DNAME && t != LDNS_RDF_TYPE_INT8 && t != LDNS_RDF_TYPE_INT16 &&
		    t != LDNS_RDF_TYPE_INT32 && t != LDNS_RDF_TYPE_A && t != LDNS_RDF_TYPE_AAAA)
			break;    /* fields after this one may span several tokens */
	}
	return false;
}

static bool decimal(const char *s, size_t n, uint64_t *v)
{
	*v = 0;
	if (n == 0 || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		*v = *v * 10 + (uint64_t)(s[i] - '0');
	}
	return true;
}

bool rrlint_ranges(const struct rr_fields *f, const ldns_rr *rr, char *err, size_t len)
{
	uint32_t ttl;
	if (f->ttl >= 0 && !rrlint_period(f->tok[f->ttl], f->len[f->ttl], &ttl)) {
		snprintf(err, len, "TTL %.*s is out of range", (int)(f->len[f->ttl] > 24 ? 24 : f->len[f->ttl]),
		         f->tok[f->ttl]);
		return false;
	}
	if (f->type < 0)
		return true;
	/* Token k after the type is field k while every field so far was one token. */
	for (size_t k = 0; k < ldns_rr_rd_count(rr) && f->type + 1 + (int)k < f->n; k++) {
		const ldns_rdf *r = ldns_rr_rdf(rr, k);
		const char *s = f->tok[f->type + 1 + k];
		size_t n = f->len[f->type + 1 + k];
		uint64_t v, got, max;
		uint32_t per;
		switch (ldns_rdf_get_type(r)) {
		case LDNS_RDF_TYPE_INT8: got = ldns_rdf2native_int8(r); max = 0xff; break;
		case LDNS_RDF_TYPE_INT16: got = ldns_rdf2native_int16(r); max = 0xffff; break;
		case LDNS_RDF_TYPE_INT32: got = ldns_rdf2native_int32(r); max = 0xffffffffu; break;
		case LDNS_RDF_TYPE_PERIOD:
			if (!rrlint_period(s, n, &per)) {
				snprintf(err, len, "time value %.*s is out of range", (int)(n > 24 ? 24 : n), s);
				return false;
			}
			continue;
		case LDNS_RDF_TYPE_DNAME: case LDNS_RDF_TYPE_A: case LDNS_RDF_TYPE_AAAA:
			continue;
		default:
			return true;
		}
		if (decimal(s, n, &v) && (v > max || v != got)) {
			snprintf(err, len, "value %.*s is out of range (0-%llu)", (int)(n > 24 ? 24 : n), s,
			         (unsigned long long)max);
			return false;
		}
	}
	return true;
}
