/* Presentation format through ldns, with names in RDATA made canonical for storage. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ldns/ldns.h>
#include "shared/err.h"
#include "shared/rrfast.h"
#include "shared/rrlint.h"
#include "shared/rrtext.h"
#include "shared/wire.h"

/* Passed to ldns as the default TTL, so a record without one can be told apart. */
#define TTL_ABSENT 0xfffffffeu
/*
 * With no origin, ldns would complete relative names with the root. It gets this
 * origin instead, which no real name ends in, so a relative name can be refused.
 */
static const uint8_t no_origin[] = "\027lockstep-origin-missing\7invalid";

int rr_parser_init(struct rr_parser *p, struct arena *a, const uint8_t *origin,
                   uint32_t fallback_ttl)
{
	memset(p, 0, sizeof(*p));
	p->a = a;
	p->fallback_ttl = fallback_ttl;
	p->buf = ldns_buffer_new(1024);
	if (p->buf == NULL)
		return -ENOMEM;
	int rc = rr_parser_set_origin(p, origin);
	if (rc)
		rr_parser_free(p);
	return rc;
}

void rr_parser_free(struct rr_parser *p)
{
	if (p->origin)
		ldns_rdf_deep_free(p->origin);
	if (p->prev)
		ldns_rdf_deep_free(p->prev);
	if (p->buf)
		ldns_buffer_free(p->buf);
	p->origin = p->prev = NULL;
	p->buf = NULL;
}

int rr_parser_set_origin(struct rr_parser *p, const uint8_t *origin)
{
	if (p->origin)
		ldns_rdf_deep_free(p->origin);
	p->origin = NULL;
	p->have_origin = origin != NULL;
	if (origin == NULL)
		origin = no_origin;
	int len = dname_wire_len(origin, DNAME_MAX);
	if (len < 0)
		return LS_EPARSE;
	p->origin = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, (size_t)len, origin);
	return p->origin ? 0 : -ENOMEM;
}

const uint8_t *rr_parser_origin(const struct rr_parser *p)
{
	return p->have_origin && p->origin ? ldns_rdf_data(p->origin) : NULL;
}

static bool completed(const ldns_rdf *f)
{
	size_t n = ldns_rdf_size(f), m = sizeof(no_origin);
	const uint8_t *d = ldns_rdf_data(f);
	if (!ldns_dname_absolute(f))
		return true;
	if (dname_wire_len(d, n) < 0 || (size_t)dname_wire_len(d, n) != n)
		return true;
	return n >= m && dname_is_sub(d, no_origin);
}

/* True when every name in the record was written absolute (or an origin completed it). */
static bool names_absolute(const ldns_rr *rr)
{
	if (completed(ldns_rr_owner(rr)))
		return false;
	for (size_t i = 0; i < ldns_rr_rd_count(rr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(rr, i);
		if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME && completed(f))
			return false;
	}
	return true;
}

/* Keeps the fast path's copy of the previous owner equal to ldns's. */
static void sync_prev(struct rr_parser *p)
{
	if (p->prev == NULL || ldns_rdf_size(p->prev) > DNAME_MAX ||
	    dname_wire_len(ldns_rdf_data(p->prev), ldns_rdf_size(p->prev)) < 0) {
		p->have_prev_wire = false;
		return;
	}
	memcpy(p->prev_wire, ldns_rdf_data(p->prev), ldns_rdf_size(p->prev));
	dname_lower(p->prev_wire);
	p->have_prev_wire = true;
}

