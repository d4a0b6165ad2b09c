/* Log lines of the daemons: one line each, `component: message`, filtered by level. */
#ifndef LS_LOG_H
#define LS_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>

/* syslog's priorities, so a syslog or journal sink can pass them on as they are. */
enum log_level {
	LOG_LEVEL_ERROR = 3,      /* something failed that an operator must fix */
	LOG_LEVEL_WARNING = 4,    /* refused or degraded, and going on */
	LOG_LEVEL_NOTICE = 5,     /* start, stop, transfers, publishing: the daemon's story */
	LOG_LEVEL_INFO = 6,       /* one line per query or request, when asked for */
	LOG_LEVEL_DEBUG = 7,
};

#define LOG_LINE_MAX 2048     /* a longer message is cut */

/* Where lines go: the whole line without a newline. The default writes it to stderr. */
typedef void log_sink_fn(enum log_level level, const char *line, void *arg);

/* The component every line starts with ("dnsd"); before any call: "lockstep". */
void log_set_component(const char *component);
/* Lines below min (a larger number) are dropped; the default is LOG_LEVEL_INFO. */
void log_set_level(enum log_level min);
bool log_enabled(enum log_level level);
/* NULL: back to stderr. */
void log_set_sink(log_sink_fn *sink, void *arg);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...)   log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_notice(...)  log_msg(LOG_LEVEL_NOTICE, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)   log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/*
 * A rate limit for one call site: at most burst lines per interval_ms; the rest are counted,
 * and the next line that goes out says how many were suppressed before it. Safe across threads.
 *   static struct log_limit lim = LOG_LIMIT_INIT(10, 1000);
 *   log_limited(&lim, LOG_LEVEL_WARNING, "%s: refused", peer);
 */
struct log_limit {
	unsigned burst;
	uint64_t interval_ms;
	pthread_mutex_t lock;
	uint64_t start_ms;        /* the current interval began here */
	unsigned n;               /* lines out in it */
	unsigned suppressed;      /* held back since the last line out */
};

#define LOG_LIMIT_INIT(burst_, interval_ms_) \
	{ .burst = (burst_), .interval_ms = (interval_ms_), .lock = PTHREAD_MUTEX_INITIALIZER }

/* May a line go out at now_ms? When it may, *suppressed is how many did not since the last. */
bool log_limit_pass(struct log_limit *l, uint64_t now_ms, unsigned *suppressed);
void log_limited(struct log_limit *l, enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
