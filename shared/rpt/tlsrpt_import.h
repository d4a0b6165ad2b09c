/*
 * Taking TLS reports into the store: decode (gzip or JSON), parse, dedup on organization and
 * report-id, count each policy for the enabled domain it names (issue 12, "How a report is
 * counted"), keep the raw report; and the spool's import, which runs it file by file.
 */
#ifndef LS_TLSRPT_IMPORT_H
#define LS_TLSRPT_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shared/store/store.h"
#include "shared/rpt/tlsrpt_parse.h"

#define TLSRPT_WHY_MAX 256

/*
 * The JSON text of body as received: gzip is inflated (bounded by max_expanded and 100 times
 * its size: LS_ETOOBIG), anything else must be JSON. *json is malloc'ed and NUL-terminated, or
 * body itself (*owned false). Returns 0, LS_EPARSE, LS_ETOOBIG or -ENOMEM, with why.
 */
int tlsrpt_import_decode(const uint8_t *body, size_t len, size_t max_expanded, char **json,
                         size_t *jlen, bool *owned, char *why, size_t whylen);
/* Decodes and parses body: what the intakes check before they spool it. Codes as above. */
int tlsrpt_import_check(const uint8_t *body, size_t len, size_t max_expanded, char *why,
                        size_t whylen);

/* What one import did. */
struct tlsrpt_import_result {
	uint64_t id;              /* the report's local id (the stored one for a duplicate) */
	bool duplicate;           /* stored before: nothing changed */
	unsigned counted;         /* policies counted for some domain */
	unsigned misaddressed;    /* policies counted nowhere */
};

/*
 * Imports one report (body as received) delivered for domain (NULL: unknown), received at
 * received. Returns 0, or LS_EPARSE / LS_ETOOBIG with why and nothing stored, or a store error.
 */
int tlsrpt_import_report(struct store_txn *t, const uint8_t *body, size_t len,
                         const char *domain, int64_t received, size_t max_expanded,
                         struct tlsrpt_import_result *res, char *why, size_t whylen);
/* Counts every stored report again from its raw text (after a parser fix); *n how many. */
int tlsrpt_import_reparse(struct store_txn *t, size_t max_expanded, size_t *n);

/* What tlsrpt_import_spool() did. */
struct tlsrpt_spool_result {
	size_t imported, duplicates, rejected;
	char last_reject[TLSRPT_WHY_MAX];  /* "FILE: why" of the last file moved to bad/ */
};
/*
 * Imports every file of the spool in state_dir into st, a batch per write transaction; a
 * file is deleted only after its commit, so a crash imports it again (a duplicate: no
 * change). A file that cannot be read as a report moves to bad/. Returns 0 or an error
 * (temporary: the files stay).
 */
int tlsrpt_import_spool(struct store *st, const char *state_dir, size_t max_size,
                        size_t max_expanded, struct tlsrpt_spool_result *res);
/* The same, but takes no new batch once max_ms milliseconds have passed (0: no bound), so a
 * caller with other work (dnsd's maintenance thread) is not held while reports pour in; the
 * files left stay for the next call, which tlsrpt_spool_pending() tells. */
int tlsrpt_import_spool_for(struct store *st, const char *state_dir, size_t max_size,
                            size_t max_expanded, unsigned max_ms, struct tlsrpt_spool_result *res);

#endif
