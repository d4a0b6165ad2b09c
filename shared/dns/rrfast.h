/*
 * Fast parsing of the commonest records (A, AAAA, NS, CNAME, PTR, DNAME, MX, TXT, SOA, SRV)
 * without ldns. It never reports errors: anything unusual is left to ldns, which then says
 * what is wrong. Both paths must give the same bytes; the zone-file fuzz target checks that.
 */
#ifndef LS_RRFAST_H
#define LS_RRFAST_H

#include <stdbool.h>
#include "shared/dns/rr_parser.h"
#include "shared/store/rrset.h"

/* True when text was parsed into out (memory from p->a); false: leave it to rr_parse()'s ldns path. */
bool rrfast_parse(struct rr_parser *p, const char *text, struct rr *out);

#endif
