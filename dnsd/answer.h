/* Building the answer to one query from the store: the query path, allocation-free. */
#ifndef DNSD_ANSWER_H
#define DNSD_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <lmdb.h>
#include "shared/store.h"

#define ANSWER_MAX_CHAIN 8       /* CNAMEs followed inside a zone (loops end here too) */
#define ANSWER_MAX_TARGETS 16    /* MX/NS/SRV targets whose addresses go in additional */

struct answer_opts {
	uint16_t udp_max;            /* our EDNS payload size (default 1232) */
	bool chaos;                  /* answer CH TXT version.bind, id.server */
	const char *version, *identity;
};

/* What happened, for the counters. */
struct answer_info {
	uint16_t qtype;
	const uint8_t *qname;        /* in the query; only valid while it is */
	uint8_t rcode;
	bool dropped, truncated, edns;
};

/*
 * Answers the query in[0..inlen) into out (room for outcap bytes; a UDP answer is further
 * limited by the client's size). t is a read transaction and cur a cursor on STORE_RRSETS
 * in it. Returns the answer's length, or 0 when the query gets no answer.
 */
size_t answer_query(struct store_txn *t, MDB_cursor *cur, const struct answer_opts *o,
                    const uint8_t *in, size_t inlen, uint8_t *out, size_t outcap, bool tcp,
                    struct answer_info *info);

#endif
