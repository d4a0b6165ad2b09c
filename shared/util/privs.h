/* Least privilege for the daemons: which user to run as, and the drop to it for good. */
#ifndef LS_PRIVS_H
#define LS_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What an empty `user:` means to a daemon started as root. */
#define PRIVS_DEFAULT_USER "lockstep"

enum privs_action {
	PRIVS_KEEP,      /* go on as the starting user */
	PRIVS_SWITCH,    /* become *user after binding */
	PRIVS_REFUSE,    /* root with no user written and no PRIVS_DEFAULT_USER: do not start */
};

/*
 * The policy, for a process whose effective uid is euid and whose configuration says
 * configured ("" or NULL: nothing written); default_exists tells whether PRIVS_DEFAULT_USER
 * is a user here. Root stays root only when "root" is written; otherwise it switches to the
 * user written, else to PRIVS_DEFAULT_USER, else refuses. Any other starting user keeps
 * running as itself unless a user is written (privs_drop() then checks it is the same one).
 * *user is set for PRIVS_SWITCH (borrowed from configured or static), NULL otherwise.
 */
enum privs_action privs_choose(uid_t euid, const char *configured, bool default_exists,
                               const char **user);
/*
 * Becomes user for good: started as root, its groups, uid and gid, keeping only
 * CAP_NET_BIND_SERVICE (so that a new low port can still be bound) in the effective and
 * permitted sets, every other capability also out of the bounding set; started as another
 * user, succeeds only when that is user already. Call before any thread starts: capabilities
 * belong to a thread, and the ones started later inherit them. Returns 0, or -1 with the reason
 * in err.
 */
int privs_drop(const char *user, char *err, size_t errlen);
/*
 * For a daemon that was not root to start with: every capability it was given (systemd's
 * AmbientCapabilities, say, for dnsd.xdp-listen's set-up) but CAP_NET_BIND_SERVICE is
 * dropped from its effective, permitted, ambient and (as far as it may) bounding sets. Root
 * is left alone: privs_drop() does its drop. Call after binding, before any thread starts.
 * Returns 0 or -errno.
 */
int privs_keep_bind_only(void);
/* PR_SET_NO_NEW_PRIVS: no exec can ever give this process (or a child) more privileges.
 * Returns 0 or -errno. */
int privs_no_new_privs(void);

#endif
