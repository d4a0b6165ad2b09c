/* `zonectl mta-sts rederive`: every domain's mta-sts records brought to the configured service. */
#include <errno.h>
#include <stdio.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/util/err.h"
#include "shared/sts/sts_rederive.h"

/* Lines as domains are done (on stderr beside --json), and the list for --json. */
struct rederive_ctx {
	struct ctl *c;
	json_t *list;      /* NULL: lines only */
};

static void report(const struct sts_rederive_info *i, void *arg)
{
	struct rederive_ctx *r = arg;
	char name[DNAME_STR_MAX];
	FILE *out = r->c->json ? stderr : stdout;
	bool rewritten = i->what == STS_REDERIVE_REWRITTEN;
	ctl_domain(name, i->domain);
	if (r->list)
		json_array_append_new(r->list, json_pack("{s:o,s:s,s:I,s:I}", "domain",
		                      ctl_json_string(name), "outcome", rewritten ? "rewritten" : "kept",
		                      "serial_old", (json_int_t)i->old_serial,
		                      "serial", (json_int_t)i->new_serial));
	if (rewritten)
		fprintf(out, "mta-sts %s: mta-sts.%s rewritten for the service in force, serial %u -> "
		        "%u\n", name, name, i->old_serial, i->new_serial);
	else
		fprintf(out, "mta-sts %s: mta-sts.%s kept: its records are not what any service "
		        "applied made (--force replaces them)\n", name, name);
}

int cmd_mtasts_rederive(struct ctl *c)
{
	struct sts_service svc = { c->cfg.sts_service_address, c->cfg.sts_service_cname,
	                           c->cfg.sts_txt_ttl };
	struct rederive_ctx r = { c, NULL };
	struct sts_rederive_result res;
	char err[256];
	int rc = ctl_open(c, true);
	if (rc)
		return rc;
	if (c->json && (r.list = json_array()) == NULL)
		return ctl_fail(c, -ENOMEM, "mta-sts rederive");
	rc = sts_rederive_run(c->st, &svc, c->force, "zonectl mta-sts rederive", report, &r, &res,
	                      err, sizeof(err));
	if (rc == LS_ENOTFOUND || rc == LS_ECONFIG) {
		json_decref(r.list);
		return ctl_fail_msg(c, EXIT_INPUT, "mta-sts rederive: %s", rc == LS_ECONFIG ? err :
		                    "mta-sts.service-address and service-cname are both empty: "
		                    "nothing to point mta-sts.<domain> at");
	}
	if (rc && rc != LS_ENOCHANGE) {
		json_decref(r.list);
		return ctl_fail(c, rc, "mta-sts rederive: %s; the zones committed so far keep their "
		                "new records, run it again", *err ? err : "nothing more changed");
	}
	if (c->json)
		return ctl_json_print(json_pack("{s:b,s:b,s:i,s:i,s:i,s:i,s:o}", "changed",
		                                rc == 0 && res.zones > 0, "adopted", res.adopted,
		                                "zones", (int)res.zones, "rewritten", (int)res.rewritten,
		                                "current", (int)res.current, "kept", (int)res.kept,
		                                "domains", r.list));
	if (rc == LS_ENOCHANGE)
		printf("mta-sts: no change: the service in force is the one the domains were given\n");
	else if (res.adopted)
		printf("mta-sts: this store had no service recorded: the one in force is recorded now, "
		       "nothing rewritten (--force rewrites every domain)\n");
	else
		printf("mta-sts: %u domain%s rewritten in %u zone commit%s, %u already right, %u kept\n",
		       res.rewritten, res.rewritten == 1 ? "" : "s", res.zones,
		       res.zones == 1 ? "" : "s", res.current, res.kept);
	return EXIT_OK;
}
