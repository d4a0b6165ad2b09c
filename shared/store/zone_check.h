/* Validation rules for the data a zone edit leaves behind. */
#ifndef LS_ZONE_CHECK_H
#define LS_ZONE_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include "shared/util/diag.h"
#include "shared/store/rrset.h"

#define TTL_MAX 2147483647u   /* RFC 2181 8: the top bit must be zero */

enum { T_A = 1, T_NS = 2, T_CNAME = 5, T_SOA = 6, T_MX = 15, T_TXT = 16, T_AAAA = 28,
       T_DNAME = 39, T_OPT = 41, T_RRSIG = 46, T_NSEC = 47, T_ANY = 255, T_AXFR = 252,
       T_IXFR = 251 };

/* Rules for one record as it is added (owner in zone, TTL, type allowed, SOA at apex). */
int zone_check_rr(const struct rr *rr, const uint8_t *apex, struct diag *d);
/* Rules for one RRset as it will be stored (sorted, duplicates removed). */
void zone_check_rrset(const uint8_t *owner, uint16_t type, const struct rdata *rd, size_t n,
                      struct diag *d);
/*
 * Rules between the RRsets at one name: types[] lists every type present after the
 * edit; file/line point at a record of the name for the message.
 */
void zone_check_name(const uint8_t *owner, const uint16_t *types, size_t n, const char *file,
                     unsigned line, struct diag *d);

#endif
