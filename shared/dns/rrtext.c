/* Presentation format through ldns, with names in RDATA made canonical for storage. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ldns/ldns.h>
#include "shared/util/err.h"
#include "shared/dns/rrfast.h"
#include "shared/dns/rrlint.h"
#include "shared/dns/rrtext.h"
#include "shared/dns/wire.h"

/* Passed to ldns as the default TTL, so a record without one can be told apart. */
#define TTL_ABSENT 0xfffffffeu
static bool completed(const ldns_rdf *f)
{
	size_t n = ldns_rdf_size(f), m = (size_t)dname_wire_len(rr_parser_no_origin, DNAME_MAX);
	const uint8_t *d = ldns_rdf_data(f);
	if (!ldns_dname_absolute(f))
		return true;
	if (dname_wire_len(d, n) < 0 || (size_t)dname_wire_len(d, n) != n)
		return true;
	return n >= m && dname_is_sub(d, rr_parser_no_origin);
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

/* After fast-path records, ldns's copy of the previous owner is rebuilt from the fast one. */
static void refresh_prev(struct rr_parser *p)
{
	if (!p->prev_stale)
		return;
	if (p->prev)
		ldns_rdf_deep_free(p->prev);
	p->prev = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME,
	                                (size_t)dname_wire_len(p->prev_wire, DNAME_MAX),
	                                p->prev_wire);
	p->prev_stale = false;
}

/* One line on its way through ldns. */
struct slow {
	const char *text;       /* the line as ldns reads it */
	char *reordered;        /* malloc'ed when the class had to move behind the TTL */
	struct rr_fields f;     /* the line's tokens, for plainer reasons than ldns gives */
	bool split;             /* f holds them (not too many tokens) */
	ldns_rr *rr;
};

/* Has ldns parse the line into s->rr; LS_EPARSE with the reason in err. */
static int slow_read(struct rr_parser *p, struct slow *s, char *err, size_t errlen)
{
	const struct rr_fields *f = &s->f;
	/* RFC 1035 allows the class before the TTL; ldns does not: swap them for it. */
	s->split = rrlint_split(s->text, &s->f);
	s->reordered = s->split ? rrlint_reorder(s->text, f) : NULL;
	if (s->reordered) {
		s->text = s->reordered;
		s->split = rrlint_split(s->text, &s->f);
	}
	/* ldns reads an owner "@x" as the origin itself; it is a typo, not a name. */
	if (s->split && f->owner >= 0 && f->tok[f->owner][0] == '@' && f->len[f->owner] > 1) {
		snprintf(err, errlen, "owner '%.*s': '@' stands alone for the origin",
		         (int)(f->len[f->owner] > 40 ? 40 : f->len[f->owner]), f->tok[f->owner]);
		return LS_EPARSE;
	}
	ldns_status st = ldns_rr_new_frm_str(&s->rr, s->text, TTL_ABSENT, p->origin, &p->prev);
	sync_prev(p);
	if (st == LDNS_STATUS_OK)
		return 0;
	if (!s->split || !rrlint_explain(f, rr_parser_origin(p), err, errlen)) {
		/* ldns says what kind of error; the text says where. */
		const char *t = s->text + strspn(s->text, " \t");
		snprintf(err, errlen, "%s: \"%.60s%s\"", ldns_get_errorstr_by_id(st), t,
		         strlen(t) > 60 ? "..." : "");
	}
	return LS_EPARSE;
}

/* What ldns accepts and we do not: other classes, relative names, wrapped numbers. */
static int slow_check(const struct rr_parser *p, const struct slow *s, char *err, size_t errlen)
{
	if (ldns_rr_get_class(s->rr) != LDNS_RR_CLASS_IN) {
		char *cls = ldns_rr_class2str(ldns_rr_get_class(s->rr));
		snprintf(err, errlen, "class %s is not supported (only IN)", cls ? cls : "?");
		free(cls);
		return LS_EPARSE;
	}
	if (!names_absolute(s->rr)) {
		/* With an origin, only a name too long to take it stays relative. */
		if (!s->split || !rrlint_explain(&s->f, rr_parser_origin(p), err, errlen))
			snprintf(err, errlen, "%s", p->have_origin ? "name longer than 255 octets"
			                            : "relative name and no $ORIGIN to complete it");
		return LS_EPARSE;
	}
	if (s->split && !rrlint_ranges(&s->f, s->rr, err, errlen))
		return LS_EPARSE;
	return 0;
}

/*
 * ldns reads "\\@.example.com." in RDATA as the origin: names written with an escape are
 * read again with dname_parse, so that what export writes imports back as it was. Token k
 * after the type is field k while every field so far was one token.
 */
static int escaped_names(const struct rr_parser *p, struct slow *s)
{
	char text[DNAME_STR_MAX + 1];
	uint8_t name[DNAME_MAX];
	const struct rr_fields *f = &s->f;
	if (!s->split || f->type < 0)
		return 0;
	for (size_t k = 0; k < ldns_rr_rd_count(s->rr) && f->type + 1 + (int)k < f->n; k++) {
		const ldns_rdf *r = ldns_rr_rdf(s->rr, k);
		const char *t = f->tok[f->type + 1 + k];
		size_t n = f->len[f->type + 1 + k];
		ldns_rdf_type ty = ldns_rdf_get_type(r);
		if (ty != LDNS_RDF_TYPE_DNAME && ty != LDNS_RDF_TYPE_INT8 && ty != LDNS_RDF_TYPE_INT16 &&
		    ty != LDNS_RDF_TYPE_INT32 && ty != LDNS_RDF_TYPE_A && ty != LDNS_RDF_TYPE_AAAA &&
		    ty != LDNS_RDF_TYPE_PERIOD)
			return 0;
		if (ty != LDNS_RDF_TYPE_DNAME || n >= sizeof(text) || memchr(t, '\\', n) == NULL)
			continue;
		memcpy(text, t, n);
		text[n] = 0;
		int nl = dname_parse(name, text, rr_parser_origin(p));
		ldns_rdf *fixed = nl > 0 ? ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, (size_t)nl, name)
		                         : NULL;
		if (fixed == NULL)
			return nl > 0 ? -ENOMEM : 0;
		ldns_rdf_deep_free(ldns_rr_set_rdf(s->rr, fixed, k));
	}
	return 0;
}

