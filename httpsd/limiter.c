/* Per-address token buckets and handshake counts in a fixed table, a global handshake cap and
 * the trusted clients that bypass both (see limiter.h). */
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include "httpsd/limiter.h"
#include "shared/util/addr.h"

#define MILLI 1000                /* a token, in the thousandths the buckets count */

struct limiter_slot {
	uint8_t key[8];
	uint8_t len;                  /* 4 (IPv4), 8 (an IPv6 /64); 0: empty */
	uint32_t handshakes;          /* in progress */
	uint64_t tokens;              /* thousandths of a new connection */
	uint64_t last_ms;             /* when tokens was last brought up to date */
};


static void settings_copy(struct limiter_settings *to, const struct limiter_settings *from)
{
	*to = *from;
	if (to->ntrusted > PREFIX_LIST_MAX)
		to->ntrusted = PREFIX_LIST_MAX;
}

int limiter_settings_read(struct limiter_settings *set, const struct config *cfg)
{
	memset(set, 0, sizeof(*set));
	set->max_handshakes = cfg->httpsd_max_handshakes;
	set->max_handshakes_per_addr = cfg->httpsd_max_handshakes_per_address;
	set->conns_per_second = cfg->httpsd_new_conns_per_second;
	set->handshake_ms = cfg->httpsd_handshake_timeout * 1000;
	return prefix_list_parse(cfg->httpsd_trusted ? cfg->httpsd_trusted : "", "local",
	                         &set->local, set->trusted, PREFIX_LIST_MAX, &set->ntrusted);
}

int limiter_init(struct limiter *l, const struct limiter_settings *set)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->mu, NULL);
	settings_copy(&l->set, set);
	if (getrandom(&l->seed, sizeof(l->seed), GRND_NONBLOCK) != sizeof(l->seed))
		l->seed = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15u ^ (uint64_t)(uintptr_t)l;
	l->slots = calloc(LIMITER_SLOTS, sizeof(*l->slots));
	return l->slots ? 0 : -ENOMEM;
}

void limiter_free(struct limiter *l)
{
	free(l->slots);
	l->slots = NULL;
	pthread_mutex_destroy(&l->mu);
}

void limiter_set(struct limiter *l, const struct limiter_settings *set)
{
	pthread_mutex_lock(&l->mu);
	settings_copy(&l->set, set);
	pthread_mutex_unlock(&l->mu);
}

uint32_t limiter_handshake_ms(struct limiter *l)
{
	pthread_mutex_lock(&l->mu);
	uint32_t ms = l->set.handshake_ms;
	pthread_mutex_unlock(&l->mu);
	return ms;
}

uint32_t limiter_handshakes(struct limiter *l)
{
	pthread_mutex_lock(&l->mu);
	uint32_t n = l->handshakes;
	pthread_mutex_unlock(&l->mu);
	return n;
}

/* Under l->mu. */
static bool trusted(const struct limiter *l, const struct sockaddr *peer,
                    const struct sockaddr *local)
{
	static const uint8_t one4[4] = { 127, 0, 0, 1 };
	static const uint8_t one6[16] = { [15] = 1 };
	uint8_t p[16], q[16];
	size_t n = addr_bytes(peer, p);
	if (n == 0)
		return false;
	if (!l->set.local)
		goto listed;
	if ((n == 4 && memcmp(p, one4, 4) == 0) || (n == 16 && memcmp(p, one6, 16) == 0))
		return true;
	/* From this host: the kernel gives a local connection the address it reached. */
	if (local && addr_bytes(local, q) == n && memcmp(p, q, n) == 0)
		return true;
listed:
	for (size_t i = 0; i < l->set.ntrusted; i++)
		if (prefix_match(&l->set.trusted[i], peer))
			return true;
	return false;
}

static uint64_t bucket_max(const struct limiter *l)
{
	return (uint64_t)l->set.conns_per_second * LIMITER_BURST * MILLI;
}

/* Brings s's tokens up to now: rate per second is rate thousandths per millisecond. */
static void refill(const struct limiter *l, struct limiter_slot *s, uint64_t now_ms)
{
	uint64_t max = bucket_max(l);
	if (now_ms > s->last_ms) {
		uint64_t add = (now_ms - s->last_ms) * l->set.conns_per_second;
		s->tokens = add >= max || s->tokens >= max - add ? max : s->tokens + add;
		s->last_ms = now_ms;
	}
	if (s->tokens > max)
		s->tokens = max;      /* the rate went down (SIGHUP) */
}

/* An address's slot key: IPv4 whole, IPv6 its /64. Returns the length, 0 for no address. */
static size_t slot_key(const struct sockaddr *a, uint8_t key[8])
{
	uint8_t b[16];
	size_t n = addr_bytes(a, b);
	if (n == 16)
		n = 8;
	memcpy(key, b, n);
	return n;
}

static size_t slot_hash(const struct limiter *l, const uint8_t *key, size_t len)
{
	uint64_t h = l->seed ^ len;
	for (size_t i = 0; i < len; i++) {
		h = (h ^ key[i]) * 0x100000001b3u;
		h ^= h >> 29;
	}
	h *= 0x9e3779b97f4a7c15u;
	return (size_t)(h >> 32) % LIMITER_SLOTS;
}

