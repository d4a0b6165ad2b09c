/* Server cookies: made and checked the same way, so that anycast peers sharing a secret agree. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <netinet/in.h>
#include "dnsd/cookie.h"
#include "shared/util/addr.h"
#include "shared/util/siphash.h"

#define SERVER_VERSION 1
#define TIME_OFF (COOKIE_CLIENT_LEN + 4)
#define HASH_OFF (COOKIE_CLIENT_LEN + 8)
#define HASHED_MAX (HASH_OFF + 16) /* the cookie up to the hash, and an IPv6 address */
#define MAX_AGE 3600               /* RFC 9018 4.3: older cookies are not valid */
#define MAX_AHEAD 300              /* nor those more than five minutes in the future */
#define RENEW_AGE 1800             /* a valid cookie older than this is replaced */

static int hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_secret(const char *p, size_t n, uint8_t out[COOKIE_SECRET_LEN])
{
	if (n != 2 * COOKIE_SECRET_LEN)
		return -1;
	for (size_t i = 0; i < COOKIE_SECRET_LEN; i++) {
		int hi = hex_nibble(p[2 * i]), lo = hex_nibble(p[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int cookie_secrets_init(struct cookie_secrets *s, const char *text, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	const char *p = text ? text : "";
	while (*p) {
		size_t blank = strspn(p, " \t,"), n;
		p += blank;
		if ((n = strcspn(p, " \t,")) == 0)
			break;
		if (s->n == COOKIE_SECRETS_MAX) {
			snprintf(err, errlen, "at most %d cookie secrets (the one in use, then the "
			         "last one)", COOKIE_SECRETS_MAX);
			return -1;
		}
		if (parse_secret(p, n, s->key[s->n]) != 0) {
			snprintf(err, errlen, "a cookie secret is %d hexadecimal digits, not '%.*s'",
			         2 * COOKIE_SECRET_LEN, (int)(n > 40 ? 40 : n), p);
			return -1;
		}
		s->n++;
		p += n;
	}
	if (s->n > 0) {
		s->configured = true;
		return 0;
	}
	if (getrandom(s->key[0], COOKIE_SECRET_LEN, 0) != COOKIE_SECRET_LEN) {
		snprintf(err, errlen, "no random bytes for the cookie secret");
		return -1;
	}
	s->n = 1;
	return 0;
}

bool cookie_len_ok(size_t len)
{
	/* A client cookie alone, or with a server cookie of 8 to 32 bytes. */
	return len == COOKIE_CLIENT_LEN || (len >= COOKIE_CLIENT_LEN + 8 && len <= COOKIE_MAX);
}

/* A random master's secret for period e: two hashes of the period under the master. */
static void period_key(const struct cookie_secrets *s, uint32_t e, uint8_t out[COOKIE_SECRET_LEN])
{
	uint8_t in[5] = { (uint8_t)(e >> 24), (uint8_t)(e >> 16), (uint8_t)(e >> 8), (uint8_t)e, 0 };
	siphash24_bytes(s->key[0], in, sizeof(in), out);
	in[4] = 1;
	siphash24_bytes(s->key[0], in, sizeof(in), out + SIPHASH_LEN);
}

/* The secrets to try at time now, the one that makes new cookies first. */
static size_t keys(const struct cookie_secrets *s, uint32_t now,
                   uint8_t out[COOKIE_SECRETS_MAX][COOKIE_SECRET_LEN])
{
	if (s->configured) {
		memcpy(out, s->key, s->n * COOKIE_SECRET_LEN);
		return s->n;
	}
	period_key(s, now / COOKIE_ROTATE, out[0]);
	period_key(s, now / COOKIE_ROTATE - 1, out[1]);
	return 2;
}

/* The hash of cookie[0..HASH_OFF) (client cookie, version, reserved, time) and the address. */
static void hash(const uint8_t key[COOKIE_SECRET_LEN], const uint8_t *cookie,
                 const struct sockaddr *client, uint8_t out[SIPHASH_LEN])
{
	uint8_t in[HASHED_MAX];
	size_t n = HASH_OFF;
	memcpy(in, cookie, HASH_OFF);
	/* An IPv4 client on a dual-stack socket hashes as the IPv4 address it is. */
	if (client)
		n += addr_bytes(client, in + n);
	siphash24_bytes(key, in, n, out);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

enum cookie_verdict cookie_answer(const struct cookie_secrets *s, const uint8_t *in, size_t len,
                                  const struct sockaddr *client, uint32_t now,
                                  uint8_t out[COOKIE_ANSWER_LEN])
{
	uint8_t k[COOKIE_SECRETS_MAX][COOKIE_SECRET_LEN], h[SIPHASH_LEN];
	size_t nk = keys(s, now, k);
	enum cookie_verdict v = len == COOKIE_CLIENT_LEN ? COOKIE_CLIENT_ONLY : COOKIE_BAD;
	if (len == COOKIE_ANSWER_LEN && in[COOKIE_CLIENT_LEN] == SERVER_VERSION) {
		/* Age in serial-number arithmetic (RFC 1982), so the 2106 wrap changes nothing. */
		int32_t age = (int32_t)(now - get32(in + TIME_OFF));
		for (size_t i = 0; i < nk && age <= MAX_AGE && age >= -MAX_AHEAD; i++) {
			hash(k[i], in, client, h);
			if (memcmp(h, in + HASH_OFF, SIPHASH_LEN) == 0) {
				v = COOKIE_VALID;
				if (age < RENEW_AGE && i == 0) {
					memcpy(out, in, COOKIE_ANSWER_LEN);
					return v;
				}
				break;
			}
		}
	}
	memcpy(out, in, COOKIE_CLIENT_LEN);
	uint8_t *sc = out + COOKIE_CLIENT_LEN;
	sc[0] = SERVER_VERSION;
	sc[1] = sc[2] = sc[3] = 0;
	sc[4] = (uint8_t)(now >> 24);
	sc[5] = (uint8_t)(now >> 16);
	sc[6] = (uint8_t)(now >> 8);
	sc[7] = (uint8_t)now;
	hash(k[0], out, client, out + HASH_OFF);
	return v;
}
