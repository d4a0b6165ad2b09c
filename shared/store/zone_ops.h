/* Zone operations every front end shares (zonectl today, an HTTP API later), each one zone_edit_run(). */
#ifndef LS_ZONE_OPS_H
#define LS_ZONE_OPS_H

#include "shared/util/diag.h"
#include "shared/dns/serial.h"
#include "shared/store/store.h"
#include "shared/store/zone_edit.h"
#include "shared/dns/zonefile.h"

#define BATCH_MAX (64u << 20)    /* bytes of batch text */

/*
 * Makes the zone hold exactly the records of zf (creating it with CREATE, refusing
 * an existing one with EXCL). expect_serial, when given, must still be the zone's
 * serial (an edit based on an older copy is refused with LS_ECONFLICT).
 * res points into zf's records: free zf only after res.
 */
int zone_ops_import(struct store *st, const struct zonefile *zf, unsigned flags,
                    enum serial_policy policy, const uint32_t *expect_serial,
                    const char *source, struct diag *d, struct zone_result *res);
/* The same inside b, a batch of several edits in one transaction (zone_edit.h). */
int zone_ops_import_in(struct zone_batch *b, const struct zonefile *zf, unsigned flags,
                       enum serial_policy policy, const char *source, struct diag *d,
                       struct zone_result *res);
/*
 * Applies batch lines, all or nothing:
 *   add RR                 (a record in master format, owner relative to the zone)
 *   del NAME [TYPE [RDATA]] (a name, an RRset or one record)
 *   set NAME TYPE TTL RDATA (replaces the RRset; further set lines for it add to it)
 * Blank lines and lines starting with '#' or ';' are skipped. name labels messages.
 * flags: 0, or ZONE_TXN_CHECK to validate without committing.
 */
int zone_ops_batch(struct store *st, const uint8_t *apex, const char *name, const char *text,
                   size_t len, unsigned flags, uint32_t default_ttl, const char *source,
                   struct diag *d, struct zone_result *res);
/* Creates a zone with a SOA and NS records for the given name servers (text names). */
int zone_ops_create(struct store *st, const uint8_t *apex, char *const *ns, size_t nns,
                    enum serial_policy policy, uint32_t default_ttl, const char *source,
                    struct diag *d, struct zone_result *res);
/* Deletes the zone, its records and its journal. */
int zone_ops_delete(struct store *st, const uint8_t *apex);

#endif
