/* zonectl mta-sts enable|set|mode|disable: the one checkbox and its settings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/tls/cert.h"
#include "shared/util/err.h"
#include "shared/sts/sts_ops.h"

/* A repeatable option --NAME and its --no-NAME: the values given, none, or (neither given)
 * unchanged. A usage error prints and returns EXIT_USAGE. */
static int list_option(const char *name, const char *const *given, unsigned n, bool none,
                       const char **out, size_t size, unsigned *nout, bool *set)
{
	if (n == 0 && !none)
		return 0;
	if (n && none) {
		fprintf(stderr, "zonectl: --%s and --no-%s exclude each other\n", name, name);
		return EXIT_USAGE;
	}
	memcpy(out, given, size);
	*nout = n;
	*set = true;
	return 0;
}

/* Lockstep's own rua (tlsrpt.receive) goes first, as some senders use only the first, and
 * only mail: mailto:<tlsrpt.mailbox>, then httpsd's POST /tlsrpt when httpsd is configured
 * (the publisher's mta-sts.endpoints), made per domain by sts_ops, for one domain or many.
 * On enable, and on set when --rua gives the list anew; not with --rua-only or --no-rua. */
static int own_rua(struct ctl *c, struct sts_settings *s)
{
	static char mail[STS_TEXT_MAX];
	bool enable = strncmp(c->cmd->name, "mta-sts enable", 14) == 0;
	if (c->rua_only && c->nrua == 0) {
		fprintf(stderr, "zonectl: --rua-only needs --rua\n");
		return EXIT_USAGE;
	}
	if (c->rua_only || c->no_rua || !c->cfg.tlsrpt_receive || (!enable && c->nrua == 0))
		return 0;
	size_t nmail = c->cfg.tlsrpt_mailbox && c->cfg.tlsrpt_mailbox[0];
	bool https = c->cfg.sts_endpoints && c->cfg.sts_endpoints[0];
	if (nmail + https == 0)
		return 0;
	if (s->nrua + nmail + https > STS_RUA_MAX) {
		fprintf(stderr, "zonectl: at most %zu --rua with Lockstep's own addresses (or "
		        "--rua-only)\n", STS_RUA_MAX - nmail - https);
		return EXIT_USAGE;
	}
	if (nmail) {
		snprintf(mail, sizeof(mail), "mailto:%s", c->cfg.tlsrpt_mailbox);
		memmove(s->rua + 1, s->rua, s->nrua * sizeof(s->rua[0]));
		s->rua[0] = mail;
		s->nrua++;
	}
	s->rua_own_https = https;
	s->rua_own_at = (unsigned)nmail;
	s->rua_set = true;
	return 0;
}

int ctl_sts_settings(struct ctl *c, struct sts_settings *s)
{
	memset(s, 0, sizeof(*s));
	if (c->mode) {
		if (sts_mode_parse(c->mode, &s->mode) != 0) {
			fprintf(stderr, "zonectl: unknown mode '%s' (testing, enforce, none)\n", c->mode);
			return EXIT_USAGE;
		}
		s->mode_set = true;
	}
	if (c->max_age) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(c->max_age, &end, 10);
		if (errno || *end || end == c->max_age || c->max_age[0] == '-' || v > UINT32_MAX) {
			fprintf(stderr, "zonectl: --max-age '%s' is not a number of seconds\n", c->max_age);
			return EXIT_USAGE;
		}
		s->max_age = (uint32_t)v;
		s->max_age_set = true;
	}
	if (list_option("mx-extra", c->mx_extra, c->nmx_extra, c->no_mx_extra, s->extra,
	                sizeof(s->extra), &s->nextra, &s->extra_set) ||
	    list_option("rua", c->rua, c->nrua, c->no_rua, s->rua, sizeof(s->rua), &s->nrua,
	                &s->rua_set))
		return EXIT_USAGE;
	return own_rua(c, s);
}

/* The command line of an mta-sts command: DOMAIN and the settings (s NULL: it takes none;
 * need: at least one), then the store opened for writing. Returns 0 or the exit code. */
static int start(struct ctl *c, uint8_t domain[DNAME_MAX], struct sts_settings *s, bool need)
{
	if (ctl_zone_name(c, c->args[0], domain) || (s && ctl_sts_settings(c, s)))
		return EXIT_USAGE;
	if (need && !s->mode_set && !s->max_age_set && !s->extra_set && !s->rua_set) {
		fprintf(stderr, "zonectl: nothing to set: give --mode, --max-age, --mx-extra, "
		        "--no-mx-extra, --rua or --no-rua\n");
		return EXIT_USAGE;
	}
	return ctl_open(c, true);
}