int rr_parse(struct rr_parser *p, const char *text, struct rr *out, char *err, size_t errlen)
{
	ldns_rr *rr = NULL;
	int rc = LS_EPARSE;
	struct rr_fields f;
	if (!p->no_fast && rrfast_parse(p, text, out))
		return 0;
	if (p->prev_stale) {
		if (p->prev)
			ldns_rdf_deep_free(p->prev);
		p->prev = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME,
		                                (size_t)dname_wire_len(p->prev_wire, DNAME_MAX),
		                                p->prev_wire);
		p->prev_stale = false;
	}
	/* RFC 1035 allows the class before the TTL; ldns does not: swap them for it. */
	bool split = rrlint_split(text, &f);
	char *reordered = split ? rrlint_reorder(text, &f) : NULL;
	if (reordered) {
		text = reordered;
		split = rrlint_split(text, &f);
	}
	/* ldns reads an owner "@x" as the origin itself; it is a typo, not a name. */
	if (split && f.owner >= 0 && f.tok[f.owner][0] == '@' && f.len[f.owner] > 1) {
		snprintf(err, errlen, "owner '%.*s': '@' stands alone for the origin",
		         (int)(f.len[f.owner] > 40 ? 40 : f.len[f.owner]), f.tok[f.owner]);
		free(reordered);
		return LS_EPARSE;
	}
	ldns_status s = ldns_rr_new_frm_str(&rr, text, TTL_ABSENT, p->origin, &p->prev);
	sync_prev(p);
	if (s != LDNS_STATUS_OK) {
		if (!split || !rrlint_explain(&f, rr_parser_origin(p), err, errlen)) {
			/* ldns says what kind of error; the text says where. */
			while (*text == ' ' || *text == '\t')
				text++;
			snprintf(err, errlen, "%s: \"%.60s%s\"", ldns_get_errorstr_by_id(s), text,
			         strlen(text) > 60 ? "..." : "");
		}
		free(reordered);
		return LS_EPARSE;
	}
	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
		char *cls = ldns_rr_class2str(ldns_rr_get_class(rr));
		snprintf(err, errlen, "class %s is not supported (only IN)", cls ? cls : "?");
		free(cls);
		goto fail;
	}
	if (!names_absolute(rr)) {
		/* With an origin, only a name too long to take it stays relative. */
		if (!split || !rrlint_explain(&f, rr_parser_origin(p), err, errlen))
			snprintf(err, errlen, "%s", p->have_origin ? "name longer than 255 octets"
			                            : "relative name and no $ORIGIN to complete it");
		goto fail;
	}
	if (split && !rrlint_ranges(&f, rr, err, errlen))
		goto fail;
	uint32_t ttl = ldns_rr_ttl(rr);
	p->ttl_absent = ttl == TTL_ABSENT;
	if (ttl == TTL_ABSENT) {
		/* RFC 2308 $TTL, else the last explicit TTL (RFC 1035 5.1), else the configured one. */
		ttl = p->have_dollar_ttl ? p->dollar_ttl
		    : p->have_last_ttl ? p->last_ttl : p->fallback_ttl;
	} else {
		p->last_ttl = ttl;
		p->have_last_ttl = true;
	}
	ldns_rr2canonical(rr);
	ldns_buffer_clear(p->buf);
	if (ldns_rr_rdata2buffer_wire(p->buf, rr) != LDNS_STATUS_OK ||
	    ldns_buffer_position(p->buf) > 65535) {
		snprintf(err, errlen, "record data too long");
		goto fail;
	}
	const ldns_rdf *owner = ldns_rr_owner(rr);
	out->owner = arena_dup(p->a, ldns_rdf_data(owner), ldns_rdf_size(owner));
	out->rdlen = (uint16_t)ldns_buffer_position(p->buf);
	out->rdata = arena_dup(p->a, ldns_buffer_begin(p->buf), out->rdlen);
	out->ttl = ttl;
	out->type = (uint16_t)ldns_rr_get_type(rr);
	out->file = NULL;
	out->line = 0;
	if (out->owner == NULL || (out->rdata == NULL && out->rdlen)) {
		rc = -ENOMEM;
		goto fail;
	}
	ldns_rr_free(rr);
	free(reordered);
	return 0;
fail:
	ldns_rr_free(rr);
	free(reordered);
	return rc;
}

char *rr_format(const struct rr *rr)
{
	int ol = dname_wire_len(rr->owner, DNAME_MAX);
	size_t len = (size_t)ol + 10 + rr->rdlen, pos = 0;
	uint8_t *wire = malloc(len);
	ldns_rr *lrr = NULL;
	char *s = NULL;
	if (wire == NULL)
		return NULL;
	memcpy(wire, rr->owner, (size_t)ol);
	uint8_t *h = wire + ol;
	wire_put16(h, rr->type);
	wire_put16(h + 2, 1);     /* class IN */
	wire_put32(h + 4, rr->ttl);
	wire_put16(h + 8, rr->rdlen);
	memcpy(h + 10, rr->rdata, rr->rdlen);
	if (ldns_wire2rr(&lrr, wire, len, &pos, LDNS_SECTION_ANSWER) == LDNS_STATUS_OK)
		s = ldns_rr2str(lrr);
	ldns_rr_free(lrr);
	free(wire);
	if (s) {
		/* One line, fields separated by single tabs as ldns prints them; no newline. */
		size_t n = strlen(s);
		while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
			s[--n] = 0;
	}
	return s;
}

const char *rr_type_name(uint16_t type, char *buf, size_t len)
{
	const ldns_rr_descriptor *d = ldns_rr_descript(type);
	if (d && d->_name && type != 0)
		snprintf(buf, len, "%s", d->_name);
	else
		snprintf(buf, len, "TYPE%u", type);
	return buf;
}

uint16_t rr_type_parse(const char *s)
{
	if (strncasecmp(s, "TYPE", 4) == 0 && isdigit((unsigned char)s[4])) {
		char *end;
		unsigned long v = strtoul(s + 4, &end, 10);
		return (*end == 0 && v <= 65535) ? (uint16_t)v : 0;
	}
	return (uint16_t)ldns_get_rr_type_by_name(s);
}
