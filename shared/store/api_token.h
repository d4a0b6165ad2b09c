/* API tokens (STORE_API): a name, the zones it may touch, read-only or not, and a salted hash
 * of its secret; the secret itself is shown once and never stored. */
#ifndef LS_API_TOKEN_H
#define LS_API_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shared/dns/dname.h"
#include "shared/store/store.h"

#define API_TOKEN_TAG 'K'
#define API_TOKEN_VERSION 1
#define API_TOKEN_NAME_MAX 64        /* letters, digits, '-', '_', '.' */
#define API_TOKEN_ZONES_MAX 16       /* --zone options; none: every zone */
#define API_TOKEN_SALT 16
#define API_TOKEN_HASH 32            /* SHA-256 */
#define API_TOKEN_SECRET_BYTES 32
#define API_TOKEN_SECRET_TEXT (2 * API_TOKEN_SECRET_BYTES + 1)   /* hex and NUL */
#define API_TOKEN_MAX 1024           /* tokens in a store: each request may hash every one */

struct api_token {
	char name[API_TOKEN_NAME_MAX + 1];
	bool read_only;
	int64_t created;
	uint8_t salt[API_TOKEN_SALT];
	uint8_t hash[API_TOKEN_HASH];
	uint8_t zones[API_TOKEN_ZONES_MAX][DNAME_MAX];   /* lower case */
	unsigned nzones;
};

/* True when name may name a token. */
bool api_token_name_ok(const char *name);
/*
 * Fills tk for a new token called name with a random secret, written as hex into secret.
 * Zones and read_only are the caller's to set. Returns 0 or -errno.
 */
int api_token_make(struct api_token *tk, const char *name, char secret[API_TOKEN_SECRET_TEXT]);
/* Returns 0, LS_ENOTFOUND or a store error. */
int api_token_get(struct store_txn *t, const char *name, struct api_token *out);
void api_token_put(struct store_txn *t, const struct api_token *tk);
/* Returns 0 or LS_ENOTFOUND. */
int api_token_del(struct store_txn *t, const char *name);
/* Every token in name order; stops at fn's first non-zero, which it returns. */
int api_token_each(struct store_txn *t, int (*fn)(const struct api_token *tk, void *ctx),
                   void *ctx);
/* A stored value (the name comes from the key). Returns 0 or LS_EPARSE. */
int api_token_decode(const void *val, size_t len, const char *name, size_t nlen,
                     struct api_token *out);
/*
 * The token whose secret is secret[0..len): every stored hash is computed and compared in
 * constant time, so the answer's timing says nothing about how close a guess was.
 * Returns 0, LS_ENOTFOUND or a store error.
 */
int api_token_find(struct store_txn *t, const char *secret, size_t len, struct api_token *out);
/* True when tk may touch the zone apex (a token without zones may touch every zone). */
bool api_token_allows(const struct api_token *tk, const uint8_t *apex);

#endif
