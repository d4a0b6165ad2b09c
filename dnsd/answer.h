/* Building the answer to one query from the store: the query path, allocation-free. */
#ifndef DNSD_ANSWER_H
#define DNSD_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <lmdb.h>
#include "dnsd/answer_cache.h"
#include "dnsd/cookie.h"
#include "dnsd/rrl.h"
#include "shared/store/store.h"

#define ANSWER_MAX_CHAIN 8       /* CNAMEs followed inside a zone (loops end here too) */
#define ANSWER_MAX_TARGETS 16    /* MX/NS/SRV targets whose addresses go in additional */
#define ANSWER_WHY_MAX 160       /* a refusal's reason, for the log */

struct answer_opts {
	uint16_t udp_max;            /* our EDNS payload size (default 1232) */
	bool chaos;                  /* answer CH TXT version.bind, id.server */
	const char *version, *identity;
	const struct cookie_secrets *cookies;   /* DNS COOKIES; NULL: off */
	bool rrl;                    /* classify answers for rate limiting (info->rrl_*) */
	uint64_t now;                /* a fixed clock for TSIG and cookies (tests); 0: the real one */
};

/* What happened, for the counters. */
struct answer_info {
	uint16_t qtype;
	const uint8_t *qname;        /* in the query; only valid while it is */
	uint8_t rcode;
	bool dropped, truncated, edns;
	bool transfer;               /* AXFR or IXFR */
	enum cookie_verdict cookie;
	enum rrl_class rrl_class;    /* with opts->rrl: the kind of answer */
	uint64_t rrl_name;           /* and a hash of the name, zone or type it counts by */
	size_t question_end;         /* the answer's header and question: what a slip keeps */
	size_t opt_off, opt_len;     /* the answer's OPT record (opt_len 0: none), which it keeps too */
	bool signed_answer;          /* a TSIG-signed query's answer */
	bool rrl_dropped, rrl_slipped;   /* set by the worker's rate limit */
	bool malformed;              /* FORMERR: the query did not parse */
	bool cached;                 /* the records came from the answer cache */
	char why[ANSWER_WHY_MAX];    /* when not empty: a refused transfer or a failed TSIG check */
};

/*
 * Answers the query in[0..inlen) from client into out (room for outcap bytes; a UDP answer
 * is further limited by the client's size). t is a read transaction and cur a cursor on
 * STORE_RRSETS in it. A signed query gets a signed answer (or NOTAUTH with the TSIG error);
 * AXFR and IXFR are checked against the zone's secondaries (client may be NULL: refused):
 * over UDP an allowed IXFR gets the current SOA, and a TCP transfer that reaches this
 * function was not given (see xfr_start). cache (NULL: none) holds answers already built
 * from t's snapshot (the caller syncs it, see answer_cache_sync). Returns the answer's
 * length, or 0 when the query gets no answer.
 */
size_t answer_query(struct store_txn *t, MDB_cursor *cur, struct answer_cache *cache,
                    const struct answer_opts *o, const uint8_t *in, size_t inlen, uint8_t *out,
                    size_t outcap, bool tcp, const struct sockaddr *client,
                    struct answer_info *info);

#endif
