/* A zone's secondaries: the addresses allowed to transfer it, the TSIG key they must use, NOTIFY. */
#ifndef LS_SECONDARY_H
#define LS_SECONDARY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "shared/store/store.h"

#define SECONDARY_TAG 'A'
#define SECONDARY_VERSION 1
#define SECONDARY_KEY_MAX 64         /* bytes of a TSIG key name */
#define SECONDARY_TEXT_MAX 64

struct secondary {
	int family;                      /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint16_t port;                   /* where NOTIFY goes; 53 unless given */
	char key[SECONDARY_KEY_MAX];     /* TSIG key name (tsig_key_name_text), "" for none */
};

/* "192.0.2.1", "192.0.2.1:5300", "2001:db8::1", "[2001:db8::1]:5300"; 0 or -1. */
int secondary_parse(const char *text, struct secondary *out);
/* "192.0.2.1:53" or "[2001:db8::1]:53" into buf. */
const char *secondary_format(const struct secondary *s, char *buf, size_t len);

/* The zone's entry for s's address (port and key aside): 0, LS_ENOTFOUND or a store error. */
int secondary_get(struct store_txn *t, uint32_t zone_id, const struct secondary *s,
                  struct secondary *out);
/* Adds or replaces (same address) a secondary of the zone. */
void secondary_put(struct store_txn *t, uint32_t zone_id, const struct secondary *s);
/* Returns 0 or LS_ENOTFOUND. */
int secondary_del(struct store_txn *t, uint32_t zone_id, const struct secondary *s);
/* Calls fn for each secondary of the zone, in address order. */
int secondary_list(struct store_txn *t, uint32_t zone_id,
                   int (*fn)(const struct secondary *s, void *ctx), void *ctx);
/* Calls fn for every secondary of every zone (zone id order). */
int secondary_each(struct store_txn *t,
                   int (*fn)(uint32_t zone_id, const struct secondary *s, void *ctx), void *ctx);
/* The zone's secondary entry for the client address: 0, LS_ENOTFOUND or a store error. */
int secondary_find(struct store_txn *t, uint32_t zone_id, const struct sockaddr *client,
                   struct secondary *out);

#endif
