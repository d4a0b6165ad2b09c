/* zonectl tsig add|list|del: the TSIG keys secondaries sign transfers with. */
#include <stdlib.h>
#include <string.h>
#include <mbedtls/platform_util.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/util/err.h"
#include "shared/store/secondary.h"
#include "shared/store/tsig_key.h"
#include "shared/store/update_policy.h"

static int parse_name(struct ctl *c, uint8_t name[DNAME_MAX])
{
	if (tsig_key_name(c->args[0], name) != 0) {
		fprintf(stderr, "zonectl: '%s' is not a valid key name (a domain name such as "
		                "xfr-key or xfr.example.com, at most %d bytes)\n", c->args[0],
		        TSIG_KEY_TEXT_MAX - 1);
		return EXIT_USAGE;
	}
	return 0;
}

/* The new key in the formats of nsd.conf and knot.conf, ready to paste. Returns the exit code. */
static int print_key(struct ctl *c, const struct tsig_key *k, const char *secret)
{
	char name[TSIG_KEY_TEXT_MAX];
	const char *alg = tsig_alg_name(k->alg);
	tsig_key_name_text(k->name, name, sizeof(name));
	if (c->json) {
		/* jansson's copy of the secret is freed without wiping, like stdout's buffer. */
		return ctl_json_print(json_pack("{s:o,s:s,s:s}", "name", ctl_json_string(name),
		                                "algorithm", alg, "secret", secret));
	}
	printf("TSIG key %s added (%s). The secret is shown this once: put it in the\n"
	       "secondary's configuration now (zonectl cannot show it again).\n\n", name, alg);
	printf("# NSD (nsd.conf)\nkey:\n    name: \"%s\"\n    algorithm: %s\n    secret: \"%s\"\n\n",
	       name, alg, secret);
	printf("# Knot DNS (knot.conf)\nkey:\n  - id: %s\n    algorithm: %s\n    secret: %s\n",
	       name, alg, secret);
	return EXIT_OK;
}

int cmd_tsig_add(struct ctl *c)
{
	uint8_t name[DNAME_MAX];
	struct tsig_key k, old;
	struct store_txn t;
	char secret[TSIG_SECRET_TEXT_MAX];
	enum tsig_alg alg = TSIG_HMAC_SHA256;
	int rc = parse_name(c, name);
	if (rc)
		return rc;
	if (c->algorithm && tsig_alg_parse(c->algorithm, &alg) != 0) {
		fprintf(stderr, "zonectl: unknown algorithm '%s' (hmac-sha256, hmac-sha512, "
		                "hmac-sha1)\n", c->algorithm);
		return EXIT_USAGE;
	}
	if ((rc = tsig_key_generate(&k, name, alg)) != 0)
		return ctl_fail(c, rc, "cannot make a random secret");
	if ((rc = ctl_open(c, true)) != 0)
		goto out;
	if ((rc = store_begin(c->st, true, 0, &t)) != 0) {
		rc = ctl_fail(c, rc, "cannot write the store");
		goto out;
	}
	rc = tsig_key_get(&t, name, &old);
	tsig_key_wipe(&old);
	if (rc == 0) {
		store_abort(&t);
		rc = ctl_fail_msg(c, EXIT_CONFLICT, "TSIG key %s exists already (delete it first to "
		              "make a new secret)", c->args[0]);
		goto out;
	}
	if (rc != LS_ENOTFOUND) {
		store_abort(&t);
		rc = ctl_fail(c, rc, "cannot read the store");
		goto out;
	}
	tsig_key_put(&t, &k);
	if ((rc = store_commit(&t)) != 0 || (rc = tsig_key_secret_text(&k, secret)) != 0) {
		rc = ctl_fail(c, rc, "TSIG key %s", c->args[0]);
		goto out;
	}
	rc = print_key(c, &k, secret);
	mbedtls_platform_zeroize(secret, sizeof(secret));
out:
	tsig_key_wipe(&k);
	return rc;
}

static int show(const struct tsig_key *k, void *arg)
{
	struct ctl_out *o = arg;
	char name[TSIG_KEY_TEXT_MAX];
	tsig_key_name_text(k->name, name, sizeof(name));
	if (o->c->json)
		ctl_out_item(o, json_pack("{s:o,s:s}", "name", ctl_json_string(name),
		                          "algorithm", tsig_alg_name(k->alg)));
	else
		printf("%s %s\n", name, tsig_alg_name(k->alg));
	return 0;
}

