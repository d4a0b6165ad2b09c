/* Zone transfers out over TCP: AXFR (RFC 5936) and IXFR from the journal (RFC 1995), signed. */
#ifndef DNSD_XFR_H
#define DNSD_XFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "dnsd/query.h"
#include "dnsd/signer.h"
#include "shared/store/store.h"
#include "shared/store/zone.h"

#define XFR_MSG_MAX 16384     /* bytes per message; several messages for a large zone */
#define XFR_MSG_LARGEST 65535 /* a message holding one record too large for XFR_MSG_MAX */
#define XFR_WHY_MAX 160       /* a refusal's or a transfer's description, for the log */

enum xfr_verdict { XFR_ALLOW, XFR_REFUSE, XFR_NOTAUTH };

/*
 * May client transfer zone z? Its address must be one of the zone's secondaries and, when
 * that entry names a TSIG key, the query must be signed with that key. sg is the query's
 * checked TSIG, without error. XFR_NOTAUTH: signed with another key (answer BADKEY).
 * why says what was wrong, for the log.
 */
enum xfr_verdict xfr_acl(struct store_txn *t, const struct zone_info *z,
                         const struct sockaddr *client, const struct signer *sg, char *why,
                         size_t whylen);

struct xfr;

/*
 * Starts a transfer for the query msg (AXFR or IXFR, parsed into q) from client: its own
 * snapshot, the TSIG check and the ACL. Returns NULL when it is not one we give (no such
 * zone, refused, a TSIG error): the query then goes the ordinary way, which answers
 * REFUSED or NOTAUTH and says why.
 */
struct xfr *xfr_start(struct store *st, const uint8_t *msg, size_t len, const struct query *q,
                      const struct sockaddr *client, uint64_t now);
/* The next message (2-byte length first) into out; 0 when the transfer is complete. */
size_t xfr_next(struct xfr *x, uint8_t *out, size_t cap);
/* What is being sent ("AXFR", "IXFR, serial 5 -> 7, 2 changes", ...), for the log. */
const char *xfr_describe(const struct xfr *x);
/* True when the transfer broke off (a store error): the connection must close. */
bool xfr_failed(const struct xfr *x);
/* Records sent so far, for the log. */
uint64_t xfr_records(const struct xfr *x);
void xfr_free(struct xfr *x);

#endif
