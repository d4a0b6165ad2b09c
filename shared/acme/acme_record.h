/*
 * ACME state per certificate name in STORE_ACME (key: the host name in text, lower case):
 * where its order stands, what the CA said last, when to try again and when to renew.
 * Also the record of recent new orders that orders-per-hour counts.
 */
#ifndef LS_ACME_RECORD_H
#define LS_ACME_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include "shared/store/store.h"

#define ACME_RECORD_TAG 'A'
#define ACME_RECORD_VERSION 1
#define ACME_HOST_MAX 254          /* a host name and its NUL */
#define ACME_URL_MAX 1024
#define ACME_TOKEN_MAX 256
#define ACME_PROBLEM_MAX 512
#define ACME_WINDOW_MAX 100000     /* order times kept for orders-per-hour */

enum acme_state {
	ACME_NONE,        /* known, nothing to do (a manual or demo certificate) */
	ACME_QUEUED,      /* wants a certificate; waits for its turn under orders-per-hour */
	ACME_ORDERING,    /* an order exists at the CA (order URL), authorization not answered */
	ACME_VALIDATING,  /* the challenge is answered; the CA validates */
	ACME_ISSUED,      /* a certificate from the CA is in place; renew_at says when next */
	ACME_RENEWING,    /* issued, and an order for the next one is under way */
	ACME_FAILED,      /* the last try failed; next_try says when the next one is */
};

struct acme_cert {
	char host[ACME_HOST_MAX];
	enum acme_state state;
	bool had_cert;                        /* issued once: a failure is a failed renewal */
	bool txt;                             /* a dns-01 TXT of ours may be in the zone */
	bool alpn;                            /* a tls-alpn-01 certificate of ours may be stored */
	bool force;                           /* zonectl cert renew: order now, due or not */
	char directory[ACME_URL_MAX];         /* the directory of the order (and the certificate) */
	char order[ACME_URL_MAX];
	char authz[ACME_URL_MAX];
	char challenge[ACME_URL_MAX];
	char challenge_type[16];              /* "dns-01", "tls-alpn-01" */
	char token[ACME_TOKEN_MAX];
	char keyauth[ACME_TOKEN_MAX + 64];
	char replaces[ACME_URL_MAX];          /* ARI CertID of the certificate this one replaces */
	char serial[80];                      /* of the certificate in place, hex */
	char problem_type[128];               /* the CA's last problem, or ours ("connection") */
	char problem_detail[ACME_PROBLEM_MAX];
	int64_t queued_at, next_try, renew_at, ordered_at, not_after, last_error_log;
	int64_t renew_base;                   /* renew_at by the lifetime rule alone */
	int64_t ari_start, ari_end;           /* the last renewalInfo window seen; 0: none */
	int64_t ari_next;                     /* when to ask renewalInfo again; 0: never */
	uint32_t tries;                       /* failures in a row */
};

const char *acme_state_name(enum acme_state s);
/* 0, LS_ENOTFOUND, LS_EPARSE (a value this code cannot read) or a store error. */
int acme_record_get(struct store_txn *t, const char *host, struct acme_cert *out);
void acme_record_put(struct store_txn *t, const struct acme_cert *c);
void acme_record_del(struct store_txn *t, const char *host);
/* acme_record_put() in a write transaction of its own: 0 or a store error. */
int acme_record_save(struct store *st, const struct acme_cert *c);
/* fn for each name in host order; stops at fn's first non-zero and returns it. */
int acme_record_each(struct store_txn *t, int (*fn)(const struct acme_cert *c, void *ctx),
                     void *ctx);
/* The new orders of the last hour (for orders-per-hour): how many, as of now. */
int acme_record_orders(struct store_txn *t, int64_t now, uint32_t *n);
/* One more new order at now (older than an hour forgotten). */
void acme_record_order_add(struct store_txn *t, int64_t now);
/* Checks a stored value as acme_record_get() reads it: NULL, or what is wrong. */
const char *acme_record_check(const void *key, size_t klen, const void *val, size_t vlen);

#endif
