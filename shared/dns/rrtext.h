/*
 * Records in presentation format: parse one RR line (rrfast.c first, then ldns), format one
 * record through ldns. The parsing state (struct rr_parser) is in rr_parser.h.
 */
#ifndef LS_RRTEXT_H
#define LS_RRTEXT_H

#include <stdbool.h>
#include <stdint.h>
#include "shared/util/arena.h"
#include "shared/dns/rr_parser.h"
#include "shared/store/rrset.h"

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
