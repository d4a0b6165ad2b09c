/* Zone history: one entry per commit, saying when, what and through which command. */
#ifndef LS_HISTORY_H
#define LS_HISTORY_H

#include <stdint.h>
#include "shared/dns/dname.h"
#include "shared/store/store.h"

#define HISTORY_TAG 'H'
#define HISTORY_VERSION 1
#define HISTORY_SOURCE_MAX 64

struct history_entry {
	uint64_t seq;
	int64_t time;
	uint8_t apex[DNAME_MAX];
	uint32_t old_serial, new_serial;
	uint32_t ndel, nadd;
	char source[HISTORY_SOURCE_MAX];   /* e.g. "zonectl rr add" */
};

#define HISTORY_DEFAULT_KEEP 2592000u   /* seconds: 30 days (zones.keep-history) */
#define HISTORY_PRUNE_MAX 64            /* old entries one put deletes at most */

/* Entries older than keep seconds are deleted as new ones come (0: kept for ever). Set once
 * at start, before any writer runs, like journal_set_limits(). */
void history_set_keep(uint32_t keep);
/* Who this thread's commits are made by ("user alice", "token panel"): put after each entry's
 * source as " by WHO", so `zone history` says who did it. NULL or "": nobody named. */
void history_set_actor(const char *who);
/* This thread's actor ("" when nobody is named): borrowed, for commit hooks. */
const char *history_actor(void);
/* Appends e (its seq is set) and deletes up to HISTORY_PRUNE_MAX entries older than the keep
 * time before e->time, oldest first: a busy store stops growing, a backlog goes over a few
 * commits. */
void history_put(struct store_txn *t, struct history_entry *e);
/* Calls fn for each entry of apex (every zone when apex is NULL), oldest first. */
int history_list(struct store_txn *t, const uint8_t *apex,
                 int (*fn)(const struct history_entry *e, void *ctx), void *ctx);

/* Calls fn for the entries after sequence after (every zone), oldest first, at most max. */
int history_since(struct store_txn *t, uint64_t after, size_t max,
                  int (*fn)(const struct history_entry *e, void *ctx), void *ctx);
/* The newest entry's sequence, 0 when there is none. */
int history_last(struct store_txn *t, uint64_t *seq);

#endif
