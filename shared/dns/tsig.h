/* TSIG (RFC 8945): finding, verifying and appending transaction signatures, HMAC-SHA1/256/512. */
#ifndef LS_TSIG_H
#define LS_TSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shared/dns/dname.h"

#define TSIG_TYPE 250
#define TSIG_CLASS 255               /* ANY */
#define TSIG_FUDGE 300               /* seconds of clock difference accepted (RFC 8945 10) */
#define TSIG_MAC_MAX 64              /* HMAC-SHA512 */
#define TSIG_MAC_MIN 10              /* shorter truncated MACs are refused (RFC 8945 5.2.2.1) */
#define TSIG_SECRET_MAX 64           /* bytes of a key's secret */
#define TSIG_ALG_WIRE_MAX 13         /* "hmac-sha256." in wire form */
#define TSIG_OTHER_MAX 6             /* other data we send: the server's time with BADTIME */
/* Room one TSIG record takes at most in a message we send. */
#define TSIG_RR_MAX (DNAME_MAX + 10 + TSIG_ALG_WIRE_MAX + 10 + TSIG_MAC_MAX + 6 + TSIG_OTHER_MAX)

/* TSIG error codes (RFC 8945 3), sent with RCODE NOTAUTH. */
enum { TSIG_NOERROR = 0, TSIG_BADSIG = 16, TSIG_BADKEY = 17, TSIG_BADTIME = 18, TSIG_BADTRUNC = 22 };
#define RCODE_NOTAUTH 9

enum tsig_alg { TSIG_ALG_UNKNOWN = 0, TSIG_HMAC_SHA1, TSIG_HMAC_SHA256, TSIG_HMAC_SHA512 };

struct tsig_key {
	uint8_t name[DNAME_MAX];         /* wire form, lower case */
	enum tsig_alg alg;
	uint8_t secret[TSIG_SECRET_MAX];
	size_t secret_len;
};

/* A TSIG record found in a message; pointers borrow the message. */
struct tsig_rr {
	size_t off;                      /* where the record starts: the message it signs ends here */
	uint8_t name[DNAME_MAX];         /* the key name, decompressed, lower case */
	enum tsig_alg alg;
	const uint8_t *alg_wire;         /* as sent, for answering an unknown algorithm */
	uint64_t time;
	uint16_t fudge, mac_len, orig_id, error, other_len;
	const uint8_t *mac, *other;
};

/* "hmac-sha256" for an algorithm, NULL for none. */
const char *tsig_alg_name(enum tsig_alg alg);
/* The algorithm named by text (hmac-sha1, hmac-sha256, hmac-sha512); 0 or -1. */
int tsig_alg_parse(const char *text, enum tsig_alg *out);
/* Bytes of the algorithm's full MAC (and of the secrets zonectl makes for it). */
size_t tsig_alg_mac_len(enum tsig_alg alg);

/*
 * The TSIG record of msg, which must be the last record of the additional section:
 * 0 and out filled, LS_ENOTFOUND when there is none, LS_EPARSE when the message or the
 * record is malformed (including a TSIG record that is not the last one).
 */
int tsig_find(const uint8_t *msg, size_t len, struct tsig_rr *out);

/*
 * Checks rr's MAC over msg (which holds it) with key. prior is the MAC a response
 * chains to (the request's for the first message, the previous message's after that;
 * NULL for a request); timers_only for the second and later messages of a transfer
 * (RFC 8945 5.3.1). Returns TSIG_NOERROR, TSIG_BADKEY (other algorithm), TSIG_BADSIG,
 * TSIG_BADTIME (outside its fudge of now, checked after the MAC), or LS_EPARSE when the
 * MAC is longer than the algorithm's (FORMERR).
 */
int tsig_verify(const uint8_t *msg, const struct tsig_rr *rr, const struct tsig_key *key,
                const uint8_t *prior, size_t prior_len, bool timers_only, uint64_t now);

/* What a signature says beyond the MAC. */
struct tsig_sign_opts {
	uint64_t time;                   /* time signed */
	uint64_t now;                    /* our clock, sent as other data with TSIG_BADTIME */
	uint16_t error;
	const uint8_t *prior;            /* as for tsig_verify */
	size_t prior_len;
	bool timers_only;
};

/*
 * Appends a TSIG record signing msg[0..len) (its ARCOUNT goes up by one) and copies the
 * MAC to mac (TSIG_MAC_MAX bytes) for the next message to chain to. Returns the new
 * length, or 0 when it does not fit in cap.
 */
size_t tsig_sign(uint8_t *msg, size_t len, size_t cap, const struct tsig_key *key,
                 const struct tsig_sign_opts *o, uint8_t *mac, size_t *mac_len);

/*
 * Appends an unsigned TSIG record (no MAC) carrying error, for BADKEY and BADSIG answers
 * (RFC 8945 5.3.2): it repeats the request's key name, algorithm and time.
 */
size_t tsig_append_error(uint8_t *msg, size_t len, size_t cap, const struct tsig_rr *req,
                         uint16_t error);

#endif
