/* Prometheus text exposition (format 0.0.4): counters, gauges and histograms with labels. */
#ifndef LS_METRICS_H
#define LS_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_MAX_BYTES (16u * 1024 * 1024)   /* one page; more is an error, not a cut */
#define METRICS_LABEL_MAX 256                   /* bytes of one label value; longer ones are cut */

/* A page being written; every write is checked once at the end with metrics_buf_error(). */
struct metrics_buf {
	char *p;                 /* malloc'ed, NUL-terminated when len > 0 */
	size_t len, cap;
	int err;                 /* sticky: 0, -ENOMEM, or -EFBIG past METRICS_MAX_BYTES */
};

/* Appends text already in the format (a part of a page kept from an earlier scrape). */
void metrics_buf_append(struct metrics_buf *b, const char *text, size_t len);
/* The sticky error: 0 when every line made it into the page. */
int metrics_buf_error(const struct metrics_buf *b);
void metrics_buf_free(struct metrics_buf *b);

/*
 * The two comment lines that start a family: # HELP (help escaped) and # TYPE, type being
 * "counter", "gauge" or "histogram". Every sample of the family follows before the next one.
 */
void metrics_family(struct metrics_buf *b, const char *name, const char *type, const char *help);
/*
 * One sample line: name, the labels (NULL, or pairs name, value ending with a NULL name; values
 * escaped, bytes outside printable ASCII shown as '?') and the value.
 */
void metrics_u64(struct metrics_buf *b, const char *name, const char *const *labels, uint64_t v);
void metrics_double(struct metrics_buf *b, const char *name, const char *const *labels,
                    double v);
/*
 * A histogram's samples: name_bucket{le=...} for each of the n upper bounds and +Inf
 * (cumulative), name_sum and name_count. counts has n + 1 entries, one per bucket, not
 * cumulative, the last for values above bounds[n - 1].
 */
void metrics_histogram(struct metrics_buf *b, const char *name, const char *const *labels,
                       const double *bounds, const uint64_t *counts, size_t n, double sum);
/* True when name is a valid metric or label name ([a-zA-Z_:][a-zA-Z0-9_:]*, no ':' in labels). */
bool metrics_name_ok(const char *name, bool label);

#endif
