/* What the bulk commands share: the progress line (on a terminal only, rewritten in place
 * with \r), the batch size and their usage errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/util/clock.h"

#define PROGRESS_EVERY_NS 200000000LL   /* redraw at most five times a second */


void ctl_progress_begin(struct ctl_progress *p, const struct ctl *c, const char *what,
                        size_t total)
{
	memset(p, 0, sizeof(*p));
	/* A pipe or a file gets only the summary; --json output stays one object. */
	p->on = !c->json && isatty(STDERR_FILENO);
	p->what = what;
	p->total = total;
	p->start = (int64_t)clock_mono_ns();
}

void ctl_progress_step(struct ctl_progress *p, size_t done)
{
	int64_t t = (int64_t)clock_mono_ns();
	if (!p->on || (done < p->total && t - p->last < PROGRESS_EVERY_NS))
		return;
	p->last = t;
	double s = (double)(t - p->start) / 1e9, rate = s > 0 ? (double)done / s : 0;
	unsigned left = rate > 0 ? (unsigned)((double)(p->total - done) / rate + 0.5) : 0;
	int n = fprintf(stderr, "\r%s: %zu/%zu (%zu%%)  %.0f/s  %u:%02u left", p->what, done,
	                p->total, p->total ? done * 100 / p->total : 100, rate, left / 60, left % 60);
	/* Spaces over what a longer line before left behind. */
	fprintf(stderr, "%*s", p->width > n ? p->width - n : 0, "");
	p->width = n > p->width ? n : p->width;
	fflush(stderr);
}

void ctl_progress_clear(struct ctl_progress *p)
{
	if (!p->on || p->width == 0)
		return;
	fprintf(stderr, "\r%*s\r", p->width, "");
	fflush(stderr);
	p->width = 0;
	p->last = 0;       /* drawn again at the next step */
}

double ctl_progress_seconds(const struct ctl_progress *p)
{
	return (double)((int64_t)clock_mono_ns() - p->start) / 1e9;
}

size_t ctl_bulk_batch(void)
{
	const char *v = getenv("ZONECTL_BATCH");
	char *end;
	unsigned long n = v && *v ? strtoul(v, &end, 10) : 0;
	return n && *end == 0 && n <= CTL_BATCH_MAX ? (size_t)n : 0;
}

int ctl_bulk_usage(const struct ctl *c, const char *what)
{
	fprintf(stderr, "zonectl: %s\nusage: zonectl %s %s\n", what, c->cmd->name, c->cmd->usage);
	return EXIT_USAGE;
}
