/* TSIG keys in the store: name -> algorithm and secret. Secrets leave only through zonectl tsig add. */
#ifndef LS_TSIG_KEY_H
#define LS_TSIG_KEY_H

#include <stddef.h>
#include "shared/store/store.h"
#include "shared/dns/tsig.h"

#define TSIG_KEY_TAG 'T'
#define TSIG_KEY_VERSION 1
#define TSIG_KEY_TEXT_MAX 64         /* bytes of a key name as text (as in a secondary entry) */
#define TSIG_SECRET_TEXT_MAX 90      /* base64 of TSIG_SECRET_MAX bytes, with its NUL */

/* Parses a key name ("xfr-key", "xfr.example.com.") to wire form, lower case; 0 or -1. */
int tsig_key_name(const char *text, uint8_t name[DNAME_MAX]);
/* The name as zonectl shows it and secondaries store it: lower case, no final dot. */
const char *tsig_key_name_text(const uint8_t *name, char *out, size_t len);
/* A new key: name, alg, and a random secret as long as the algorithm's MAC. 0 or -errno. */
int tsig_key_generate(struct tsig_key *k, const uint8_t *name, enum tsig_alg alg);
/* The secret in base64, as NSD and Knot configurations want it. */
int tsig_key_secret_text(const struct tsig_key *k, char out[TSIG_SECRET_TEXT_MAX]);

/* Returns 0, LS_ENOTFOUND or a store error. */
int tsig_key_get(struct store_txn *t, const uint8_t *name, struct tsig_key *out);
void tsig_key_put(struct store_txn *t, const struct tsig_key *k);
/* Returns 0 or LS_ENOTFOUND. */
int tsig_key_del(struct store_txn *t, const uint8_t *name);
/* Calls fn for every key in name order; k is only valid during the call. */
int tsig_key_list(struct store_txn *t, int (*fn)(const struct tsig_key *k, void *ctx), void *ctx);
/* Clears a key's secret from memory. */
void tsig_key_wipe(struct tsig_key *k);

#endif
