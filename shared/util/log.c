/* Log lines: level filter, component prefix, where they go (stderr, a file, syslog), rate limits. */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "shared/util/clock.h"
#include "shared/util/log.h"

#define PREFIX_MAX 64     /* room before a line: "2026-12-03T08:30:01.123Z warning ", "<4>" */

/* How a line is written; log_configure() says which when. */
enum style {
	STYLE_PLAIN,      /* dnsd: message */
	STYLE_LEVEL,      /* info dnsd: message */
	STYLE_STAMP,      /* 2026-12-03T08:30:01.123Z info dnsd: message */
	STYLE_JOURNAL,    /* <6>dnsd: message */
};

static const char *component_name = "lockstep";
static _Atomic int log_min = LOG_LEVEL_INFO;
static log_sink_fn *log_sink;
static void *log_sink_arg;
/* Set by log_configure() before other threads log; later only the file behind out_fd changes. */
static int out_fd = STDERR_FILENO;      /* -1: syslog only */
static enum style out_style = STYLE_PLAIN;
static bool use_syslog;
static char *file_path;                 /* out_fd is this file's; malloc'ed */

const char *log_component(void)
{
	return component_name;
}

void log_set_component(const char *component)
{
	component_name = component;
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

const char *log_level_name(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_ERROR: return "error";
	case LOG_LEVEL_WARNING: return "warning";
	case LOG_LEVEL_NOTICE: return "notice";
	case LOG_LEVEL_INFO: return "info";
	case LOG_LEVEL_DEBUG: return "debug";
	}
	return "?";
}

/* systemd puts "DEV:INO" of the stream it connected in JOURNAL_STREAM; stderr may have been
 * redirected since (a shell script, `2>file`), and then it is not the journal. */
static bool is_journal(const struct stat *st)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	int end = 0;
	if (js == NULL || sscanf(js, "%llu:%llu%n", &dev, &ino, &end) != 2 || js[end] != '\0')
		return false;
	return dev == (unsigned long long)st->st_dev && ino == (unsigned long long)st->st_ino;
}

/* Time stamps where nobody else adds them: a terminal or a file. A pipe or socket leads to a
 * supervisor (runit, s6, Docker) that stamps each line as it arrives. */
static enum style stderr_style(void)
{
	struct stat st;
	if (fstat(STDERR_FILENO, &st) != 0)
		return STYLE_LEVEL;
	if (is_journal(&st))
		return STYLE_JOURNAL;
	if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
		return STYLE_LEVEL;
	return STYLE_STAMP;
}

static int open_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	return fd < 0 ? -errno : fd;
}

/* path made absolute, so that a reopen finds the same file whatever the directory is by then. */
static int absolute(const char *path, char **out)
{
	char cwd[4096];
	*out = NULL;
	if (path[0] == '/')
		*out = strdup(path);
	else if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -errno;
	else if (asprintf(out, "%s/%s", cwd, path) < 0)
		*out = NULL;
	return *out ? 0 : -ENOMEM;
}

void log_reset(void)
{
	if (file_path) {
		close(out_fd);
		free(file_path);
		file_path = NULL;
	}
	if (use_syslog)
		closelog();
	use_syslog = false;
	out_fd = STDERR_FILENO;
	out_style = STYLE_PLAIN;
	log_set_level(LOG_LEVEL_INFO);
}

