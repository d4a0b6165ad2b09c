/* zonectl zone update-policy: which TSIG keys may change which names and types by DNS UPDATE. */
#include <string.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/util/err.h"
#include "shared/dns/rrtext.h"
#include "shared/store/tsig_key.h"
#include "shared/store/update_policy.h"
#include "shared/store/zone_check.h"

#define USAGE "usage: zonectl zone update-policy DOMAIN list | add KEY [--name PATTERN]... " \
              "[--type TYPE]... | del KEY\n"

/* {"key","names":[...] or null,"types":[...] or null}: null is the whole zone, the default types. */
static json_t *policy_json(const struct update_policy *p)
{
	char key[TSIG_KEY_TEXT_MAX], pat[DNAME_STR_MAX + 2], tn[16];
	json_t *names = p->nnames ? json_array() : json_null();
	json_t *types = p->ntypes ? json_array() : json_null();
	for (unsigned i = 0; i < p->nnames; i++)
		json_array_append_new(names, ctl_json_string(update_policy_pattern_text(&p->names[i], pat)));
	for (unsigned i = 0; i < p->ntypes; i++)
		json_array_append_new(types, json_string(rr_type_name(p->types[i], tn, sizeof(tn))));
	return json_pack("{s:o,s:o,s:o}", "key",
	                 ctl_json_string(tsig_key_name_text(p->key, key, sizeof(key))),
	                 "names", names, "types", types);
}

/* "KEY names *.dyn.example.com. types A AAAA" (or "the whole zone", "every type but SOA"). */
static void policy_print(const char *prefix, const struct update_policy *p)
{
	char key[TSIG_KEY_TEXT_MAX], pat[DNAME_STR_MAX + 2], tn[16];
	printf("%s%s names", prefix, tsig_key_name_text(p->key, key, sizeof(key)));
	if (p->nnames == 0)
		printf(" (the whole zone)");
	for (unsigned i = 0; i < p->nnames; i++)
		printf(" %s", update_policy_pattern_text(&p->names[i], pat));
	printf(" types");
	if (p->ntypes == 0)
		printf(" (every type but SOA)");
	for (unsigned i = 0; i < p->ntypes; i++)
		printf(" %s", rr_type_name(p->types[i], tn, sizeof(tn)));
	printf("\n");
}

static int show(uint32_t zone_id, const struct update_policy *p, void *arg)
{
	struct ctl_out *o = arg;
	(void)zone_id;
	if (o->c->json)
		ctl_out_item(o, policy_json(p));
	else
		policy_print("", p);
	return 0;
}

/* The policy the command line describes: key, --name and --type. 0 or EXIT_USAGE. */
static int parse_policy(struct ctl *c, const uint8_t *apex, struct update_policy *p)
{
	memset(p, 0, sizeof(*p));
	if (tsig_key_name(c->args[2], p->key) != 0) {
		fprintf(stderr, "zonectl: '%s' is not a valid key name\n", c->args[2]);
		return EXIT_USAGE;
	}
	for (unsigned i = 0; i < c->nupd_names; i++) {
		if (update_policy_pattern(c->upd_names[i], apex, &p->names[p->nnames]) != 0) {
			fprintf(stderr, "zonectl: --name '%s' is not a name in the zone, or *. and one\n",
			        c->upd_names[i]);
			return EXIT_USAGE;
		}
		p->nnames++;
	}
	for (unsigned i = 0; i < c->nupd_types; i++) {
		uint16_t t = rr_type_parse(c->upd_types[i]);
		if (t == 0 || t == T_ANY || t == T_AXFR || t == T_IXFR || t == T_OPT) {
			fprintf(stderr, "zonectl: --type '%s' is not a record type\n", c->upd_types[i]);
			return EXIT_USAGE;
		}
		p->types[p->ntypes++] = t;
	}
	return 0;
}

static bool same_policy(const struct update_policy *a, const struct update_policy *b)
{
	if (a->nnames != b->nnames || a->ntypes != b->ntypes)
		return false;
	for (unsigned i = 0; i < a->nnames; i++)
		if (a->names[i].wild != b->names[i].wild || !dname_equal(a->names[i].name, b->names[i].name))
			return false;
	return memcmp(a->types, b->types, a->ntypes * sizeof(a->types[0])) == 0;
}

