/*
 * Log lines limited per source and kind, and all together: the same failure from the same
 * source (a refused transfer, a bad TSIG, a malformed packet) is logged once, then once a
 * minute as "N more like this in the last minute"; and every such line together stays under
 * a cap a minute, with a count of what it held back, so that spoofed sources cannot fill a
 * disk. A source's first line always goes out while the cap has room.
 *   static struct log_keyed refusals = LOG_KEYED_INIT(100);
 *   log_keyed(&refusals, key, klen, LOG_LEVEL_WARNING, "%s: transfer refused", peer);
 */
#ifndef LS_LOG_KEYED_H
#define LS_LOG_KEYED_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shared/util/log.h"

#define LOG_KEYED_SLOTS 1024        /* sources x kinds remembered; the oldest makes room */
#define LOG_KEYED_KEY_MAX 24        /* an address (16), its family, a kind */
#define LOG_KEYED_TEXT_MAX 160      /* the first line, repeated by its summary */
#define LOG_KEYED_WINDOW_MS 60000u  /* "in the last minute" */
#define LOG_KEYED_PROBES 8          /* slots looked at for a key */

struct log_keyed_slot {
	uint8_t key[LOG_KEYED_KEY_MAX];
	uint8_t klen;                   /* 0: free */
	uint64_t start_ms;              /* its first line went out here */
	unsigned more;                  /* like lines held back since */
	char text[LOG_KEYED_TEXT_MAX];
};

struct log_keyed {
	atomic_uint cap;                /* lines a minute, all keys together; 0: no cap */
	pthread_mutex_t lock;
	uint64_t cap_start_ms;          /* the cap's current minute began here */
	unsigned cap_used;              /* lines out in it */
	unsigned cap_held;              /* lines the cap held back in it */
	bool cap_said;                  /* the line saying the cap was reached went out */
	size_t sweep;                   /* next slot whose summary may be due */
	struct log_keyed_slot slots[LOG_KEYED_SLOTS];
};

#define LOG_KEYED_INIT(cap_) { .cap = (cap_), .lock = PTHREAD_MUTEX_INITIALIZER }

/* What one event at now_ms puts out: up to LOG_KEYED_OUT lines, each with its level. */
#define LOG_KEYED_OUT 4
struct log_keyed_lines {
	size_t n;
	char line[LOG_KEYED_OUT][LOG_KEYED_TEXT_MAX + 96];
};

/*
 * One event of key (klen <= LOG_KEYED_KEY_MAX bytes) whose line is text, at now_ms: the
 * lines to write into out (none when it is held back). Summaries of keys whose minute is
 * over, and the cap's own lines, come with it. Safe across threads.
 */
void log_keyed_event(struct log_keyed *k, const void *key, size_t klen, const char *text,
                     uint64_t now_ms, struct log_keyed_lines *out);
/* A new cap (0: none) from the next event on, e.g. after a configuration reload. */
void log_keyed_set_cap(struct log_keyed *k, unsigned cap);
/* log_keyed_event with the monotonic clock, the lines written at level. */
void log_keyed(struct log_keyed *k, const void *key, size_t klen, enum log_level level,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
