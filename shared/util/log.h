/* Log lines of the daemons: one line each, level, `component: message`, filtered by level. */
#ifndef LS_LOG_H
#define LS_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <pthread.h>
#include "shared/util/diag.h"

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
/* The component every line names ("dnsd"); borrowed. */
const char *log_component(void);
/* Lines below min (a larger number) are dropped; the default is LOG_LEVEL_INFO. */
void log_set_level(enum log_level min);
bool log_enabled(enum log_level level);
/* NULL: back to stderr. */
void log_set_sink(log_sink_fn *sink, void *arg);
/* "error", "warning", "notice", "info", "debug" (the names log-level takes); "?" for others. */
const char *log_level_name(enum log_level level);

/* What a daemon's configuration says about its log lines. */
struct log_opts {
	enum log_level level;
	const char *file;         /* NULL or "": no file */
	bool syslog;              /* LOG_DAEMON, the component as ident */
};

/*
 * Where lines go from now on, and from which level. With a file (opened for appending, created
 * 0640) or syslog, or both, each line goes there and not to stderr. Otherwise to stderr, in
 * the form its reader expects:
 *   the journal (JOURNAL_STREAM names stderr)  <6>dnsd: message
 *   a pipe or socket (a supervisor stamps)     info dnsd: message
 *   a terminal or a file                       2026-12-03T08:30:01.123Z info dnsd: message
 * Log files get the last form. Until the first call lines go to stderr as `dnsd: message`, as
 * a command line tool prints them. o NULL: stderr at LOG_LEVEL_INFO.
 * Call before other threads log. Returns 0, or -errno when the file cannot be opened (then
 * nothing changed).
 */
int log_configure(const struct log_opts *o);
/*
 * Opens the log file anew at its path (logrotate moved it away) and puts it in the old one's
 * place, so a line goes either to the old file or the new one, never nowhere. Returns 0 (also
 * when there is no file), or -errno with lines still going to the old file. Safe while other
 * threads log.
 */
int log_reopen(void);
/* The log file's path as opened (absolute), NULL when there is none. Borrowed. */
const char *log_file(void);
/* Back to the start: file and syslog closed, lines to stderr as `component: message`. */
void log_reset(void);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Each of d's messages as a line of its severity, "prefixFILE:LINE: message"; returns how
 * many were errors. */
size_t log_diag(const struct diag *d, const char *prefix);

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
