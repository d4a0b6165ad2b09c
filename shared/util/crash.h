/* A daemon's last words when a fault kills it: one line on stderr that says what to check. */
#ifndef LS_CRASH_H
#define LS_CRASH_H

/*
 * On SIGSEGV, SIGBUS, SIGABRT, SIGILL or SIGFPE: writes "PROG: fatal signal NAME (...)
 * run `zonectl store check`" to stderr, then the signal takes its default action, so the
 * process still dies by it (and systemd restarts it). LMDB has no page checksums: a damaged
 * page in the store is the likeliest cause of such a death in Lockstep. prog is kept.
 */
void crash_install(const char *prog);

#endif
