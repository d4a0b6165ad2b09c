/* What dnsd and httpsd share as daemons: command line, listen addresses, sockets, the state
 * directory lock, privileges, the pidfile. */
#ifndef LS_DAEMON_H
#define LS_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include "shared/util/config.h"

#define DAEMON_MAX_LISTEN 16    /* --listen options */
#define DAEMON_RUN (-1)         /* daemon_start(): go on and run */

/* -c FILE, --state DIR, --listen ADDR:PORT (repeatable), --workers N, -n, -h, --version. */
struct daemon_args {
	const char *config_path;    /* NULL: the default file when it exists */
	const char *state;          /* NULL: the configuration's state-dir */
	const char *listen[DAEMON_MAX_LISTEN];
	size_t nlisten;
	long workers;               /* -1: the configuration's */
	bool check;                 /* -n */
};

/*
 * The start both daemons share: SIGPIPE ignored (a client that goes away mid-answer is an
 * error on that write, not the end of the daemon), argv parsed for program prog (which
 * becomes the log component), the configuration loaded and its log options applied (not with
 * -n: the check writes to stderr as it is). Returns DAEMON_RUN with cfg loaded
 * (free it with config_free()), or the exit status after printing: 0 for --help (usage on
 * stdout) or --version, 2 for a bad argument (usage on stderr), 1 for a bad configuration.
 */
int daemon_start(struct daemon_args *a, struct config *cfg, int argc, char **argv,
                 const char *prog, const char *version, const char *usage);
/* The worker count: --workers, else configured; 0 means one per core. Returns 1 to max, or
 * -1 after logging why. */
long daemon_workers(const struct daemon_args *a, long configured, long max);
/* A listen address: the socket address, and the text it was given as (for messages). */
struct daemon_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64];
};

/*
 * The addresses to listen on: a's --listen options, else the space-separated list of the
 * configuration option option (file names the file it came from, NULL for the defaults).
 * At most DAEMON_MAX_LISTEN go to out. Returns 0, or -1 after logging why.
 */
int daemon_listen(const struct daemon_args *a, const char *list, const char *option,
                  const char *file, struct daemon_addr *out, size_t *n);
/* The addresses' texts joined by ", ", for log lines; returns buf. */
#define DAEMON_ADDRS_TEXT_MAX (DAEMON_MAX_LISTEN * 66)
const char *daemon_addrs_text(const struct daemon_addr *a, size_t n, char *buf, size_t len);
/* A client's address as text for log lines ("?" when it is neither IPv4 nor IPv6); returns buf. */
#define DAEMON_PEER_TEXT_MAX 46      /* INET6_ADDRSTRLEN */
const char *daemon_peer_text(const struct sockaddr *peer, char buf[DAEMON_PEER_TEXT_MAX]);
/* A non-blocking socket of type (SOCK_DGRAM, SOCK_STREAM) bound to a with SO_REUSEPORT, so
 * that every worker binds its own and the kernel spreads the load. Returns it or -errno. */
int daemon_bind(const struct daemon_addr *a, int type);
/* Whether a can be bound by this process alone: -EADDRINUSE while another one listens on it
 * (SO_REUSEPORT would let a second daemon of the same user share it), else 0 (or another -errno
 * the real bind will report too). Call before the first daemon_bind() of a. */
int daemon_bind_alone(const struct daemon_addr *a);
/* daemon_bind_alone() for each of a[0..n): 0, or the first error with the address and why
 * in err. */
int daemon_addrs_free(const struct daemon_addr *a, size_t n, char *err, size_t errlen);
/*
 * Which user to run as (privs_choose() with the configuration's option, "dnsd.user" say, and
 * whether the user lockstep exists): *user is the one to become after binding, or NULL to go
 * on as the starting user. Returns 0, or -1 after logging why not to start (root with nothing
 * written and no user lockstep; no such user).
 */
int daemon_user(const char *configured, const char *option, const char **user);
/*
 * The state directory's lock, STATE/PROG.lock (creating the directory, 0700, when missing: the
 * user's when root runs the daemon for user), taken before binding so that one state
 * directory has one dnsd and one httpsd. Returns the descriptor to keep open while the daemon
 * runs, or -1 after logging why: "PROG already runs on STATE as PID N".
 */
int daemon_lock(const char *state, const char *prog, const char *user);
/*
 * Least privilege, after binding: become user for good keeping only CAP_NET_BIND_SERVICE
 * (privs_drop(); NULL or "": stay); not root to start with, keep only that capability of the
 * ones given (privs_keep_bind_only()); then no new privileges in any case. Returns 0 or -1
 * with the reason in err.
 */
int daemon_drop_privileges(const char *user, char *err, size_t errlen);
/* Writes this process's PID to path ("" or NULL: no pidfile). Returns 0, or -1 after logging. */
int daemon_pidfile_write(const char *path);
/* Removes the pidfile at exit (logs a warning when it cannot). */
void daemon_pidfile_remove(const char *path);

#endif