int cmd_tsig_list(struct ctl *c)
{
	struct store_txn t;
	struct ctl_out o;
	int rc = ctl_read(c, &t);
	if (rc)
		return rc;
	ctl_out_list_begin(&o, c, "keys");
	rc = tsig_key_list(&t, show, &o);
	return ctl_list_done(&o, &t, rc, "cannot list the TSIG keys");
}

/* The first secondary that names the key, so deleting it is refused with a reason. */
struct user_ctx {
	const uint8_t *name;
	uint32_t zone_id;
	struct secondary s;
	size_t n;
};

static int find_user(uint32_t zone_id, const struct secondary *s, void *arg)
{
	struct user_ctx *u = arg;
	uint8_t name[DNAME_MAX];
	if (*s->key && tsig_key_name(s->key, name) == 0 && dname_equal(name, u->name)) {
		if (u->n++ == 0) {
			u->zone_id = zone_id;
			u->s = *s;
		}
	}
	return 0;
}

/* Stops the listing at the first update policy of the key (its zone in u->zone_id). */
static int find_policy(uint32_t zone_id, const struct update_policy *p, void *arg)
{
	struct user_ctx *u = arg;
	if (!dname_equal(p->key, u->name))
		return 0;
	u->zone_id = zone_id;
	return 1;
}

/* The name of zone id into out ("?" when it cannot be read), after the store closed. */
static const char *zone_name(struct ctl *c, uint32_t id, char out[DNAME_STR_MAX])
{
	struct store_txn t;
	struct zone_info *zones;
	size_t nz;
	strcpy(out, "?");
	if (store_begin(c->st, false, 0, &t) != 0)
		return out;
	if (zone_list(&t, &zones, &nz) == 0) {
		for (size_t i = 0; i < nz; i++)
			if (zones[i].id == id)
				dname_format(out, zones[i].apex);
		free(zones);
	}
	store_abort(&t);
	return out;
}

int cmd_tsig_del(struct ctl *c)
{
	uint8_t name[DNAME_MAX];
	struct store_txn t;
	struct user_ctx u = { name, 0, { 0 }, 0 };
	int rc = parse_name(c, name);
	if (rc || (rc = ctl_open(c, true)) != 0)
		return rc;
	if ((rc = store_begin(c->st, true, 0, &t)) != 0)
		return ctl_fail(c, rc, "cannot write the store");
	if ((rc = secondary_each(&t, find_user, &u)) != 0) {
		store_abort(&t);
		return ctl_fail(c, rc, "cannot read the secondaries");
	}
	if (u.n > 0) {
		char zone[DNAME_STR_MAX], addr[SECONDARY_TEXT_MAX + 8];
		store_abort(&t);
		return ctl_fail_msg(c, EXIT_CONFLICT, "TSIG key %s is in use by %zu secondar%s (zone %s: "
		                "%s); delete %s first (zonectl zone secondaries DOMAIN del ADDR)",
		                c->args[0], u.n, u.n == 1 ? "y" : "ies", zone_name(c, u.zone_id, zone),
		                secondary_format(&u.s, addr, sizeof(addr)), u.n == 1 ? "it" : "them");
	}
	if ((rc = update_policy_list(&t, 0, find_policy, &u)) != 0 && rc != 1) {
		store_abort(&t);
		return ctl_fail(c, rc, "cannot read the update policies");
	}
	if (rc == 1) {
		char zone[DNAME_STR_MAX];
		store_abort(&t);
		zone_name(c, u.zone_id, zone);
		return ctl_fail_msg(c, EXIT_CONFLICT, "TSIG key %s is in use by the update policy of "
		                    "zone %s; delete it first (zonectl zone update-policy %s del %s)",
		                    c->args[0], zone, zone, c->args[0]);
	}
	rc = tsig_key_del(&t, name);
	rc = rc ? (store_abort(&t), rc) : store_commit(&t);
	if (rc == LS_ENOTFOUND)
		return ctl_fail_msg(c, EXIT_NOTFOUND, "no TSIG key %s", c->args[0]);
	if (rc)
		return ctl_fail(c, rc, "TSIG key %s", c->args[0]);
	if (c->json)
		return ctl_json_print(json_pack("{s:o}", "deleted", ctl_json_string(c->args[0])));
	printf("TSIG key %s deleted\n", c->args[0]);
	return EXIT_OK;
}
