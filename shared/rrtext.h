/* Records in presentation format, through ldns: parse one RR line, format one record. */
#ifndef LS_RRTEXT_H
#define LS_RRTEXT_H

#include <stdbool.h>
#include <stdint.h>
#include "shared/arena.h"
#include "shared/rrset.h"

struct ldns_struct_rdf;
struct ldns_struct_buffer;

/* Parsing state that carries from one line of a master file to the next. */
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
};

int rr_parser_init(struct rr_parser *p, struct arena *a, const uint8_t *origin,
                   uint32_t fallback_ttl);
void rr_parser_free(struct rr_parser *p);
/* Replaces the origin ($ORIGIN); NULL clears it. */
int rr_parser_set_origin(struct rr_parser *p, const uint8_t *origin);
/* The current origin in wire form, or NULL. Borrowed until the next set_origin. */
const uint8_t *rr_parser_origin(const struct rr_parser *p);
/*
 * Parses one record ("www 300 IN A 192.0.2.1"; a leading blank means the previous
 * owner). On error returns LS_EPARSE with the reason in err. out->file/line are left 0.
 */
int rr_parse(struct rr_parser *p, const char *text, struct rr *out, char *err, size_t errlen);

/* "owner TTL IN TYPE RDATA" without a newline; malloc'ed, free(). NULL on failure. */
char *rr_format(const struct rr *rr);
/* Type mnemonic or TYPEnnn into buf (at least 16 bytes). */
const char *rr_type_name(uint16_t type, char *buf, size_t len);
/* Type from a mnemonic or TYPEnnn; 0 when unknown. */
uint16_t rr_type_parse(const char *s);

#endif
