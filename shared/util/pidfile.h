/* Files that hold a daemon's PID: the state directory's lock, and the optional pidfile. */
#ifndef LS_PIDFILE_H
#define LS_PIDFILE_H

#include <sys/types.h>

/*
 * Opens (creating, 0644) the lock file path and takes flock(LOCK_EX) on it without waiting,
 * then writes this process's PID into it; chowns it to uid:gid unless uid is (uid_t)-1, so a
 * later start as that user can open it again. The lock lasts while the descriptor is open (it
 * is close-on-exec, and it goes with the process however that ends); the file stays.
 * Returns the descriptor; -EWOULDBLOCK when another process holds the lock, its PID (0 when
 * unknown) in *holder; or -errno.
 */
int pidfile_lock(const char *path, uid_t uid, gid_t gid, pid_t *holder);
/*
 * Whether a process holds the lock file path (flock(LOCK_SH) without waiting, opened read
 * only, so nothing is created or written): 1 with its PID in *holder (0 when unknown), 0 when
 * none does (or there is no file), or -errno.
 */
int pidfile_held(const char *path, pid_t *holder);
/* Writes this process's PID to path (temp file + rename beside it, 0644). Returns 0 or -errno. */
int pidfile_write(const char *path);

#endif
