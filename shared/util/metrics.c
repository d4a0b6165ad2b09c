/* The text a Prometheus server scrapes, written into one growing buffer. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/metrics.h"

#define LABELS_MAX 8          /* label pairs on one sample, le included */

int metrics_buf_error(const struct metrics_buf *b)
{
	return b->err;
}

void metrics_buf_free(struct metrics_buf *b)
{
	free(b->p);
	*b = (struct metrics_buf){ 0 };
}

/* Room for n more bytes and the NUL. */
static bool reserve(struct metrics_buf *b, size_t n)
{
	if (b->err)
		return false;
	if (b->len + n + 1 > METRICS_MAX_BYTES) {
		b->err = -EFBIG;
		return false;
	}
	if (b->len + n + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (p == NULL) {
		b->err = -ENOMEM;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void put(struct metrics_buf *b, const char *s, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void metrics_buf_append(struct metrics_buf *b, const char *text, size_t len)
{
	put(b, text, len);
}

static void puts_(struct metrics_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void printf_(struct metrics_buf *b, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* HELP text escapes backslash and line feed; label values also the double quote. */
static void escaped(struct metrics_buf *b, const char *s, bool quote, size_t max)
{
	for (size_t i = 0; s[i] && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\\')
			puts_(b, "\\\\");
		else if (c == '\n')
			puts_(b, "\\n");
		else if (c == '"' && quote)
			puts_(b, "\\\"");
		else
			put(b, c >= 0x20 && c < 0x7f ? (const char *)&c : "?", 1);
	}
}

bool metrics_name_ok(const char *name, bool label)
{
	if (name == NULL || *name == '\0' || (*name >= '0' && *name <= '9'))
		return false;
	for (const char *p = name; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
		          (c >= '0' && c <= '9') || (c == ':' && !label);
		if (!ok)
			return false;
	}
	return true;
}

void metrics_family(struct metrics_buf *b, const char *name, const char *type, const char *help)
{
	puts_(b, "# HELP ");
	puts_(b, name);
	puts_(b, " ");
	escaped(b, help, false, (size_t)-1);
	puts_(b, "\n# TYPE ");
	puts_(b, name);
	puts_(b, " ");
	puts_(b, type);
	puts_(b, "\n");
}

/* name{k="v",...} and the space before the value; le, when given, goes last. */
static void head(struct metrics_buf *b, const char *name, const char *suffix,
                 const char *const *labels, const char *le)
{
	size_t n = 0;
	puts_(b, name);
	puts_(b, suffix);
	for (; labels && labels[2 * n] && n < LABELS_MAX; n++) {
		puts_(b, n ? ",": "{");
		puts_(b, labels[2 * n]);
		puts_(b, "=\"");
		escaped(b, labels[2 * n + 1], true, METRICS_LABEL_MAX);
		puts_(b, "\"");
	}
	if (le) {
		puts_(b, n ? ",le=\"" : "{le=\"");
		puts_(b, le);
		puts_(b, "\"");
		n++;
	}
	puts_(b, n ? "} " : " ");
}

/* The shortest text that reads back as v (0.1, not 0.10000000000000001). */
static void shortest(char out[40], double v)
{
	if (v == (double)(int64_t)v && v > -1e15 && v < 1e15) {
		snprintf(out, 40, "%lld", (long long)v);     /* 30, not 3e+01 */
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(out, 40, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

/* Floats as Prometheus writes them: +Inf, -Inf, NaN, else the shortest exact form. */
static void number(struct metrics_buf *b, double v)
{
	char text[40];
	if (isnan(v))
		puts_(b, "NaN");
	else if (isinf(v))
		puts_(b, v > 0 ? "+Inf" : "-Inf");
	else {
		shortest(text, v);
		puts_(b, text);
	}
}

void metrics_u64(struct metrics_buf *b, const char *name, const char *const *labels, uint64_t v)
{
	head(b, name, "", labels, NULL);
	printf_(b, "%llu\n", (unsigned long long)v);
}

void metrics_double(struct metrics_buf *b, const char *name, const char *const *labels,
                    double v)
{
	head(b, name, "", labels, NULL);
	number(b, v);
	puts_(b, "\n");
}

void metrics_histogram(struct metrics_buf *b, const char *name, const char *const *labels,
                       const double *bounds, const uint64_t *counts, size_t n, double sum)
{
	uint64_t total = 0;
	char le[40];
	for (size_t i = 0; i <= n; i++) {
		total += counts[i];
		if (i < n)
			shortest(le, bounds[i]);
		head(b, name, "_bucket", labels, i < n ? le : "+Inf");
		printf_(b, "%llu\n", (unsigned long long)total);
	}
	head(b, name, "_sum", labels, NULL);
	number(b, sum);
	puts_(b, "\n");
	head(b, name, "_count", labels, NULL);
	printf_(b, "%llu\n", (unsigned long long)total);
}
