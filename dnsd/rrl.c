/*
 * A token bucket per slot, in one 64-bit word updated by compare-and-swap: 24 bits of tag
 * (which key holds the slot), 16 bits of the second it was last filled, 24 bits of tokens.
 * A key that finds another's tag takes the slot over: a full table forgets, never grows.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <netinet/in.h>
#include "dnsd/rrl.h"
#include "shared/util/addr.h"
#include "shared/util/config.h"
#include "shared/util/siphash.h"

#define TAG_SHIFT 40
#define TIME_SHIFT 24
#define TOKENS_MASK 0xffffffu
#define TIME_MASK 0xffffu
#define CAS_TRIES 4                /* then the answer goes out: contention is not an attack */
#define RATE_MAX TOKENS_MASK

void rrl_config_read(const struct config *cfg, struct rrl_config *out)
{
	*out = (struct rrl_config){ .rate = cfg->rrl_rate, .slip = cfg->rrl_slip,
		                    .ipv4_prefix = cfg->rrl_ipv4_prefix,
		                    .ipv6_prefix = cfg->rrl_ipv6_prefix, .size = cfg->rrl_table_size,
		                    .exempt = cfg->rrl_exempt };
}

int rrl_set(struct rrl *r, const struct rrl_config *c)
{
	atomic_store_explicit(&r->rate, c->rate > RATE_MAX ? RATE_MAX : c->rate,
	                      memory_order_relaxed);
	atomic_store_explicit(&r->slip, c->slip, memory_order_relaxed);
	atomic_store_explicit(&r->ipv4_prefix, c->ipv4_prefix > 32 ? 32 : c->ipv4_prefix,
	                      memory_order_relaxed);
	atomic_store_explicit(&r->ipv6_prefix, c->ipv6_prefix > 128 ? 128 : c->ipv6_prefix,
	                      memory_order_relaxed);
	struct rrl_exempt *e = calloc(1, sizeof(*e));
	if (e == NULL ||
	    prefix_list_parse(c->exempt ? c->exempt : "", NULL, NULL, e->p, PREFIX_LIST_MAX,
	                      &e->n) != 0) {
		free(e);
		return -1;
	}
	/* Workers may still read the old list: it is kept, and freed by rrl_free. */
	e->older = atomic_load_explicit(&r->exempt, memory_order_relaxed);
	atomic_store_explicit(&r->exempt, e, memory_order_release);
	return 0;
}

int rrl_init(struct rrl *r, const struct rrl_config *c)
{
	memset(r, 0, sizeof(*r));
	if (rrl_set(r, c) != 0)
		return -1;
	size_t n = 1;
	while (n < c->size)
		n <<= 1;
	if ((r->slots = calloc(n, sizeof(*r->slots))) == NULL)
		return -1;
	r->mask = n - 1;
	if (getrandom(r->key, sizeof(r->key), 0) != (ssize_t)sizeof(r->key)) {
		/* Without randomness the table still limits; only its slots are predictable. */
		memset(r->key, 0x5c, sizeof(r->key));
	}
	return 0;
}

void rrl_free(struct rrl *r)
{
	free(r->slots);
	r->slots = NULL;
	struct rrl_exempt *e = atomic_load_explicit(&r->exempt, memory_order_relaxed);
	while (e) {
		struct rrl_exempt *older = e->older;
		free(e);
		e = older;
	}
	r->exempt = NULL;
}

/* The client's prefix into out (family byte, then the address with its host bits cleared). */
static size_t prefix(const struct rrl *r, const struct sockaddr *sa, uint8_t out[17])
{
	uint8_t a[16];
	size_t len = addr_bytes(sa, a);
	uint32_t bits = atomic_load_explicit(len == 4 ? &r->ipv4_prefix : &r->ipv6_prefix,
	                                     memory_order_relaxed);
	out[0] = (uint8_t)len;
	for (size_t i = 0; i < len; i++) {
		uint32_t keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * (uint32_t)i : 0;
		out[1 + i] = (uint8_t)(a[i] & (uint8_t)(0xff00u >> keep));
	}
	return 1 + len;
}

enum rrl_action rrl_check(const struct rrl *r, const struct sockaddr *client, enum rrl_class cls,
                          uint64_t name, uint32_t now, uint32_t *slip_count)
{
	uint64_t rate = atomic_load_explicit(&r->rate, memory_order_relaxed);
	if (r->slots == NULL || client == NULL || rate == 0)
		return RRL_SEND;
	const struct rrl_exempt *e = atomic_load_explicit(&r->exempt, memory_order_acquire);
	for (size_t i = 0; e && i < e->n; i++)
		if (prefix_match(&e->p[i], client))
			return RRL_SEND;
	uint8_t key[17 + 1 + 8];
	size_t n = prefix(r, client, key);
	key[n++] = (uint8_t)cls;
	memcpy(key + n, &name, sizeof(name));
	n += sizeof(name);
	uint64_t h = siphash24(r->key, key, n);
	_Atomic uint64_t *slot = &r->slots[h & r->mask];
	uint64_t tag = h >> TAG_SHIFT, t = now & TIME_MASK;
	uint32_t slip = atomic_load_explicit(&r->slip, memory_order_relaxed);
	uint64_t old = atomic_load_explicit(slot, memory_order_relaxed);
	for (int i = 0; i < CAS_TRIES; i++) {
		uint64_t tokens;
		if (old >> TAG_SHIFT != tag || old == 0) {
			tokens = rate;                       /* a new key: a full bucket */
		} else {
			uint64_t elapsed = (t - (old >> TIME_SHIFT & TIME_MASK)) & TIME_MASK;
			tokens = (old & TOKENS_MASK) + elapsed * rate;
			if (tokens > rate)
				tokens = rate;
		}
		bool limited = tokens == 0;
		uint64_t next = tag << TAG_SHIFT | t << TIME_SHIFT | (limited ? 0 : tokens - 1);
		if (atomic_compare_exchange_weak_explicit(slot, &old, next, memory_order_relaxed,
		                                          memory_order_relaxed)) {
			if (!limited)
				return RRL_SEND;
			if (slip && ++*slip_count % slip == 0)
				return RRL_SLIP;
			return RRL_DROP;
		}
	}
	return RRL_SEND;
}
