/*
 * A problem type as a metrics label from a fixed set: the CA's types (RFC 8555 section 6.7)
 * by their short name, this client's own ("connection", "timeout", ...), and "other" for
 * the rest, so a CA cannot grow the label set without bound.
 */
#ifndef LS_ACME_PROBLEM_H
#define LS_ACME_PROBLEM_H

#define ACME_PROBLEM_N 32          /* the names below, "other" last */

extern const char *const acme_problem_names[ACME_PROBLEM_N];

/* The index in acme_problem_names of type (a URN or one of ours); "other" when unknown. */
unsigned acme_problem_index(const char *type);

#endif
