/*
 * Response rate limiting: answers per second to one client prefix (/24, /56) and one kind of
 * answer, in a fixed table shared by the workers. Over the rate, answers are dropped, and
 * every slip-th one goes out empty with TC so that a real resolver retries over TCP.
 */
#ifndef DNSD_RRL_H
#define DNSD_RRL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "shared/util/prefix.h"

/* What an answer is, for the limit: each kind of each name is limited on its own. */
enum rrl_class {
	RRL_ANSWER,        /* data: per name and type */
	RRL_NODATA,        /* per zone, as random names would spread them */
	RRL_NXDOMAIN,      /* per zone */
	RRL_REFERRAL,      /* per zone */
	RRL_ERROR,         /* everything else: one bucket per prefix */
};

enum rrl_action { RRL_SEND, RRL_DROP, RRL_SLIP };

struct rrl_config {
	uint32_t rate;             /* answers a second per prefix and class; 0: off */
	uint32_t slip;             /* every slip-th limited answer goes out truncated; 0: none */
	uint32_t ipv4_prefix, ipv6_prefix;
	uint32_t size;             /* table slots, rounded up to a power of two */
	const char *exempt;        /* prefixes never limited, blank separated (checked already) */
};

/* A list of exempt prefixes; a reload makes a new one and keeps the old until the end. */
struct rrl_exempt {
	struct rrl_exempt *older;
	size_t n;
	struct prefix p[PREFIX_LIST_MAX];
};

struct rrl {
	/* Set by rrl_set, also on SIGHUP while the workers read them. */
	_Atomic uint32_t rate, slip, ipv4_prefix, ipv6_prefix;
	_Atomic(struct rrl_exempt *) exempt;
	_Atomic uint64_t *slots;   /* tag, second, tokens: see rrl.c */
	size_t mask;
	uint8_t key[16];           /* random: nobody can aim at a slot */
};

struct config;
/* The limits a configuration sets (dnsd.rrl-*). */
void rrl_config_read(const struct config *cfg, struct rrl_config *out);
/* 0, or -1 when out of memory. The table is made even with rate 0, so a reload can start it. */
int rrl_init(struct rrl *r, const struct rrl_config *c);
/* The rate, slip, prefixes and exemptions of c, in force at once (the table's size stays).
 * Returns 0, or -1 (out of memory, or a bad exempt list: the old one stays). */
int rrl_set(struct rrl *r, const struct rrl_config *c);
void rrl_free(struct rrl *r);

/*
 * The fate of one UDP answer of class cls for name (a hash of the name, zone or type that
 * the class counts by) to client at time now (seconds). slip_count is the caller's own
 * counter of limited answers (one per worker, so no sharing). With rate 0, always RRL_SEND.
 */
enum rrl_action rrl_check(const struct rrl *r, const struct sockaddr *client, enum rrl_class cls,
                          uint64_t name, uint32_t now, uint32_t *slip_count);

#endif
