/* The store check: every table walked and every value decoded by the module that owns it. */
#ifndef LS_STORE_CHECK_H
#define LS_STORE_CHECK_H

#include <stdint.h>
#include "shared/store/store.h"

/*
 * LMDB has no page checksums: a page overwritten with garbage is found only by reading
 * every record. What one check found; table is "" when the store is sound.
 */
struct store_check {
	uint64_t records[STORE_NDB];   /* records per table, in enum store_db order */
	uint64_t tables;               /* entries in LMDB's table of tables ("main") */
	uint64_t free_entries;         /* entries in LMDB's free list ("freelist") */
	uint64_t pages, page_size;     /* pages in use and their size */
	int open_err;                  /* why the store could not be opened, else 0 */
	char table[32];                /* the table with the problem (or being read when it crashed) */
	char problem[256];             /* what is wrong there */
};

/*
 * Checks the store in dir in a child process, so that LMDB crashing on a bad page (SIGSEGV,
 * SIGBUS, an assertion) is reported, not suffered. Returns 0 when sound; LS_ECORRUPT with
 * out->table and out->problem; the open error (-ENOENT, LS_ETRUNCATED, ...) in out->open_err
 * and as the result; or -errno when the child could not be run.
 */
int store_check(const char *dir, struct store_check *out);

/* The walk itself, in this process, on an open store. Returns 0 or LS_ECORRUPT (out says
 * where and what), or another error of the store. */
int store_check_walk(struct store *st, struct store_check *out);

#endif