int log_configure(const struct log_opts *o)
{
	static const struct log_opts none = { .level = LOG_LEVEL_INFO };
	char *path = NULL;
	int fd = -1;
	if (o == NULL)
		o = &none;
	if (o->file && *o->file) {
		int rc = absolute(o->file, &path);
		if (rc)
			return rc;
		if ((fd = open_file(path)) < 0) {
			free(path);
			return fd;
		}
	}
	log_reset();
	if (fd >= 0) {
		out_fd = fd;
		out_style = STYLE_STAMP;
		file_path = path;
	} else if (o->syslog) {
		out_fd = -1;
	} else {
		out_style = stderr_style();
	}
	if (o->syslog) {
		openlog(component_name, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		use_syslog = true;
	}
	log_set_level(o->level);
	return 0;
}

int log_reopen(void)
{
	if (file_path == NULL)
		return 0;
	int fd = open_file(file_path);
	if (fd < 0)
		return fd;
	/* One step: a line written meanwhile lands in the old file or the new one. */
	int rc = dup3(fd, out_fd, O_CLOEXEC) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

const char *log_file(void)
{
	return file_path;
}

/* The level, and the time where the reader does not record it; returns the length. */
static size_t prefix(enum style style, enum log_level level, char out[PREFIX_MAX])
{
	struct timespec ts;
	struct tm tm;
	size_t n = 0;
	int w;
	switch (style) {
	case STYLE_PLAIN:
		return 0;
	case STYLE_JOURNAL:
		w = snprintf(out, PREFIX_MAX, "<%d>", (int)level);
		return w > 0 && w < PREFIX_MAX ? (size_t)w : 0;
	case STYLE_STAMP:
		clock_gettime(CLOCK_REALTIME, &ts);
		if (gmtime_r(&ts.tv_sec, &tm) == NULL)
			break;
		n = strftime(out, PREFIX_MAX, "%Y-%m-%dT%H:%M:%S", &tm);
		w = snprintf(out + n, PREFIX_MAX - n, ".%03dZ ", (int)(ts.tv_nsec / 1000000));
		n = w > 0 && (size_t)w < PREFIX_MAX - n ? n + (size_t)w : 0;
		break;
	case STYLE_LEVEL:
		break;
	}
	w = snprintf(out + n, PREFIX_MAX - n, "%s ", log_level_name(level));
	return w > 0 && (size_t)w < PREFIX_MAX - n ? n + (size_t)w : 0;
}

static void write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;     /* the log itself failed: there is nowhere to say so */
		s += n;
		len -= (size_t)n;
	}
}

/*
 * line holds len bytes and has PREFIX_MAX bytes of room before it and one after; head is the
 * length of its "component: ". One write per line, so lines from worker threads never
 * interleave.
 */
static void emit(enum log_level level, char *line, size_t len, size_t head)
{
	char pre[PREFIX_MAX];
	if (log_sink) {
		log_sink(level, line, log_sink_arg);
		return;
	}
	if (use_syslog)
		syslog((int)level, "%s", line + head);
	if (out_fd < 0)
		return;
	size_t n = prefix(out_style, level, pre);
	memcpy(line - n, pre, n);
	line[len] = '\n';
	write_all(out_fd, line - n, n + len + 1);
	line[len] = '\0';
}

static void vformat(enum log_level level, const char *suffix, const char *fmt, va_list ap)
{
	char buf[PREFIX_MAX + LOG_LINE_MAX + 1];      /* room for the prefix and the newline */
	char *line = buf + PREFIX_MAX;
	int n = snprintf(line, LOG_LINE_MAX, "%s: ", component_name);
	size_t len = n < 0 ? 0 : (size_t)n < LOG_LINE_MAX ? (size_t)n : LOG_LINE_MAX - 1;
	size_t head = len;
	n = vsnprintf(line + len, LOG_LINE_MAX - len, fmt, ap);
	if (n > 0)
		len += (size_t)n < LOG_LINE_MAX - len ? (size_t)n : LOG_LINE_MAX - len - 1;
	if (suffix) {
		n = snprintf(line + len, LOG_LINE_MAX - len, "%s", suffix);
		if (n > 0)
			len += (size_t)n < LOG_LINE_MAX - len ? (size_t)n : LOG_LINE_MAX - len - 1;
	}
	emit(level, line, len, head);
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
	unsigned suppressed;
	char suffix[64];
	va_list ap;
	if (!log_enabled(level))
		return;
	if (!log_limit_pass(l, (uint64_t)clock_mono_ms(), &suppressed))
		return;
	if (suppressed)
		snprintf(suffix, sizeof(suffix), " (%u similar line%s suppressed)", suppressed,
		         suppressed == 1 ? "" : "s");
	va_start(ap, fmt);
	vformat(level, suppressed ? suffix : NULL, fmt, ap);
	va_end(ap);
}

size_t log_diag(const struct diag *d, const char *prefix)
{
	size_t errors = 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct diag_msg *m = &d->v[i];
		errors += m->sev == DIAG_ERROR;
		log_msg(m->sev == DIAG_ERROR ? LOG_LEVEL_ERROR : LOG_LEVEL_WARNING, "%s%s:%u: %s",
		        prefix, m->file ? m->file : "configuration", m->line, m->text ? m->text : "?");
	}
	return errors;
}
