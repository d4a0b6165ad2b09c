/*
 * DNS COOKIES (RFC 7873) with the interoperable server cookie of RFC 9018: version 1, a time
 * stamp and SipHash-2-4 over the client cookie and address. Stateless: a cookie is checked by
 * making it again.
 */
#ifndef DNSD_COOKIE_H
#define DNSD_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define COOKIE_OPTION 10           /* the EDNS option code */
#define COOKIE_CLIENT_LEN 8
#define COOKIE_MAX 40              /* client cookie and a server cookie of at most 32 bytes */
#define COOKIE_ANSWER_LEN 24       /* client cookie and our 16-byte server cookie */
#define COOKIE_SECRET_LEN 16
#define COOKIE_SECRETS_MAX 2       /* configured: the one that makes cookies, one more accepted */
#define COOKIE_SECRET_HEX_MAX (COOKIE_SECRETS_MAX * (2 * COOKIE_SECRET_LEN + 1))
#define COOKIE_ROTATE 86400        /* a random secret's period; the last period's is accepted */

struct cookie_secrets {
	bool configured;           /* else key[0] is a random master for each period's secret */
	size_t n;
	uint8_t key[COOKIE_SECRETS_MAX][COOKIE_SECRET_LEN];
};

enum cookie_verdict {
	COOKIE_NONE,               /* no COOKIE option */
	COOKIE_CLIENT_ONLY,        /* a client cookie alone: the client learns ours now */
	COOKIE_BAD,                /* a server cookie we did not make, or too old */
	COOKIE_VALID,
};

/*
 * Secrets from the configuration's text (one or two secrets of 32 hex digits, blank
 * separated), or a random one when text is NULL or empty. -1 with a reason in err.
 */
int cookie_secrets_init(struct cookie_secrets *s, const char *text, char *err, size_t errlen);

/* True when len is a well-formed COOKIE option length (RFC 7873 5.2.2). */
bool cookie_len_ok(size_t len);

/*
 * Judges the client's cookie in[0..len) (len well-formed) from client at time now, and
 * writes the cookie for the answer into out: the client cookie and a server cookie (the
 * client's own when valid and less than half an hour old, RFC 9018 4.3).
 */
enum cookie_verdict cookie_answer(const struct cookie_secrets *s, const uint8_t *in, size_t len,
                                  const struct sockaddr *client, uint32_t now,
                                  uint8_t out[COOKIE_ANSWER_LEN]);

#endif
