/* zonectl api token add|list|del: the tokens the HTTP API (httpsd's API process) accepts. */
#include <stdlib.h>
#include <string.h>
#include <mbedtls/platform_util.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/store/api_token.h"
#include "shared/store/zone.h"
#include "shared/util/err.h"

static int bad_name(struct ctl *c)
{
	fprintf(stderr, "zonectl: '%s' is not a valid token name (1 to %d letters, digits, '-', "
	                "'_' or '.')\n", c->args[0], API_TOKEN_NAME_MAX);
	return EXIT_USAGE;
}

/* The --zone options into tk; each must be a zone in the store. Returns the exit code. */
static int take_zones(struct ctl *c, struct store_txn *t, struct api_token *tk)
{
	for (unsigned i = 0; i < c->napi_zones; i++) {
		struct zone_info z;
		static const uint8_t root[1] = { 0 };
		if (dname_parse(tk->zones[i], c->api_zones[i], root) < 0) {
			fprintf(stderr, "zonectl: --zone '%s' is not a domain name\n", c->api_zones[i]);
			return EXIT_USAGE;
		}
		dname_lower(tk->zones[i]);
		int rc = zone_get(t, tk->zones[i], &z);
		if (rc == LS_ENOZONE)
			return ctl_fail_msg(c, EXIT_NOTFOUND, "--zone %s: no such zone", c->api_zones[i]);
		if (rc)
			return ctl_fail(c, rc, "cannot read the store");
	}
	tk->nzones = c->napi_zones;
	return EXIT_OK;
}

static int count(const struct api_token *tk, void *ctx)
{
	(void)tk;
	(*(int *)ctx)++;
	return 0;
}

int cmd_api_token_add(struct ctl *c)
{
	struct api_token tk, old;
	struct store_txn t;
	char secret[API_TOKEN_SECRET_TEXT];
	if (!api_token_name_ok(c->args[0]))
		return bad_name(c);
	int rc = api_token_make(&tk, c->args[0], secret);
	if (rc)
		return ctl_fail(c, rc, "cannot make a random secret");
	tk.read_only = c->read_only;
	if ((rc = ctl_open(c, true)) != 0)
		goto out;
	if ((rc = store_begin(c->st, true, 0, &t)) != 0) {
		rc = ctl_fail(c, rc, "cannot write the store");
		goto out;
	}
	if ((rc = take_zones(c, &t, &tk)) != EXIT_OK) {
		store_abort(&t);
		goto out;
	}
	rc = api_token_get(&t, tk.name, &old);
	if (rc != LS_ENOTFOUND) {
		store_abort(&t);
		rc = rc == 0 ? ctl_fail_msg(c, EXIT_CONFLICT, "API token %s exists already (delete it "
		                            "first to make a new secret)", tk.name)
		             : ctl_fail(c, rc, "cannot read the store");
		goto out;
	}
	int n = 0;
	if ((rc = api_token_each(&t, count, &n)) != 0 || n >= API_TOKEN_MAX) {
		store_abort(&t);
		rc = rc ? ctl_fail(c, rc, "cannot read the store")
		        : ctl_fail_msg(c, EXIT_CONFLICT, "there are %d API tokens already, the most "
		                       "there may be (each request is checked against all of them); "
		                       "delete some first", n);
		goto out;
	}
	api_token_put(&t, &tk);
	if ((rc = store_commit(&t)) != 0) {
		rc = ctl_fail(c, rc, "API token %s", tk.name);
		goto out;
	}
	/* The secret alone on the last line, so `| tail -n 1` takes it. */
	if (c->json)
		rc = ctl_json_print(json_pack("{s:s,s:b,s:i,s:s}", "name", tk.name, "read_only",
		                              tk.read_only, "zones", (int)tk.nzones, "secret", secret));
	else
		printf("API token %s added (%s, %s). The secret is shown this once; send it as\n"
		       "X-API-Key or Authorization: Bearer:\n%s\n", tk.name,
		       tk.read_only ? "read-only" : "read-write",
		       tk.nzones ? "its zones only" : "every zone", secret);
	rc = rc ? rc : EXIT_OK;
out:
	mbedtls_platform_zeroize(secret, sizeof(secret));
	mbedtls_platform_zeroize(&tk, sizeof(tk));
	return rc;
}

static int show(const struct api_token *tk, void *arg)
{
	struct ctl_out *o = arg;
	char zone[DNAME_STR_MAX];
	if (o->c->json) {
		json_t *zones = json_array();
		for (unsigned i = 0; i < tk->nzones; i++)
			json_array_append_new(zones, ctl_json_string(ctl_domain(zone, tk->zones[i])));
		ctl_out_item(o, json_pack("{s:s,s:b,s:o,s:o}", "name", tk->name, "read_only",
		                          tk->read_only, "zones", zones,
		                          "created", ctl_json_time(tk->created)));
		return 0;
	}
	printf("%s %s", tk->name, tk->read_only ? "read-only" : "read-write");
	if (tk->nzones == 0)
		printf(" every-zone");
	for (unsigned i = 0; i < tk->nzones; i++)
		printf(" %s", ctl_domain(zone, tk->zones[i]));
	printf("\n");
	return 0;
}

int cmd_api_token_list(struct ctl *c)
{
	struct store_txn t;
	struct ctl_out o;
	int rc = ctl_read(c, &t);
	if (rc)
		return rc;
	ctl_out_list_begin(&o, c, "tokens");
	rc = api_token_each(&t, show, &o);
	return ctl_list_done(&o, &t, rc, "cannot list the API tokens");
}

int cmd_api_token_del(struct ctl *c)
{
	struct store_txn t;
	if (!api_token_name_ok(c->args[0]))
		return bad_name(c);
	int rc = ctl_open(c, true);
	if (rc)
		return rc;
	if ((rc = store_begin(c->st, true, 0, &t)) != 0)
		return ctl_fail(c, rc, "cannot write the store");
	rc = api_token_del(&t, c->args[0]);
	rc = rc ? (store_abort(&t), rc) : store_commit(&t);
	if (rc == LS_ENOTFOUND)
		return ctl_fail_msg(c, EXIT_NOTFOUND, "no API token %s", c->args[0]);
	if (rc)
		return ctl_fail(c, rc, "API token %s", c->args[0]);
	if (!c->json)
		printf("API token %s deleted\n", c->args[0]);
	return EXIT_OK;
}
