/* zonectl zone secondaries: the addresses allowed to transfer a zone (its ACL). */
#include <string.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/util/err.h"
#include "shared/store/secondary.h"
#include "shared/store/tsig_key.h"

/* {"address","key"}: key null when none. */
static json_t *secondary_json(const struct secondary *s)
{
	char text[SECONDARY_TEXT_MAX + 8];
	return json_pack("{s:o,s:o}", "address",
	                 ctl_json_string(secondary_format(s, text, sizeof(text))),
	                 "key", ctl_json_string(*s->key ? s->key : NULL));
}

static int show(const struct secondary *s, void *arg)
{
	struct ctl_out *o = arg;
	char text[SECONDARY_TEXT_MAX + 8];
	if (o->c->json)
		ctl_out_item(o, secondary_json(s));
	else
		printf("%s%s%s\n", secondary_format(s, text, sizeof(text)), *s->key ? " key " : "",
		       s->key);
	return 0;
}

int cmd_zone_secondaries(struct ctl *c)
{
	const char *action = c->args[1];
	struct secondary s;
	char zone[DNAME_STR_MAX];
	bool list = strcmp(action, "list") == 0, add = strcmp(action, "add") == 0,
	     del = strcmp(action, "del") == 0;
	if (!list && !add && !del) {
		fprintf(stderr, "zonectl: '%s': the action is add, del or list\n", action);
		return EXIT_USAGE;
	}
	if (list != (c->nargs == 2) || (c->key && !add)) {
		fprintf(stderr, "usage: zonectl zone secondaries DOMAIN list | add ADDR[:PORT] [--key NAME]"
		                " | del ADDR\n");
		return EXIT_USAGE;
	}
	if (!list && secondary_parse(c->args[2], &s) != 0) {
		fprintf(stderr, "zonectl: '%s' is not ADDR, ADDR:PORT or [IPv6]:PORT\n", c->args[2]);
		return EXIT_USAGE;
	}
	uint8_t key[DNAME_MAX];
	if (c->key) {
		if (tsig_key_name(c->key, key) != 0) {
			fprintf(stderr, "zonectl: '%s' is not a valid key name\n", c->key);
			return EXIT_USAGE;
		}
		tsig_key_name_text(key, s.key, sizeof(s.key));
	}
	if (list) {
		struct store_txn t;
		struct zone_info z;
		struct ctl_out o;
		int rc = ctl_read_zone(c, &t, &z);
		if (rc)
			return rc;
		ctl_out_begin(&o, c);
		ctl_out_put(&o, "zone", ctl_json_string(dname_format(zone, z.apex)));
		ctl_out_list(&o, "secondaries");
		rc = secondary_list(&t, z.id, show, &o);
		return ctl_list_done(&o, &t, rc, "cannot list secondaries");
	}
	uint8_t apex[DNAME_MAX];
	struct store_txn t;
	struct zone_info z;
	if (ctl_zone_name(c, c->args[0], apex))
		return EXIT_USAGE;
	dname_format(zone, apex);
	int rc = ctl_open(c, true);
	if (rc)
		return rc;
	if ((rc = store_begin(c->st, true, 0, &t)) != 0)
		return ctl_fail(c, rc, "cannot write the store");
	rc = zone_get(&t, apex, &z);
	if (rc == 0 && c->key) {
		struct tsig_key k;
		int krc = tsig_key_get(&t, key, &k);
		tsig_key_wipe(&k);
		if (krc) {
			store_abort(&t);
			if (krc != LS_ENOTFOUND)
				return ctl_fail(c, krc, "cannot read the store");
			return ctl_fail_msg(c, EXIT_NOTFOUND, "no TSIG key %s (make it with `zonectl "
			                    "tsig add %s`)", s.key, s.key);
		}
	}
	/* Adding an address again replaces its entry: say so, or that nothing changed. */
	struct secondary old;
	int orc = rc == 0 && add ? secondary_get(&t, z.id, &s, &old) : LS_ENOTFOUND;
	bool existed = orc == 0, same = existed && old.port == s.port && !strcmp(old.key, s.key);
	if (orc != 0 && orc != LS_ENOTFOUND)
		rc = orc;
	if (rc == 0 && add && !same)
		secondary_put(&t, z.id, &s);
	else if (rc == 0 && !add)
		rc = secondary_del(&t, z.id, &s);
	rc = rc ? (store_abort(&t), rc) : store_commit(&t);
	char text[SECONDARY_TEXT_MAX + 8], was[SECONDARY_TEXT_MAX + 8];
	if (rc)
		return ctl_fail(c, rc, "zone %s: secondary %s", zone, c->args[2]);
	if (c->json) {
		json_t *o = json_pack("{s:o}", "zone", ctl_json_string(zone)), *sj = secondary_json(&s);
		json_object_update(o, sj);
		json_decref(sj);
		json_object_set_new(o, add ? "added" : "deleted", json_boolean(!same));
		if (add)
			json_object_set_new(o, "replaced", json_boolean(existed && !same));
		return ctl_json_print(o);
	}
	secondary_format(&s, text, sizeof(text));
	if (same)
		printf("zone %s: secondary %s%s%s: no change\n", zone, text, *s.key ? " key " : "",
		       s.key);
	else if (existed)
		printf("zone %s: secondary %s replaced (was %s%s%s)\n", zone, text,
		       secondary_format(&old, was, sizeof(was)), *old.key ? " key " : "", old.key);
	else
		printf("zone %s: secondary %s %s\n", zone, text,
		       add ? "added: it may transfer the zone" : "deleted");
	return EXIT_OK;
}
