/*
 * A summary row's JSON text, written directly rather than built and dumped with jansson: the
 * rows are as large as the report's failure details, and building them was a quarter of an
 * import's CPU. The text reads back as the object tlsrpt_store_rows() hands out.
 */
#ifndef LS_TLSRPT_ROW_H
#define LS_TLSRPT_ROW_H

#include <stddef.h>
#include <stdint.h>
#include "shared/rpt/tlsrpt_parse.h"

/*
 * {"org","type","version" (null when < 0),"success","failure","details":[{"type","mx","ip",
 * "count"}]} for policy p of a report from org; details with the same type, MX and IP are
 * summed, in the order they first appear; one whose text is not UTF-8 (cut by the parser) is
 * left out. *text is malloc'ed (free()), *len its length. Returns 0, LS_EPARSE (org or type
 * not UTF-8) or -ENOMEM.
 */
int tlsrpt_row_format(const char *org, const struct tlsrpt_policy *p, int64_t version,
                      char **text, size_t *len);

#endif
