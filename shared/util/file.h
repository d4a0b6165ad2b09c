/* Files read and written whole: bounded reads, and writes through temp file + fsync + rename. */
#ifndef LS_FILE_H
#define LS_FILE_H

#include <stddef.h>
#include <sys/types.h>

enum {
	FILE_REGULAR = 1 << 0,    /* refuse anything but a regular file: -EISDIR or -EINVAL */
	FILE_SECRET = 1 << 1,     /* refuse a file group or others may use (-EPERM); wipe buffers */
};

/*
 * Reads path whole, at most max bytes (more: LS_ETOOBIG), into *buf, malloc'ed and
 * NUL-terminated after *len bytes. flags are FILE_*. Free with file_free().
 * Returns 0, -errno or LS_ETOOBIG.
 */
int file_read(const char *path, size_t max, unsigned flags, char **buf, size_t *len);
/* Reads fd (a pipe, standard input) to its end the same way, at most max bytes: reading stops
 * at max + 1 (LS_ETOOBIG). Free *buf with free(). Returns 0, -errno or LS_ETOOBIG. */
int file_read_fd(int fd, size_t max, char **buf, size_t *len);
/* Frees what file_read() gave, wiping it first when it was read with FILE_SECRET. */
void file_free(char *buf, size_t len, unsigned flags);

/* Writes all len bytes of data to fd (again after EINTR and short writes). 0 or -errno. */
int file_write_all(int fd, const void *data, size_t len);
#define FILE_TEMP_MAX 4200   /* a temporary file's name: path + ".tmp.XXXXXX" */

/* A new temporary file (0600) beside path, to be renamed over it: the descriptor, its name in
 * tmp; or -errno. */
int file_temp(const char *path, char tmp[FILE_TEMP_MAX]);
/* The end of a temporary file written through fd: fsync, close, rename over path, then fsync
 * dirfd when it is not -1. On failure the temporary file is removed. Returns 0 or -errno. */
int file_temp_commit(int fd, const char *tmp, const char *path, int dirfd);
/*
 * Replaces path with data through a temporary file beside it (created 0600, so a key is never
 * readable, not even briefly), fchmod to mode, fsync and rename; then fsyncs dirfd, the
 * directory's descriptor, when it is not -1. Returns 0 or -errno.
 */
int file_write_atomic(const char *path, int dirfd, const void *data, size_t len, mode_t mode);
/*
 * Creates dir (mode) unless it is there, opens it and takes an exclusive lock on it, so two
 * writers of the files in it take turns. Returns the descriptor (close() releases the lock)
 * or -errno.
 */
int file_lock_dir(const char *dir, mode_t mode);

#endif
