/*
 * TLS reports in the store (STORE_TLSRPT). Keys are a kind byte and:
 *   'R' id (8, big endian)                  -> the report: when received, its facts, raw gzip
 *   'K' SHA-256(organization NUL report-id) -> its id (one report stored once)
 *   'S' domain NUL day (4) id (8) index (2)  -> one summary row: a policy counted for domain
 * Values start with the kind byte and TLSRPT_STORE_VERSION; facts and rows are JSON objects, so
 * fields are added without a new version. Ids grow with time, so the oldest come first.
 */
#ifndef LS_TLSRPT_STORE_H
#define LS_TLSRPT_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "shared/store/store.h"

#define TLSRPT_STORE_VERSION 1
#define TLSRPT_DOMAIN_MAX 254      /* a domain in text form, no trailing dot, and its NUL */

/* A stored report: borrowed until the transaction ends, but facts (free with json_decref()). */
struct tlsrpt_entry {
	uint64_t id;
	int64_t received;
	json_t *facts;             /* org, report_id, start, end, day, domains, misaddressed, ... */
	const uint8_t *raw;        /* the report as received, gzip-compressed */
	size_t rawlen;
};

/* The id of the report org sent as report_id: 0, LS_ENOTFOUND or a store error. */
int tlsrpt_store_find(struct store_txn *t, const char *org, const char *report_id, uint64_t *id);
/* Stores a new report (its id from the "tlsrpt" counter in *id) and its dedup key. */
void tlsrpt_store_add(struct store_txn *t, const char *org, const char *report_id,
                      int64_t received, json_t *facts, const uint8_t *raw, size_t rawlen,
                      uint64_t *id);
/* Replaces the facts of report id (raw and received stay). */
void tlsrpt_store_facts_put(struct store_txn *t, const struct tlsrpt_entry *e, json_t *facts);
/* Report id: 0, LS_ENOTFOUND or an error. Free out->facts with json_decref(). */
int tlsrpt_store_get(struct store_txn *t, uint64_t id, struct tlsrpt_entry *out);
/* Calls fn for each report, oldest first (e->facts owned by the caller: released after fn). */
int tlsrpt_store_each(struct store_txn *t,
                      int (*fn)(const struct tlsrpt_entry *e, void *ctx), void *ctx);
/* Stores row number idx of report id for domain on day (days since 1970-01-01, UTC): its
 * JSON text (tlsrpt_row_format()), tl bytes. */
void tlsrpt_store_row_put(struct store_txn *t, const char *domain, int32_t day, uint64_t id,
                          uint16_t idx, const char *text, size_t tl);
/* Calls fn for each row of domain (every domain when NULL) whose day is from from_day on. */
int tlsrpt_store_rows(struct store_txn *t, const char *domain, int32_t from_day,
                      int (*fn)(const char *domain, int32_t day, uint64_t id, json_t *row,
                                void *ctx),
                      void *ctx);
/* Deletes the rows of report e (by the domains and day its facts name). */
void tlsrpt_store_rows_del(struct store_txn *t, const struct tlsrpt_entry *e);
/* Deletes up to max reports received before before, with their rows and keys; *n how many. */
int tlsrpt_store_prune(struct store_txn *t, int64_t before, size_t max, size_t *n);

#endif
