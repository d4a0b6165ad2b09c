/* Diagnostics collected while reading or validating input: "file:line: severity: message". */
#ifndef LS_DIAG_H
#define LS_DIAG_H

#include <stddef.h>
#include <stdio.h>

#define DIAG_MAX 200   /* messages kept; later ones are only counted */

enum diag_sev { DIAG_WARNING, DIAG_ERROR };

struct diag_msg {
	enum diag_sev sev;
	char *file;     /* NULL when the message is not about a file */
	unsigned line;  /* 0 when unknown */
	char *text;
	size_t seq;     /* order of arrival: sorting keeps it among equal places */
};

struct diag {
	struct diag_msg *v;
	size_t n, cap;
	size_t errors, warnings, dropped;
	size_t seq;     /* the next message's */
};

void diag_init(struct diag *d);
void diag_free(struct diag *d);
/* Adds a message; d may be NULL (the message is dropped). */
void diag_add(struct diag *d, enum diag_sev sev, const char *file, unsigned line,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Forgets messages after the first n (a retried operation reports once). */
void diag_truncate(struct diag *d, size_t n, size_t errors, size_t warnings);
/* Orders the messages by file and line. */
void diag_sort(struct diag *d);
/* Prints every message, one line each. */
void diag_print(const struct diag *d, FILE *out);

#endif
