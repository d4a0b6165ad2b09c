/*
 * Who a request is: the token its key matches, and the per-address limit on failures (after
 * API_AUTH_FAILS_MAX failed attempts in a minute, an address's further failures get 429 for a
 * minute; a valid token is always let in, so a legitimate panel is never locked out).
 */
#ifndef HTTPSD_API_AUTH_H
#define HTTPSD_API_AUTH_H

#include <stdint.h>
#include <sys/socket.h>
#include "shared/store/api_token.h"
#include "shared/store/store.h"

#define API_AUTH_FAILS_MAX 20        /* failures per address and minute before 429 */
#define API_AUTH_WINDOW 60           /* seconds of the window and of the block */
#define API_AUTH_SLOTS 4096          /* addresses tracked (IPv6 by /64); the oldest is reused */
#define API_KEY_MAX 256              /* bytes of a key we hash at all */

struct api_auth_slot {
	uint8_t addr[16];
	int64_t window_start, blocked_until;
	uint32_t fails;
	bool used;
};

struct api_auth {
	struct api_auth_slot slot[API_AUTH_SLOTS];
	uint64_t failures, refused;      /* counts for the log */
};

/*
 * Checks key[0..len) from peer at time now. Returns 0 (the token in *out), 401 (no key, or
 * no token has it) or 429 (failures from this address over the limit), or a negative store
 * error.
 */
int api_auth_check(struct api_auth *a, struct store_txn *t, const struct sockaddr *peer,
                   const char *key, size_t len, int64_t now, struct api_token *out);

#endif
