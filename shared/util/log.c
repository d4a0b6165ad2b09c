/* Log lines: level filter, component prefix, a sink (stderr by default), per-site rate limits. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "shared/util/log.h"

static const char *log_component = "lockstep";
static _Atomic int log_min = LOG_LEVEL_INFO;
static log_sink_fn *log_sink;
static void *log_sink_arg;

void log_set_component(const char *component)
{
	log_component = component;
}

void log_set_level(enum log_level min)
{
	atomic_store_explicit(&log_min, (int)min, memory_order_relaxed);
}

bool log_enabled(enum log_level level)
{
	return (int)level <= atomic_load_explicit(&log_min, memory_order_relaxed);
}

void log_set_sink(log_sink_fn *sink, void *arg)
{
	log_sink = sink;
	log_sink_arg = arg;
}

/* One write per line, so lines from worker threads never interleave. */
static void emit(enum log_level level, char *line, size_t len)
{
	if (log_sink) {
		log_sink(level, line, log_sink_arg);
		return;
	}
	line[len] = '\n';
	fwrite(line, 1, len + 1, stderr);
	line[len] = '\0';
}

static void vformat(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX + 1];      /* room for the newline */
	int n = snprintf(line, LOG_LINE_MAX, "%s: ", log_component);
	size_t len = n < 0 ? 0 : (size_t)n < LOG_LINE_MAX ? (size_t)n : LOG_LINE_MAX - 1;
	n = vsnprintf(line + len, LOG_LINE_MAX - len, fmt, ap);
	if (n > 0)
		len += (size_t)n < LOG_LINE_MAX - len ? (size_t)n : LOG_LINE_MAX - len - 1;
	if (suffix) {
		n = snprintf(line + len, LOG_LINE_MAX - len, "%s", suffix);
		if (n > 0)
			len += (size_t)n < LOG_LINE_MAX - len ? (size_t)n : LOG_LINE_MAX - len - 1;
	}
	emit(level, line, len);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;
	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vformat(level, NULL, fmt, ap);
	va_end(ap);
}

bool log_limit_pass(struct log_limit *l, uint64_t now_ms, unsigned *suppressed)
{
	bool pass;
	pthread_mutex_lock(&l->lock);
	if (l->n == 0 || now_ms - l->start_ms >= l->interval_ms) {
		l->start_ms = now_ms;
		l->n = 0;
	}
	pass = l->n < l->burst;
	if (pass) {
		l->n++;
		*suppressed = l->suppressed;
		l->suppressed = 0;
	} else {
		l->suppressed++;
	}
	pthread_mutex_unlock(&l->lock);
	return pass;
}

void log_limited(struct log_limit *l, enum log_level level, const char *fmt, ...)
{
	struct timespec ts;
	unsigned suppressed;
	char suffix[64];
	va_list ap;
	if (!log_enabled(level))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (!log_limit_pass(l, (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000, &suppressed))
		return;
	if (suppressed)
		snprintf(suffix, sizeof(suffix), " (%u similar line%s suppressed)", suppressed,
		         suppressed == 1 ? "" : "s");
	va_start(ap, fmt);
	vformat(level, suppressed ? suffix : NULL, fmt, ap);
	va_end(ap);
}
