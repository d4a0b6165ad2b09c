/* Per-address report counts by clock hour in a fixed, linearly probed table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "httpsd/intake_rate.h"
#include "shared/util/addr.h"
#include "httpsd/limiter.h"

int intake_rate_init(struct intake_rate *r, uint32_t per_hour)
{
	memset(r, 0, sizeof(*r));
	r->per_hour = per_hour;
	if ((r->slots = calloc(INTAKE_RATE_SLOTS, sizeof(*r->slots))) == NULL)
		return -ENOMEM;
	pthread_mutex_init(&r->lock, NULL);
	return 0;
}

void intake_rate_free(struct intake_rate *r)
{
	if (r->slots == NULL)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r->slots);
	r->slots = NULL;
}

void intake_rate_set(struct intake_rate *r, uint32_t per_hour)
{
	atomic_store(&r->per_hour, per_hour);
}

/* FNV-1a: the table only spreads addresses; an attacker aiming at one slot evicts itself. */
static size_t slot_of(const uint8_t *a, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ a[i]) * 16777619u;
	return h % INTAKE_RATE_SLOTS;
}

bool intake_rate_take(struct intake_rate *r, const struct sockaddr *peer, int64_t now)
{
	uint8_t a[16];
	size_t n = addr_bytes(peer, a);
	if (r->per_hour == 0 || n == 0)
		return true;
	if (n == 16)
		memset(a + 8, 0, 8);      /* IPv6 counts by /64: one host has a whole one */
	int64_t hour = now / 3600;
	size_t first = slot_of(a, n);
	pthread_mutex_lock(&r->lock);
	struct intake_rate_slot *use = NULL;
	uint32_t best = UINT32_MAX;
	for (size_t i = 0; i < INTAKE_RATE_PROBE; i++) {
		struct intake_rate_slot *s = &r->slots[(first + i) % INTAKE_RATE_SLOTS];
		if (s->len == n && memcmp(s->addr, a, n) == 0) {
			use = s;
			break;
		}
		/* Otherwise: a free or stale slot, else the one with the smallest count. */
		uint32_t score = s->len == 0 || s->hour != hour ? 0 : s->count;
		if (use == NULL || score < best) {
			use = s;
			best = score;
		}
	}
	if (use->len != n || memcmp(use->addr, a, n) != 0) {
		memcpy(use->addr, a, n);
		use->len = (uint8_t)n;
		use->count = 0;
		use->hour = hour;
	}
	if (use->hour != hour) {
		use->hour = hour;
		use->count = 0;
	}
	bool ok = use->count < r->per_hour;
	if (ok)
		use->count++;
	pthread_mutex_unlock(&r->lock);
	return ok;
}
