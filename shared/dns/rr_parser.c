/* Parsing state from one record line to the next: origin, previous owner, TTL defaults. */
#include <errno.h>
#include <string.h>
#include <ldns/ldns.h>
#include "shared/util/err.h"
#include "shared/dns/rr_parser.h"

const uint8_t rr_parser_no_origin[] = "\027lockstep-origin-missing\7invalid";

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
		origin = rr_parser_no_origin;
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

uint32_t rr_parser_ttl(struct rr_parser *p, bool have_ttl, uint32_t ttl)
{
	p->ttl_absent = !have_ttl;
	if (!have_ttl)
		return p->have_dollar_ttl ? p->dollar_ttl
		     : p->have_last_ttl ? p->last_ttl : p->fallback_ttl;
	p->last_ttl = ttl;
	p->have_last_ttl = true;
	return ttl;
}

const uint8_t *rr_parser_owner(struct rr_parser *p, const uint8_t *owner, size_t len)
{
	if (p->owner && (size_t)dname_wire_len(p->owner, DNAME_MAX) == len &&
	    memcmp(p->owner, owner, len) == 0)
		return p->owner;
	const uint8_t *copy = arena_dup(p->a, owner, len);
	if (copy)
		p->owner = copy;
	return copy;
}
