/* Token checks and the per-address limit on failed ones, in a fixed table. */
#include <string.h>
#include "httpsd/api/api_auth.h"
#include "shared/util/addr.h"
#include "shared/util/err.h"
#include "shared/util/siphash.h"

/* The slot for addr: its own, else a free one, else the one least recently failed. */
static struct api_auth_slot *slot_for(struct api_auth *a, const uint8_t addr[16])
{
	/* A small open-addressed probe: the table is only touched on failures. */
	uint32_t h = 2166136261u;
	for (int i = 0; i < 16; i++)
		h = (h ^ addr[i]) * 16777619u;
	struct api_auth_slot *oldest = NULL;
	for (unsigned i = 0; i < 8; i++) {
		struct api_auth_slot *s = &a->slot[(h + i) % API_AUTH_SLOTS];
		if (s->used && memcmp(s->addr, addr, 16) == 0)
			return s;
		if (!s->used) {
			memset(s, 0, sizeof(*s));
			memcpy(s->addr, addr, 16);
			s->used = true;
			return s;
		}
		if (oldest == NULL || s->window_start < oldest->window_start)
			oldest = s;
	}
	memset(oldest, 0, sizeof(*oldest));
	memcpy(oldest->addr, addr, 16);
	oldest->used = true;
	return oldest;
}

/* One failure from addr: 401, or 429 once the address is over the limit. */
static int fail(struct api_auth *a, const struct sockaddr *peer, int64_t now)
{
	uint8_t addr[16] = { 0 };
	size_t n = addr_bytes(peer, addr);
	if (n == 16)
		memset(addr + 8, 0, 8);     /* IPv6: one /64 is one client */
	struct api_auth_slot *s = slot_for(a, addr);
	a->failures++;
	if (s->blocked_until > now) {
		a->refused++;
		return 429;
	}
	if (now - s->window_start >= API_AUTH_WINDOW) {
		s->window_start = now;
		s->fails = 0;
	}
	if (++s->fails >= API_AUTH_FAILS_MAX)
		s->blocked_until = now + API_AUTH_WINDOW;
	return 401;
}

int api_auth_check(struct api_auth *a, struct store_txn *t, const struct sockaddr *peer,
                   const char *key, size_t len, int64_t now, struct api_token *out)
{
	if (len == 0 || len > API_KEY_MAX)
		return fail(a, peer, now);
	int rc = api_token_find(t, key, len, out);
	if (rc == LS_ENOTFOUND)
		return fail(a, peer, now);
	return rc;
}
