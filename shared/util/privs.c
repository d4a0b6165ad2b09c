/* The privilege policy of the daemons and the drop: setuid keeping one capability, no new privs. */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "shared/util/privs.h"

enum privs_action privs_choose(uid_t euid, const char *configured, bool default_exists,
                               const char **user)
{
	*user = NULL;
	bool written = configured != NULL && *configured != '\0';
	if (euid != 0) {
		if (!written)
			return PRIVS_KEEP;
		*user = configured;
		return PRIVS_SWITCH;
	}
	if (written && strcmp(configured, "root") == 0)
		return PRIVS_KEEP;
	if (written) {
		*user = configured;
		return PRIVS_SWITCH;
	}
	if (!default_exists)
		return PRIVS_REFUSE;
	*user = PRIVS_DEFAULT_USER;
	return PRIVS_SWITCH;
}

/*
 * Raw capget/capset (version 3, two 32-bit words) rather than libcap: three calls on one
 * capability do not warrant a library the daemons would then need at run time.
 */
static int caps_keep_only(int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	if (syscall(SYS_capget, &h, d) != 0)
		return -errno;
	uint32_t bit = CAP_TO_MASK(cap), word = CAP_TO_INDEX(cap);
	bool have = d[word].permitted & bit;     /* a container may not give it to root either */
	memset(d, 0, sizeof(d));
	if (have)
		d[word].effective = d[word].permitted = bit;
	return syscall(SYS_capset, &h, d) == 0 ? 0 : -errno;
}

/* Out of the bounding set goes everything but cap, as far as this process may (best effort:
 * with no new privileges an exec gains nothing anyway). */
static void bounding_keep_only(int cap)
{
	for (int c = 0; c < 64; c++)
		if (c != cap && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0 && errno == EINVAL)
			break;  /* past the last capability this kernel knows */
}

int privs_drop(const char *user, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		snprintf(err, errlen, "no such user '%s'", user);
		return -1;
	}
	if (geteuid() != 0) {
		if (pw->pw_uid == geteuid())
			return 0;
		snprintf(err, errlen, "cannot become user '%s': only root can switch users (started "
		         "as uid %u)", user, (unsigned)geteuid());
		return -1;
	}
	if (pw->pw_uid == 0)
		return 0;       /* another name for root, written on purpose */
	bounding_keep_only(CAP_NET_BIND_SERVICE);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	/* Keep the permitted set across setuid, then cut it down to the one capability. */
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || initgroups(pw->pw_name, pw->pw_gid) != 0 ||
	    setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
		snprintf(err, errlen, "cannot become user '%s': %s", user, strerror(errno));
		return -1;
	}
	int rc = caps_keep_only(CAP_NET_BIND_SERVICE);
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	if (rc) {
		snprintf(err, errlen, "cannot drop capabilities as user '%s': %s", user, strerror(-rc));
		return -1;
	}
	/* setuid(0) must fail now, or the drop was not for good. */
	if (setuid(0) == 0) {
		snprintf(err, errlen, "became user '%s', but could become root again", user);
		return -1;
	}
	return 0;
}

/* Whether the permitted set holds a capability other than cap (-errno if it cannot tell). */
static int caps_beyond(int cap)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	if (syscall(SYS_capget, &h, d) != 0)
		return -errno;
	d[CAP_TO_INDEX(cap)].permitted &= ~CAP_TO_MASK(cap);
	for (size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (d[i].permitted)
			return 1;
	return 0;
}

int privs_keep_bind_only(void)
{
	if (geteuid() == 0)
		return 0;
	/* Nothing more than the one capability (the usual case, and what the units' system call
	 * filter expects: capset is outside it): no call at all. */
	int more = caps_beyond(CAP_NET_BIND_SERVICE);
	if (more <= 0)
		return more;
	bounding_keep_only(CAP_NET_BIND_SERVICE);
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	return caps_keep_only(CAP_NET_BIND_SERVICE);
}

int privs_no_new_privs(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : -errno;
}
