/* Opening the store and the zone a command names, with the error printed once, here. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/util/err.h"

int ctl_no_store(struct ctl *c)
{
	return ctl_fail_msg(c, EXIT_NOTFOUND, "there is no store in %s; make one with `zonectl zone "
	                    "add DOMAIN --ns NAME` or `zonectl zone import FILE`, or put a backup "
	                    "there with `zonectl restore FILE`", c->state);
}

int ctl_open(struct ctl *c, bool write)
{
	char path[4200];
	struct stat sb;
	int rc = store_open(&c->st, c->state, write ? 0 : STORE_RDONLY);
	if (rc == -ENOENT && !write) {
		snprintf(path, sizeof(path), "%s/data.mdb", c->state);
		if (stat(path, &sb) != 0)
			return ctl_no_store(c);
		/* A store from before some table existed: opening it writable adds the table. */
		rc = store_open(&c->st, c->state, 0);
	}
	if (rc)
		return ctl_store_fail(c, rc, "cannot open the store in %s", c->state);
	return 0;
}

int ctl_store_fail(struct ctl *c, int rc, const char *what, const char *dir)
{
	int ec = ctl_fail(c, rc, what, dir);
	if (*store_advice(rc) && !c->json)
		fprintf(stderr, "zonectl: %s\n", store_advice(rc));
	return ec;
}

int ctl_become_owner(struct ctl *c)
{
	struct stat sb;
	if (geteuid() != 0 || c->state == NULL || stat(c->state, &sb) != 0 || sb.st_uid == 0)
		return 0;
	struct passwd *pw = getpwuid(sb.st_uid);
	gid_t gid = pw ? pw->pw_gid : sb.st_gid;
	if ((pw ? initgroups(pw->pw_name, gid) : setgroups(0, NULL)) != 0 || setgid(gid) != 0 ||
	    setuid(sb.st_uid) != 0)
		return ctl_fail(c, -errno, "cannot become user %u, the owner of %s",
		                (unsigned)sb.st_uid, c->state);
	return 0;
}

int ctl_read(struct ctl *c, struct store_txn *t)
{
	int rc = ctl_open(c, false);
	if (rc)
		return rc;
	if ((rc = store_begin(c->st, false, 0, t)) != 0)
		return ctl_fail(c, rc, "cannot read the store");
	return 0;
}

int ctl_read_zone(struct ctl *c, struct store_txn *t, struct zone_info *z)
{
	uint8_t apex[DNAME_MAX];
	char zone[DNAME_STR_MAX];
	int rc;
	if (ctl_zone_name(c, c->args[0], apex))
		return EXIT_USAGE;
	if ((rc = ctl_read(c, t)) != 0)
		return rc;
	if ((rc = zone_get(t, apex, z)) != 0) {
		store_abort(t);
		return ctl_fail(c, rc, "zone %s", dname_format(zone, apex));
	}
	return 0;
}

int ctl_zone_name(struct ctl *c, const char *arg, uint8_t apex[DNAME_MAX])
{
	static const uint8_t root[1] = { 0 };
	if (dname_parse(apex, arg, root) < 0) {
		fprintf(stderr, "zonectl: '%s' is not a valid domain name\n", arg);
		return EXIT_USAGE;
	}
	dname_lower(apex);
	return 0;
}
