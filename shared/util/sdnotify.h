/* systemd's readiness protocol (sd_notify) without libsystemd: one datagram to NOTIFY_SOCKET. */
#ifndef LS_SDNOTIFY_H
#define LS_SDNOTIFY_H

#define SDNOTIFY_MAX 1024   /* bytes of one message, READY=1 and a STATUS= line with room */

/*
 * Sends state ("READY=1\nSTATUS=...", "STOPPING=1", newline-separated assignments) to the
 * AF_UNIX datagram socket NOTIFY_SOCKET names: a path, or an abstract name written with a
 * leading '@'. Without NOTIFY_SOCKET (not started by systemd) it does nothing and returns 0.
 * Returns 0 or -errno (-EAFNOSUPPORT for an address that is neither; -EMSGSIZE past
 * SDNOTIFY_MAX).
 */
int sdnotify(const char *state);
/* sdnotify() of a printf-formatted state. */
int sdnotifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