/* Shows an operation's commit (or that only the policy changed), then runs the publish step. */
static int show(struct ctl *c, const uint8_t *domain, int rc, struct zone_result *res,
                const char *what)
{
	char name[DNAME_STR_MAX];
	ctl_domain(name, domain);
	if (rc == LS_ENOTFOUND)
		return ctl_fail(c, rc, "MTA-STS is not enabled for %s", name);
	if (rc == LS_EEXIST)
		return ctl_fail(c, rc, "MTA-STS is already enabled for %s (change it with zonectl "
		                "mta-sts set or mode)", name);
	if (rc == LS_ENOZONE)
		return ctl_fail(c, rc, "no zone holds %s", name);
	if (rc == LS_ENOCHANGE) {
		diag_print(&c->d, stderr);
		if (c->json)
			return ctl_json_print(json_pack("{s:o,s:b,s:s}", "domain", ctl_json_string(name),
			                                "changed", 0, "result", "no change"));
		printf("mta-sts %s: no change\n", name);
		return EXIT_OK;
	}
	if (rc)
		return ctl_fail(c, rc, "MTA-STS for %s: nothing changed", name);
	if (res->zt) {
		int ec = ctl_result(c, zone_txn_zone(res->zt)->apex, 0, res);
		return ctl_publish_after(c, ec, 0, res);
	}
	/* Only the policy changed (no record): publish it for every zone. */
	diag_print(&c->d, stderr);
	int ec = EXIT_OK;
	if (c->json)
		ec = ctl_json_print(json_pack("{s:o,s:b,s:s}", "domain", ctl_json_string(name),
		                              "changed", 1, "result", what));
	else
		printf("mta-sts %s: %s\n", name, what);
	return c->no_publish || ec ? ec : ctl_publish(c, 0);
}

/* show(), then frees res. */
static int finish(struct ctl *c, const uint8_t *domain, int rc, struct zone_result *res,
                  const char *what)
{
	int ec = show(c, domain, rc, res, what);
	zone_result_free(res);
	return ec;
}

void ctl_demo_cert(struct ctl *c, const uint8_t *domain)
{
	/* With a demo CA (make run, tests), mta-sts.DOMAIN gets its certificate here;
	 * otherwise the operator's certificate is expected in STATE/certs/. */
	char host[DNAME_STR_MAX + 8], name[DNAME_STR_MAX], err[256];
	snprintf(host, sizeof(host), "mta-sts.%s", ctl_domain(name, domain));
	if (cert_demo_ensure(c->state, host, err, sizeof(err)) != 0)
		fprintf(stderr, "zonectl: warning: no demo certificate for %s: %s\n", host, err);
}

int cmd_mtasts_enable(struct ctl *c)
{
	uint8_t domain[DNAME_MAX];
	struct sts_settings s;
	struct zone_result res;
	int rc = start(c, domain, &s, false);
	if (rc)
		return rc;
	struct sts_service svc = { c->cfg.sts_service_address, c->cfg.sts_service_cname,
	                           c->cfg.sts_txt_ttl };
	rc = sts_ops_enable(c->st, domain, &s, &svc, &c->d, &res);
	if (rc == 0)
		ctl_demo_cert(c, domain);
	return finish(c, domain, rc, &res, "enabled");
}

int cmd_mtasts_set(struct ctl *c)
{
	uint8_t domain[DNAME_MAX];
	struct sts_settings s;
	struct zone_result res;
	int rc = start(c, domain, &s, true);
	if (rc)
		return rc;
	if (s.mode_set && s.mode == STS_MODE_ENFORCE && ((rc = ctl_tlsrpt_enforce(c, domain)) != 0 ||
	                                                  (rc = ctl_check_enforce(c, domain)) != 0))
		return rc;
	rc = sts_ops_set(c->st, domain, &s, &c->d, &res);
	return finish(c, domain, rc, &res, "settings changed");
}

int cmd_mtasts_mode(struct ctl *c)
{
	c->mode = c->args[1];
	return cmd_mtasts_set(c);
}

int cmd_mtasts_disable(struct ctl *c)
{
	uint8_t domain[DNAME_MAX];
	struct zone_result res;
	int rc = start(c, domain, NULL, false);
	if (rc)
		return rc;
	if (c->now)
		fprintf(stderr, "zonectl: warning: removing the MTA-STS records at once; senders that "
		        "cached an enforce policy keep it until its max_age ends and may refuse to "
		        "deliver to MX hosts it does not list (RFC 8461 8.3)\n");
	rc = sts_ops_disable(c->st, domain, c->now, &c->d, &res);
	return finish(c, domain, rc, &res, c->now ? "removed" : "removal started (mode none)");
}
