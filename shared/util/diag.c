/* Diagnostics list. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/diag.h"

void diag_init(struct diag *d)
{
	memset(d, 0, sizeof(*d));
}

void diag_free(struct diag *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].text);
	}
	free(d->v);
	diag_init(d);
}

void diag_add(struct diag *d, enum diag_sev sev, const char *file, unsigned line,
              const char *fmt, ...)
{
	if (d == NULL)
		return;
	if (sev == DIAG_ERROR)
		d->errors++;
	else
		d->warnings++;
	if (d->n >= DIAG_MAX) {
		d->dropped++;
		return;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct diag_msg *v = realloc(d->v, cap * sizeof(*v));
		if (v == NULL) {
			d->dropped++;
			return;
		}
		d->v = v;
		d->cap = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	char *text = NULL;
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	struct diag_msg *m = &d->v[d->n++];
	m->sev = sev;
	m->file = file ? strdup(file) : NULL;
	m->line = line;
	m->text = text;
	m->seq = d->seq++;
}

void diag_truncate(struct diag *d, size_t n, size_t errors, size_t warnings)
{
	while (d->n > n) {
		d->n--;
		free(d->v[d->n].file);
		free(d->v[d->n].text);
	}
	d->errors = errors;
	d->warnings = warnings;
	d->dropped = 0;
}

/* File order, then line order; messages without a place last; ties keep their order. */
static int by_place(const void *a, const void *b)
{
	const struct diag_msg *x = a, *y = b;
	int c = (x->file == NULL) - (y->file == NULL);
	if (c == 0 && x->file && y->file)
		c = strcmp(x->file, y->file);
	if (c == 0)
		c = (x->line > y->line) - (x->line < y->line);
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

void diag_sort(struct diag *d)
{
	if (d->n > 1)	/* d->v is NULL while empty, and qsort wants a valid pointer even then */
		qsort(d->v, d->n, sizeof(*d->v), by_place);
}

void diag_print(const struct diag *d, FILE *out)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct diag_msg *m = &d->v[i];
		const char *sev = m->sev == DIAG_ERROR ? "error" : "warning";
		if (m->file && m->line)
			fprintf(out, "%s:%u: %s: %s\n", m->file, m->line, sev, m->text ? m->text : "?");
		else if (m->file)
			fprintf(out, "%s: %s: %s\n", m->file, sev, m->text ? m->text : "?");
		else
			fprintf(out, "%s: %s\n", sev, m->text ? m->text : "?");
	}
	if (d->dropped)
		fprintf(out, "(%zu more messages not shown)\n", d->dropped);
}
