/*
 * What a daemon does when LMDB says its store is damaged (store_damaged()): an error line
 * that names the error and says to run `zonectl store check`, at most one a minute with the
 * count of those held back; MDB_PANIC ends the process with STORE_EXIT_STATUS, since LMDB
 * cannot go on in that environment and systemd (Restart=on-failure) starts a fresh one.
 */
#ifndef LS_STORE_DAMAGE_H
#define LS_STORE_DAMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_DAMAGE_LOG_INTERVAL 60   /* seconds between two such lines */

/* Makes the hook of store_on_damage() log as above (and exit on MDB_PANIC). */
void store_damage_install(void);
/*
 * The rate limit: true when a line for mdb_rc met at time now is due, with the line in
 * out (the code's text, how many were held back since the last line, the advice); false when
 * it is held back (and counted). MDB_PANIC is always due. Thread-safe.
 */
bool store_damage_note(int mdb_rc, int64_t now, char *out, size_t cap);
/* Forgets the last line and the count (tests). */
void store_damage_reset(void);

#endif