/*
 * The slot of key among the LIMITER_PROBE after its hash. With create, a missing key takes an
 * empty slot, else one that tells nothing (no handshake, a full bucket), else the one with no
 * handshake and the most tokens; NULL when every one has a handshake in progress. Under l->mu.
 */
static struct limiter_slot *slot_find(struct limiter *l, const uint8_t *key, size_t len,
                                      uint64_t now_ms, bool create)
{
	size_t h = slot_hash(l, key, len);
	struct limiter_slot *free_slot = NULL, *victim = NULL;
	for (size_t i = 0; i < LIMITER_PROBE; i++) {
		struct limiter_slot *s = &l->slots[(h + i) % LIMITER_SLOTS];
		if (s->len == len && memcmp(s->key, key, len) == 0)
			return s;
		if (!create || free_slot)
			continue;
		if (s->len == 0) {
			free_slot = s;
			continue;
		}
		if (s->handshakes > 0)
			continue;
		refill(l, s, now_ms);
		if (s->tokens == bucket_max(l))
			free_slot = s;
		else if (victim == NULL || s->tokens > victim->tokens)
			victim = s;
	}
	struct limiter_slot *s = free_slot ? free_slot : victim;
	if (s == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	memcpy(s->key, key, len);
	s->len = (uint8_t)len;
	s->tokens = bucket_max(l);
	s->last_ms = now_ms;
	return s;
}

#define COUNT(x) atomic_fetch_add_explicit(&l->count.x, 1, memory_order_relaxed)

bool limiter_trusted(struct limiter *l, const struct sockaddr *peer,
                     const struct sockaddr *local)
{
	pthread_mutex_lock(&l->mu);
	bool t = trusted(l, peer, local);
	pthread_mutex_unlock(&l->mu);
	return t;
}

enum limiter_verdict limiter_admit(struct limiter *l, const struct sockaddr *peer,
                                   const struct sockaddr *local, uint64_t now_ms)
{
	uint8_t key[8];
	size_t len = slot_key(peer, key);
	enum limiter_verdict v = LIMITER_ADMIT;
	pthread_mutex_lock(&l->mu);
	if (len == 0 || trusted(l, peer, local)) {
		v = LIMITER_TRUSTED;
		goto out;
	}
	struct limiter_slot *s = slot_find(l, key, len, now_ms, true);
	if (s == NULL) {
		v = LIMITER_TABLE;
		goto out;
	}
	if (l->set.conns_per_second) {
		refill(l, s, now_ms);
		if (s->tokens < MILLI) {
			v = LIMITER_RATE;
			goto out;
		}
		s->tokens -= MILLI;
	}
	if (l->set.max_handshakes_per_addr && s->handshakes >= l->set.max_handshakes_per_addr)
		v = LIMITER_ADDRESS;
	else if (l->set.max_handshakes && l->handshakes >= l->set.max_handshakes)
		v = LIMITER_TOTAL;
	if (v == LIMITER_ADMIT) {
		s->handshakes++;
		l->handshakes++;
	}
out:
	pthread_mutex_unlock(&l->mu);
	switch (v) {
	case LIMITER_TRUSTED: COUNT(trusted); break;
	case LIMITER_ADMIT: COUNT(admitted); break;
	case LIMITER_RATE: COUNT(refused_rate); break;
	case LIMITER_ADDRESS: COUNT(refused_address); break;
	case LIMITER_TOTAL: COUNT(refused_total); break;
	case LIMITER_TABLE: COUNT(refused_table); break;
	}
	return v;
}

void limiter_done(struct limiter *l, const struct sockaddr *peer)
{
	uint8_t key[8];
	size_t len = slot_key(peer, key);
	if (len == 0)
		return;
	pthread_mutex_lock(&l->mu);
	struct limiter_slot *s = slot_find(l, key, len, 0, false);
	if (s && s->handshakes > 0)
		s->handshakes--;
	if (l->handshakes > 0)
		l->handshakes--;
	pthread_mutex_unlock(&l->mu);
}

const char *limiter_reason(enum limiter_verdict v)
{
	switch (v) {
	case LIMITER_RATE: return "new-connections-per-second";
	case LIMITER_ADDRESS: return "max-handshakes-per-address";
	case LIMITER_TOTAL: return "max-handshakes";
	case LIMITER_TABLE: return "too many addresses with handshakes in progress";
	default: return "admitted";
	}
}

const char *limiter_counters_text(struct limiter_counters *c, char *buf, size_t size)
{
#define GET(x) (uint64_t)atomic_load_explicit(&c->x, memory_order_relaxed)
	uint64_t rate = GET(refused_rate), addr = GET(refused_address), total = GET(refused_total),
	         table = GET(refused_table);
	snprintf(buf, size, "%" PRIu64 " trusted and %" PRIu64 " other connections let in, %" PRIu64
	         " refused (new-connections-per-second %" PRIu64 ", max-handshakes-per-address %"
	         PRIu64 ", max-handshakes %" PRIu64 ", address table %" PRIu64 "), %" PRIu64
	         " handshakes timed out", GET(trusted), GET(admitted), rate + addr + total + table,
	         rate, addr, total, table, GET(handshake_timeouts));
#undef GET
	return buf;
}
