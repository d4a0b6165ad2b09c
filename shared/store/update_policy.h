/*
 * DNS UPDATE policies: per zone and TSIG key, the names and types the key may change.
 * No policy, no update (RFC 3007: dnsd refuses what no policy allows).
 */
#ifndef LS_UPDATE_POLICY_H
#define LS_UPDATE_POLICY_H

#include <stdbool.h>
#include <stdint.h>
#include "shared/dns/dname.h"
#include "shared/store/store.h"

#define UPDATE_POLICY_TAG 'U'
#define UPDATE_POLICY_VERSION 1
#define UPDATE_POLICY_MAX_NAMES 16   /* --name patterns of one policy */
#define UPDATE_POLICY_MAX_TYPES 16   /* --type values of one policy */

/* One --name: an exact name, or (wild) every name strictly below it ("*.sub.example.com."). */
struct update_pattern {
	bool wild;
	uint8_t name[DNAME_MAX];     /* wire form, lower case; for wild, without the "*" label */
};

struct update_policy {
	uint8_t key[DNAME_MAX];      /* the TSIG key name, wire form, lower case */
	unsigned nnames, ntypes;     /* 0 names: the whole zone; 0 types: the default set */
	struct update_pattern names[UPDATE_POLICY_MAX_NAMES];
	uint16_t types[UPDATE_POLICY_MAX_TYPES];
};

/* Parses "*.sub.example.com." or "host.example.com." (absolute, or relative to apex). 0 or -1. */
int update_policy_pattern(const char *text, const uint8_t *apex, struct update_pattern *out);
/* "*.sub.example.com." for a pattern, into out (DNAME_STR_MAX + 2 bytes). */
const char *update_policy_pattern_text(const struct update_pattern *p, char *out);

/*
 * Whether p lets its key change owner/type in the zone at apex. Without --type, every type
 * but SOA (the records MTA-STS manages are refused by the edit itself, for every writer).
 */
bool update_policy_allows(const struct update_policy *p, const uint8_t *owner, uint16_t type);

/* The policy of key in the zone: 0, LS_ENOTFOUND or a store error. */
int update_policy_get(struct store_txn *t, uint32_t zone_id, const uint8_t *key,
                      struct update_policy *out);
/* Adds or replaces the key's policy in the zone. */
void update_policy_put(struct store_txn *t, uint32_t zone_id, const struct update_policy *p);
/* Returns 0 or LS_ENOTFOUND. */
int update_policy_del(struct store_txn *t, uint32_t zone_id, const uint8_t *key);
/* Calls fn for each policy of the zone in key order (zone_id 0: of every zone); p is only
 * valid during the call. */
int update_policy_list(struct store_txn *t, uint32_t zone_id,
                       int (*fn)(uint32_t zone_id, const struct update_policy *p, void *ctx),
                       void *ctx);
/* Deletes every policy of a zone that is being deleted (a zone_hook). */
int update_policy_zone_deleted(struct store_txn *t, uint32_t zone_id);

#endif
