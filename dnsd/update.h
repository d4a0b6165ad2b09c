/*
 * DNS UPDATE (RFC 2136, signed as RFC 3007 wants): one message checked (TSIG, zone, the key's
 * policy) and applied as one zone edit through zone_edit_run, prerequisites inside its write
 * transaction. It writes: never call it on a query loop (updater.c runs it off them).
 */
#ifndef DNSD_UPDATE_H
#define DNSD_UPDATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "dnsd/update_msg.h"
#include "shared/store/store.h"

#define UPDATE_WHY_MAX 200
#define UPDATE_ANSWER_MAX 1024        /* header, zone, TSIG: what an UPDATE answer holds */

/* What happened, for the log line. */
struct update_info {
	uint8_t rcode;
	uint16_t tsig_error;          /* with NOTAUTH for a signature */
	char zone[DNAME_STR_MAX];     /* "" before the zone section parsed */
	char key[DNAME_STR_MAX];      /* the TSIG key's name, "" when unsigned */
	uint32_t serial;              /* after a commit that changed the zone */
	size_t changes;               /* records the commit added and deleted */
	char why[UPDATE_WHY_MAX];     /* a refusal's reason */
};

/*
 * Processes the UPDATE msg[0..len) from peer and writes the answer into out (at least
 * UPDATE_ANSWER_MAX bytes). Returns after the commit is durable: the answer's length, or 0
 * when the message gets no answer. now: the clock for TSIG (0: the real one).
 */
size_t update_process(struct store *st, const uint8_t *msg, size_t len,
                      const struct sockaddr *peer, uint64_t now, uint8_t *out, size_t cap,
                      struct update_info *info);

#endif