static int list(struct ctl *c)
{
	struct store_txn t;
	struct zone_info z;
	struct ctl_out o;
	char zone[DNAME_STR_MAX];
	int rc = ctl_read_zone(c, &t, &z);
	if (rc)
		return rc;
	ctl_out_begin(&o, c);
	ctl_out_put(&o, "zone", ctl_json_string(dname_format(zone, z.apex)));
	ctl_out_list(&o, "policies");
	rc = update_policy_list(&t, z.id, show, &o);
	return ctl_list_done(&o, &t, rc, "cannot list the update policies");
}

/* Reads the key and the old policy inside t: 0, or an exit code (t aborted). */
static int check_key(struct ctl *c, struct store_txn *t, const uint8_t *key)
{
	struct tsig_key k;
	int rc = tsig_key_get(t, key, &k);
	tsig_key_wipe(&k);
	if (rc == 0)
		return 0;
	store_abort(t);
	if (rc != LS_ENOTFOUND)
		return ctl_fail(c, rc, "cannot read the store");
	return ctl_fail_msg(c, EXIT_NOTFOUND, "no TSIG key %s (make it with `zonectl tsig add %s`)",
	                    c->args[2], c->args[2]);
}

int cmd_zone_update_policy(struct ctl *c)
{
	const char *action = c->args[1];
	bool add = strcmp(action, "add") == 0, del = strcmp(action, "del") == 0;
	uint8_t apex[DNAME_MAX];
	char zone[DNAME_STR_MAX];
	struct update_policy p, old;
	struct store_txn t;
	struct zone_info z;
	if (!add && !del && strcmp(action, "list") != 0) {
		fprintf(stderr, "zonectl: '%s': the action is add, del or list\n", action);
		return EXIT_USAGE;
	}
	if ((add || del) != (c->nargs == 3) || (!add && (c->nupd_names || c->nupd_types))) {
		fputs(USAGE, stderr);
		return EXIT_USAGE;
	}
	if (!add && !del)
		return list(c);
	if (ctl_zone_name(c, c->args[0], apex))
		return EXIT_USAGE;
	int rc = parse_policy(c, apex, &p);
	if (rc)
		return rc;
	dname_format(zone, apex);
	if ((rc = ctl_open(c, true)) != 0)
		return rc;
	if ((rc = store_begin(c->st, true, 0, &t)) != 0)
		return ctl_fail(c, rc, "cannot write the store");
	if ((rc = zone_get(&t, apex, &z)) != 0) {
		store_abort(&t);
		if (rc == LS_ENOTFOUND || rc == LS_ENOZONE)
			return ctl_fail_msg(c, EXIT_NOTFOUND, "no zone %s", zone);
		return ctl_fail(c, rc, "cannot read the store");
	}
	if (add && (rc = check_key(c, &t, p.key)) != 0)
		return rc;
	int orc = update_policy_get(&t, z.id, p.key, &old);
	bool existed = orc == 0, same = existed && add && same_policy(&old, &p);
	if (orc != 0 && orc != LS_ENOTFOUND)
		rc = orc;
	else if (add && !same)
		update_policy_put(&t, z.id, &p);
	else if (del && existed)
		rc = update_policy_del(&t, z.id, p.key);
	rc = rc ? (store_abort(&t), rc) : store_commit(&t);
	if (rc)
		return ctl_fail(c, rc, "zone %s: update policy of %s", zone, c->args[2]);
	if (c->json) {
		json_t *o = json_pack("{s:o}", "zone", ctl_json_string(zone));
		json_t *pj = policy_json(add ? &p : existed ? &old : &p);
		json_object_update(o, pj);
		json_decref(pj);
		json_object_set_new(o, add ? "added" : "deleted", json_boolean(add ? !same : existed));
		if (add)
			json_object_set_new(o, "replaced", json_boolean(existed && !same));
		return ctl_json_print(o);
	}
	if (same || (del && !existed))
		printf("zone %s: update policy of %s: no change%s\n", zone, c->args[2],
		       del ? " (there was none)" : "");
	else if (del)
		printf("zone %s: update policy of %s deleted: the key may no longer update the zone\n",
		       zone, c->args[2]);
	else {
		char prefix[DNAME_STR_MAX + 40];
		snprintf(prefix, sizeof(prefix), "zone %s: update policy %s: ", zone,
		         existed ? "replaced" : "added");
		policy_print(prefix, &p);
	}
	return EXIT_OK;
}
