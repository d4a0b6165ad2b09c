/* Whole-store copies: a compacted backup of a live store, and putting a backup in place. */
#ifndef LS_STORE_COPY_H
#define LS_STORE_COPY_H

#include <sys/types.h>
#include "shared/store/store.h"
#include "shared/store/store_check.h"

/*
 * Writes a consistent, compacted copy of st's data file to path (what `mdb_copy -c` writes:
 * one read transaction, so writers in other processes go on), through a temporary file beside
 * it, fsync and rename: path is whole or untouched. Returns 0 or -errno (-ENOSPC) or an error
 * of the store.
 */
int store_copy_backup(struct store *st, const char *path);

/*
 * Makes file (a data file as store_copy_backup() writes it) the store in dir, creating dir
 * (0700) when needed. The file is copied beside the store first and must pass store_check()
 * (its result in *check); then, while holding LMDB's own lock so that no process opens the
 * store meanwhile, it replaces data.mdb with rename. Whether a store may be replaced at all
 * is the caller's decision. Returns 0; LS_ECORRUPT (or the open error) when the file is not a
 * sound store; -EBUSY with *holder set when a process has the store open; or -errno.
 */
int store_copy_restore(const char *dir, const char *file, struct store_check *check,
                       pid_t *holder);

#endif
