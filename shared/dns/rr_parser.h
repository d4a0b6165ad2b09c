/*
 * The state that carries from one record line of a master file to the next: origin,
 * previous owner, TTL defaults. rrfast.c and rrtext.c (the ldns path) both keep it.
 */
#ifndef LS_RR_PARSER_H
#define LS_RR_PARSER_H

#include <stdbool.h>
#include <stdint.h>
#include "shared/util/arena.h"
#include "shared/dns/dname.h"

struct ldns_struct_rdf;
struct ldns_struct_buffer;

struct rr_parser {
	struct ldns_struct_rdf *origin;    /* NULL: names must be absolute */
	struct ldns_struct_rdf *prev;      /* owner of the previous record, for blank owners */
	struct ldns_struct_buffer *buf;
	struct arena *a;                   /* parsed records live here */
	uint32_t dollar_ttl, last_ttl, fallback_ttl;
	bool have_dollar_ttl, have_last_ttl, have_origin;
	bool ttl_absent;                   /* the last record parsed had no TTL of its own */
	bool no_fast;                      /* always use ldns (the fuzz target compares both) */
	/* The previous owner as the fast path keeps it; prev is rebuilt from it when stale. */
	uint8_t prev_wire[DNAME_MAX];
	bool have_prev_wire, prev_stale;
	const uint8_t *owner;              /* the last owner handed out (in a), shared by the next */
};

/*
 * With no origin, ldns would complete relative names with the root. It gets this origin
 * instead, which no real name ends in, so a relative name can be refused.
 */
extern const uint8_t rr_parser_no_origin[];

int rr_parser_init(struct rr_parser *p, struct arena *a, const uint8_t *origin,
                   uint32_t fallback_ttl);
void rr_parser_free(struct rr_parser *p);
/* Replaces the origin ($ORIGIN); NULL clears it. */
int rr_parser_set_origin(struct rr_parser *p, const uint8_t *origin);
/* The current origin in wire form, or NULL. Borrowed until the next set_origin. */
const uint8_t *rr_parser_origin(const struct rr_parser *p);
/*
 * The TTL of a record that has ttl of its own (have_ttl), which the next ones without one
 * then take; else RFC 2308 $TTL, else the last explicit TTL (RFC 1035 5.1), else the
 * configured fallback. Sets p->ttl_absent.
 */
uint32_t rr_parser_ttl(struct rr_parser *p, bool have_ttl, uint32_t ttl);
/*
 * A parsed record's owner (len bytes of wire form) in p's arena: the previous record's copy
 * when the name is the same, since records of a name follow each other (a 1M-record file
 * has a third as many names). NULL when out of memory. Owners are never written through.
 */
const uint8_t *rr_parser_owner(struct rr_parser *p, const uint8_t *owner, size_t len);

#endif
