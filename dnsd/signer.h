/* A query's TSIG in dnsd: verified with the stored key, then every answer message signed. */
#ifndef DNSD_SIGNER_H
#define DNSD_SIGNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shared/store/store.h"
#include "shared/dns/tsig.h"

#define SIGNER_FORMERR (-1)          /* error: the TSIG record is malformed */

/* Self-contained (no pointers into the query), so it outlives the query's buffer. */
struct signer {
	bool present;                    /* the query carried a TSIG record */
	int error;                       /* TSIG_NOERROR, TSIG_BADKEY/BADSIG/BADTIME, SIGNER_FORMERR */
	struct tsig_key key;             /* the verified key (name only when it is unknown) */
	uint8_t alg_wire[DNAME_MAX];     /* the algorithm as the client named it */
	uint64_t time;                   /* the query's time signed */
	uint16_t orig_id;
	uint8_t mac[TSIG_MAC_MAX];       /* what the next message chains to: the request's MAC first */
	size_t mac_len;
	unsigned nsigned;                /* messages signed so far */
};

/*
 * Finds and checks the TSIG of msg with the key of its name in t (STORE_TSIG). s->present
 * is false for an unsigned query; otherwise s->error says how the check went.
 */
void signer_check(struct signer *s, struct store_txn *t, const uint8_t *msg, size_t len,
                  uint64_t now);
/* Bytes an answer must leave free for signer_finish(): 0 for an unsigned query. */
size_t signer_room(const struct signer *s);
/*
 * Appends the TSIG record to the answer out[0..len): signed (chained to the previous
 * message after the first), or the unsigned error record for BADKEY and BADSIG
 * (RFC 8945 5.3.2). Returns the new length, len for an unsigned query, 0 when it fails.
 */
size_t signer_finish(struct signer *s, uint8_t *out, size_t len, size_t cap, uint64_t now);
/* "BADSIG" and the like, for log lines. */
const char *signer_error_text(int error);

#endif