/* The record in canonical wire form, its memory from p->a. */
static int slow_store(struct rr_parser *p, ldns_rr *rr, struct rr *out, char *err, size_t errlen)
{
	uint32_t ttl = ldns_rr_ttl(rr);
	ttl = rr_parser_ttl(p, ttl != TTL_ABSENT, ttl);
	ldns_rr2canonical(rr);
	ldns_buffer_clear(p->buf);
	if (ldns_rr_rdata2buffer_wire(p->buf, rr) != LDNS_STATUS_OK ||
	    ldns_buffer_position(p->buf) > 65535) {
		snprintf(err, errlen, "record data too long");
		return LS_EPARSE;
	}
	const ldns_rdf *owner = ldns_rr_owner(rr);
	out->owner = rr_parser_owner(p, ldns_rdf_data(owner), ldns_rdf_size(owner));
	out->rdlen = (uint16_t)ldns_buffer_position(p->buf);
	out->rdata = arena_dup(p->a, ldns_buffer_begin(p->buf), out->rdlen);
	out->ttl = ttl;
	out->type = (uint16_t)ldns_rr_get_type(rr);
	out->file = NULL;
	out->line = 0;
	if (out->owner == NULL || (out->rdata == NULL && out->rdlen))
		return -ENOMEM;
	return 0;
}

int rr_parse(struct rr_parser *p, const char *text, struct rr *out, char *err, size_t errlen)
{
	struct slow s = { .text = text };
	int rc;
	if (!p->no_fast && rrfast_parse(p, text, out))
		return 0;
	refresh_prev(p);
	if ((rc = slow_read(p, &s, err, errlen)) == 0 && (rc = escaped_names(p, &s)) == 0 &&
	    (rc = slow_check(p, &s, err, errlen)) == 0)
		rc = slow_store(p, s.rr, out, err, errlen);
	ldns_rr_free(s.rr);
	free(s.reordered);
	return rc;
}

/* A name holding a byte a zone file reader takes for syntax: ldns writes those as they are. */
static bool needs_escape(const uint8_t *name)
{
	for (; *name; name += *name + 1)
		for (uint8_t i = 1; i <= *name; i++)
			if (strchr("@\"();$", name[i]) && name[i])
				return true;
	return false;
}

/* The names of lrr written with dname_format (which escapes them), the rest as ldns does. */
static char *escape_names(const ldns_rr *lrr, char *s)
{
	char name[DNAME_STR_MAX];
	bool need = needs_escape(ldns_rdf_data(ldns_rr_owner(lrr)));
	for (size_t i = 0; i < ldns_rr_rd_count(lrr); i++) {
		const ldns_rdf *f = ldns_rr_rdf(lrr, i);
		need |= ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME && needs_escape(ldns_rdf_data(f));
	}
	char *fields = s;
	for (int tabs = 0; fields && tabs < 4; tabs++)       /* owner, TTL, class, type */
		fields = (fields = strchr(fields, '\t')) ? fields + 1 : NULL;
	if (!need || fields == NULL)
		return s;
	size_t cap = strlen(s) * 5 + DNAME_STR_MAX, len;
	char *out = malloc(cap);
	if (out == NULL)
		goto fail;
	len = (size_t)snprintf(out, cap, "%s%.*s", dname_format(name, ldns_rdf_data(ldns_rr_owner(lrr))),
	                       (int)(fields - strchr(s, '\t')), strchr(s, '\t'));
	for (size_t i = 0; i < ldns_rr_rd_count(lrr) && len < cap; i++) {
		const ldns_rdf *f = ldns_rr_rdf(lrr, i);
		char *t = ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME ? NULL : ldns_rdf2str(f);
		len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? " " : "",
		                        t ? t : dname_format(name, ldns_rdf_data(f)));
		free(t);
	}
	if (len >= cap)
		goto fail;
	free(s);
	return out;
fail:
	free(out);
	free(s);
	return NULL;
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
	if (s) {
		/* One line, fields separated by single tabs as ldns prints them; no newline. */
		size_t n = strlen(s);
		while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
			s[--n] = 0;
		s = escape_names(lrr, s);
	}
	ldns_rr_free(lrr);
	free(wire);
	return s;
}

const char *rr_type_name(uint16_t type, char *buf, size_t len)
{
	/* The query-only types ldns has no descriptor for (RFC 1035 3.2.3, RFC 1995). */
	static const struct { uint16_t type; const char *name; } qtypes[] = {
		{ 251, "IXFR" }, { 252, "AXFR" }, { 253, "MAILB" }, { 254, "MAILA" }, { 255, "ANY" },
	};
	for (size_t i = 0; i < sizeof(qtypes) / sizeof(qtypes[0]); i++) {
		if (qtypes[i].type == type) {
			snprintf(buf, len, "%s", qtypes[i].name);
			return buf;
		}
	}
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
