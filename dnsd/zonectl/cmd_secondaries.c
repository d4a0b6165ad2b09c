/* zonectl zone secondaries: the addresses allowed to transfer a zone (its ACL). */
#include <string.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/err.h"
#include "shared/secondary.h"
#include "shared/tsig_key.h"

struct list_ctx {
	struct ctl *c;
	size_t n;
};

static int show(const struct secondary *s, void *arg)
{
	struct list_ctx *l = arg;
	char text[SECONDARY_TEXT_MAX + 8];
	secondary_format(s, text, sizeof(text));
	if (l->c->json) {
		printf("%s{\"address\":", l->n ? "," : "");
		json_str(stdout, text);
		printf(",\"key\":");
		if (*s->key)
			json_str(stdout, s->key);
		else
			printf("null");
		printf("}");
	} else {
		printf("%s%s%s\n", text, *s->key ? " key " : "", s->key);
	}
	l->n++;
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
		struct list_ctx l = { c, 0 };
		int rc = ctl_read_zone(c, &t, &z);
		if (rc)
			return rc;
		if (c->json)
			printf("{\"zone\":\"%s\",\"secondaries\":[", dname_format(zone, z.apex));
		rc = secondary_list(&t, z.id, show, &l);
		if (c->json)
			printf("]}\n");
		store_abort(&t);
		return rc ? ctl_fail(c, rc, "cannot list secondaries") : EXIT_OK;
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
			fprintf(stderr, "zonectl: no TSIG key %s (make it with `zonectl tsig add %s`)\n",
			        s.key, s.key);
			return EXIT_NOTFOUND;
		}
	}
	if (rc == 0 && add)
		secondary_put(&t, z.id, &s);
	else if (rc == 0)
		rc = secondary_del(&t, z.id, &s);
	rc = rc ? (store_abort(&t), rc) : store_commit(&t);
	char text[SECONDARY_TEXT_MAX + 8];
	if (rc)
		return ctl_fail(c, rc, "zone %s: secondary %s", zone, c->args[2]);
	printf("zone %s: secondary %s %s\n", zone, secondary_format(&s, text, sizeof(text)),
	       add ? "added: it may transfer the zone" : "deleted");
	return EXIT_OK;
}
