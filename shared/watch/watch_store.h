/*
 * STORE_WATCH: the watched domains with their check options and schedule ('W' + domain),
 * their result rows ('R' + domain + 0 + time), their open problems ('P' + domain) and the
 * outbox of events written inside other writers' commits ('O' + sequence). Domains are text,
 * lower case, without the trailing dot. Values are a tag, a version and compact JSON.
 */
#ifndef LS_WATCH_STORE_H
#define LS_WATCH_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include "shared/store/store.h"
#include "shared/util/alert.h"
#include "shared/watch/watch_diff.h"
#include "shared/watch/watch_row.h"

#define WATCH_ENTRY_TAG 'W'
#define WATCH_OPEN_TAG 'P'
#define WATCH_OUTBOX_TAG 'O'
#define WATCH_CONNECT_MAX 8          /* --connect-to rules per domain */
#define WATCH_TEXT_MAX 512
#define WATCH_EVERY_MIN 1            /* minutes */
#define WATCH_EVERY_MAX 10080        /* a week */
#define WATCH_OUTBOX_MAX 10000       /* queued events kept while nobody sends them */

struct watch_entry {
	char domain[WATCH_HOST_MAX];
	uint32_t every;              /* minutes; 0: watch.every */
	char resolver[WATCH_TEXT_MAX];   /* "": watch.resolver */
	char ca[WATCH_TEXT_MAX];         /* "": the system's trust store */
	char connect_to[WATCH_CONNECT_MAX][WATCH_TEXT_MAX];
	unsigned nconnect;
	uint32_t timeout;            /* seconds; 0: watch.timeout */
	bool implicit;               /* an own MTA-STS domain watched without watch add */
	bool off;                    /* an own domain taken out by watch del */
	int64_t added;
	int64_t next;                /* when it is due */
	int64_t last;                /* its last run, 0: none yet */
};

/* The domain as keys hold it: lower case, no trailing dot. LS_EPARSE when it is no name. */
int watch_store_name(const char *in, char out[WATCH_HOST_MAX]);

int watch_store_get(struct store_txn *t, const char *domain, struct watch_entry *out);
void watch_store_put(struct store_txn *t, const struct watch_entry *e);
/* Deletes the entry with its rows and open problems. */
void watch_store_del(struct store_txn *t, const char *domain);
/* Every entry in domain order; stops at fn's first non-zero and returns it. */
int watch_store_each(struct store_txn *t, int (*fn)(const struct watch_entry *e, void *ctx),
                     void *ctx);

void watch_store_row_put(struct store_txn *t, const char *domain, const struct watch_row *r);
/* The newest row of domain: 0 or LS_ENOTFOUND. */
int watch_store_row_last(struct store_txn *t, const char *domain, struct watch_row *out);
/* The rows of domain, oldest first; stops at fn's first non-zero. */
int watch_store_rows(struct store_txn *t, const char *domain,
                     int (*fn)(const struct watch_row *r, void *ctx), void *ctx);
/* Deletes up to max rows (any domain) older than before; *n says how many. */
int watch_store_prune(struct store_txn *t, int64_t before, size_t max, size_t *n);

/* The domain's open problems (none: an empty set). */
int watch_store_open_get(struct store_txn *t, const char *domain, struct watch_open_set *out);
void watch_store_open_put(struct store_txn *t, const char *domain,
                          const struct watch_open_set *s);

/* Queues e for delivery after the commit (the maintenance thread or zonectl sends it); the
 * oldest beyond WATCH_OUTBOX_MAX is dropped. */
void watch_store_outbox_put(struct store_txn *t, const struct alert_event *e);
/* The queued events, oldest first, each with its key's sequence; stops at fn's non-zero. */
int watch_store_outbox_each(struct store_txn *t,
                            int (*fn)(uint64_t seq, const struct alert_event *e, void *ctx),
                            void *ctx);
void watch_store_outbox_del(struct store_txn *t, uint64_t seq);

/* For the store check: NULL when key and value decode, else what is wrong. */
const char *watch_store_check(const void *key, size_t klen, const void *val, size_t vlen);

#endif
