/* Opening the store and the zone a command names, with the error printed once, here. */
#include <errno.h>
#include <stdio.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/util/err.h"

int ctl_open(struct ctl *c, bool write)
{
	int rc = store_open(&c->st, c->state, write ? 0 : STORE_RDONLY);
	if (rc == -ENOENT && !write) {
		/* Nothing stored yet: open it writable to create it, so reads show an empty store. */
		rc = store_open(&c->st, c->state, 0);
	}
	if (rc)
		return ctl_fail(c, rc, "cannot open the store in %s", c->state);
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
