/* Reading RFC 1035 master files: every record, or every error with file:line. */
#ifndef LS_ZONEFILE_H
#define LS_ZONEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shared/util/arena.h"
#include "shared/util/diag.h"
#include "shared/store/rrset.h"

#define ZONEFILE_MAX (1ull << 30)       /* bytes in one file */
#define ZONEFILE_ENTRY_MAX (1u << 20)   /* bytes in one record, parentheses joined */
#define ZONEFILE_INCLUDE_DEPTH 8

struct zonefile {
	struct arena a;             /* records, names and file names */
	struct rr *rr;              /* malloc'ed array, in file order */
	size_t n, cap;
	uint8_t apex[DNAME_MAX];    /* the origin given, else the owner of the first SOA */
	bool have_apex;
	size_t bytes;               /* size of the record data, for store size hints */
	bool no_fast;               /* set before reading: parse every record with ldns */
};

void zonefile_init(struct zonefile *zf);
void zonefile_free(struct zonefile *zf);
/*
 * Reads path. origin may be NULL ($ORIGIN or absolute names then). $INCLUDE may only
 * name files below path's own directory. Returns 0, or LS_EPARSE with every problem in d
 * (zf then holds only the records that parsed), or -errno when path cannot be read.
 */
int zonefile_read(struct zonefile *zf, const char *path, const uint8_t *origin,
                  uint32_t default_ttl, struct diag *d);
/* The same for text in memory, named name in messages; $INCLUDE is refused. */
int zonefile_read_mem(struct zonefile *zf, const char *name, const char *text, size_t len,
                      const uint8_t *origin, uint32_t default_ttl, struct diag *d);

#endif
