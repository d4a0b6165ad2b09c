/* Phase timestamps for benchmarks, off unless LOCKSTEP_TIMING names a file (timing.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "shared/util/clock.h"
#include "shared/util/timing.h"

#define LINE_MAX_BYTES (TIMING_MARKS_MAX * 48 + 64)

static atomic_int enabled = -1;      /* -1: the environment not read yet */
static _Atomic(const char *) path;   /* LOCKSTEP_TIMING's value, when enabled */
static atomic_uint used;             /* marks taken, past TIMING_MARKS_MAX when some dropped */
static struct { const char *what; long long ns; } marks[TIMING_MARKS_MAX];
static atomic_bool filled[TIMING_MARKS_MAX];

static bool is_enabled(void)
{
	int e = atomic_load_explicit(&enabled, memory_order_relaxed);
	if (e < 0) {
		const char *f = getenv(TIMING_ENV);
		e = f != NULL && *f != 0;
		atomic_store(&path, f);     /* threads racing here store the same values */
		atomic_store(&enabled, e);
	}
	return e;
}

void timing_mark(const char *what)
{
	if (!is_enabled())
		return;
	long long ns = (long long)clock_mono_ns();
	unsigned i = atomic_fetch_add(&used, 1);
	if (i >= TIMING_MARKS_MAX)
		return;
	marks[i].what = what;
	marks[i].ns = ns;
	atomic_store_explicit(&filled[i], true, memory_order_release);
}

/* Appends to line[0..len), leaving room for the newline; a long name is cut, not overrun. */
static size_t put(char *line, size_t len, const char *fmt, const char *what, long long v)
{
	size_t room = LINE_MAX_BYTES - 1 - len;
	if (room < 2)
		return len;
	int n = snprintf(line + len, room, fmt, what, v);
	return n < 0 ? len : len + ((size_t)n < room ? (size_t)n : room - 1);
}

int timing_flush(void)
{
	char line[LINE_MAX_BYTES];
	if (!is_enabled())
		return 0;
	unsigned n = atomic_exchange(&used, 0);
	long long dropped = 0;
	if (n > TIMING_MARKS_MAX) {
		dropped = n - TIMING_MARKS_MAX;
		n = TIMING_MARKS_MAX;
	}
	size_t len = (size_t)snprintf(line, sizeof(line), "pid=%ld", (long)getpid());
	for (unsigned i = 0; i < n; i++) {
		/* A mark another thread is still writing is left out. */
		if (!atomic_exchange_explicit(&filled[i], false, memory_order_acquire))
			continue;
		len = put(line, len, " %s=%lld", marks[i].what, marks[i].ns);
	}
	if (dropped)
		len = put(line, len, " %s=%lld", "dropped", dropped);
	line[len++] = '\n';
	int fd = open(atomic_load(&path), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	/* One write: lines of processes sharing the file do not interleave (O_APPEND). */
	int rc = write(fd, line, len) == (ssize_t)len ? 0 : -EIO;
	close(fd);
	return rc;
}
