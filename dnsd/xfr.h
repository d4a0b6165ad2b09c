/* Zone transfers out over TCP: AXFR (RFC 5936), and IXFR answered in full (RFC 1995 4). */
#ifndef DNSD_XFR_H
#define DNSD_XFR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "dnsd/query.h"
#include "shared/store.h"

#define XFR_MSG_MAX 16384     /* bytes per message; several messages for a large zone */

struct xfr;

/*
 * Starts a transfer for the query (AXFR or IXFR) from client. Returns NULL when it is not
 * one we give (no such zone, or the client is not one of its secondaries): the query then
 * gets the ordinary answer, REFUSED. why says which, for the log.
 */
struct xfr *xfr_start(struct store *st, const uint8_t *msg, const struct query *q,
                      const struct sockaddr *client, const char **why);
/* The next message (2-byte length first) into out; 0 when the transfer is complete. */
size_t xfr_next(struct xfr *x, uint8_t *out, size_t cap);
/* Records sent so far, for the log. */
uint64_t xfr_records(const struct xfr *x);
void xfr_free(struct xfr *x);

#endif
