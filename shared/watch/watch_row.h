/*
 * One watch result, compact: what a sender saw of a domain at one time (id, policy hash,
 * mode, max_age, MX set, the problem codes, certificate expiry dates). Events are diffs of
 * two rows (watch_diff.h); rows are kept in STORE_WATCH (watch_store.h).
 */
#ifndef LS_WATCH_ROW_H
#define LS_WATCH_ROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "shared/util/alert.h"

#define WATCH_ROW_TAG 'R'
#define WATCH_ROW_VERSION 1
#define WATCH_CODES_MAX 64       /* distinct problem codes kept per row */
#define WATCH_CODE_MAX 40
#define WATCH_MX_MAX 32          /* MX hosts kept per row (check's CHECK_MAX_MX) */
#define WATCH_HOST_MAX 256
#define WATCH_ID_MAX 64
#define WATCH_HASH_LEN 16        /* hex digits of the policy's SHA-256 kept: 64 bits */
#define WATCH_EVENTS_MAX 32      /* event codes noted per row */

struct watch_code {
	char code[WATCH_CODE_MAX];
	enum alert_level level;
};

struct watch_mx {
	char host[WATCH_HOST_MAX];
	int64_t cert_not_after;      /* 0: unknown */
};

struct watch_row {
	int64_t time;
	bool txt;                    /* an _mta-sts TXT record was found */
	bool fetched;                /* the policy was fetched (its hash, mode, max_age are set) */
	char id[WATCH_ID_MAX];       /* the TXT's id, "" without */
	char hash[WATCH_HASH_LEN + 1];
	char mode[16];               /* "enforce", "testing", "none", "" */
	int64_t max_age;             /* -1: unknown */
	struct watch_mx mx[WATCH_MX_MAX];   /* sorted by host */
	unsigned nmx;
	struct watch_code codes[WATCH_CODES_MAX];
	unsigned ncodes;
	int64_t sts_cert_not_after;  /* the policy host's certificate, 0: unknown */
	char fetch_error[256];       /* why the fetch failed */
	char events[WATCH_EVENTS_MAX][WATCH_CODE_MAX + 10];   /* "code state" this run sent */
	unsigned nevents;
};

/* Adds code (once; the more severe level wins). Returns LS_ETOOBIG when full. */
int watch_row_add_code(struct watch_row *r, const char *code, enum alert_level level);
/* The code's entry in r, or NULL. */
const struct watch_code *watch_row_code(const struct watch_row *r, const char *code);
/* The MX hosts, space separated, in order: "mx1.example.org mx2.example.org". */
void watch_row_mx_text(const struct watch_row *r, char *out, size_t cap);
/* True when a and b name the same MX hosts. */
bool watch_row_same_mx(const struct watch_row *a, const struct watch_row *b);
/* The status a check gives this row: the highest level of its codes (-1: no codes). */
int watch_row_status(const struct watch_row *r);

/* As JSON (new reference) and back (0 or LS_EPARSE). */
json_t *watch_row_json(const struct watch_row *r);
int watch_row_from_json(const json_t *j, struct watch_row *r);
/* The stored value: tag, version, compact JSON. Free the text with free(). */
int watch_row_encode(const struct watch_row *r, char **out, size_t *len);
int watch_row_decode(const void *val, size_t len, struct watch_row *r);

#endif
