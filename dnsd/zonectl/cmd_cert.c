/* zonectl cert: the demo CA, certificates it issues for httpsd, and the list of what is there. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/cert.h"
#include "shared/err.h"

#define CERT_USAGE "usage: zonectl cert demo-ca | issue HOST... | list\n"

static int exit_for(int rc)
{
	return rc == -ENOENT ? EXIT_NOTFOUND : rc == LS_EPARSE ? EXIT_INPUT : EXIT_STORE;
}

static int demo_ca(struct ctl *c)
{
	char err[512], path[4096];
	bool created;
	int rc = cert_demo_ca(c->state, &created, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "zonectl: demo CA: %s\n", err);
		return exit_for(rc);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", c->state, CERT_CA_DIR, CERT_CA_FILE);
	if (c->json) {
		printf("{\"ca\":");
		json_str(stdout, path);
		printf(",\"created\":%s}\n", created ? "true" : "false");
	} else {
		printf("%s %s\n", created ? "created" : "kept the demo CA in", path);
	}
	return EXIT_OK;
}

static int issue(struct ctl *c)
{
	char err[512];
	int n = c->nargs - 1, rc = EXIT_OK;
	if (n < 1) {
		fprintf(stderr, "zonectl: cert issue needs a host name\n" CERT_USAGE);
		return EXIT_USAGE;
	}
	char (*hosts)[CERT_HOST_MAX + 1] = calloc((size_t)n, sizeof(*hosts));
	if (hosts == NULL) {
		fprintf(stderr, "zonectl: out of memory\n");
		return EXIT_STORE;
	}
	/* Every name is checked before anything is written. */
	for (int i = 0; i < n; i++)
		if (cert_host_norm(c->args[i + 1], hosts[i]) != 0) {
			fprintf(stderr, "zonectl: '%s' is not a host name\n", c->args[i + 1]);
			rc = EXIT_USAGE;
			goto out;
		}
	if (c->json)
		printf("{\"issued\":[");
	for (int i = 0; i < n && rc == EXIT_OK; i++) {
		int irc = cert_issue(c->state, hosts[i], err, sizeof(err));
		if (irc) {
			fprintf(stderr, "zonectl: %s: %s\n", hosts[i], err);
			rc = exit_for(irc);
		} else if (c->json) {
			printf("%s", i ? "," : "");
			json_str(stdout, hosts[i]);
		} else {
			printf("issued %s/%s/%s/%s\n", c->state, CERT_DIR, hosts[i], CERT_CHAIN_FILE);
		}
	}
	if (c->json)
		printf("]}\n");
out:
	free(hosts);
	return rc;
}

struct list_ctx {
	struct ctl *c;
	size_t n;
};

static int show(const struct cert_info *info, void *arg)
{
	struct list_ctx *l = arg;
	struct ctl *c = l->c;
	char when[32];
	ctl_time(info->not_after, when, sizeof(when));
	if (c->json) {
		printf("%s{\"host\":", l->n++ ? "," : "");
		json_str(stdout, info->host);
		printf(",\"not_after\":");
		if (info->not_after)
			json_str(stdout, when);
		else
			printf("null");
		printf(",\"issuer\":");
		json_str(stdout, info->issuer);
		printf(",\"error\":");
		if (info->error)
			json_str(stdout, info->error_text);
		else
			printf("null");
		printf("}");
		return 0;
	}
	printf("%-40s %-20s %s", info->host, info->not_after ? when : "-",
	       *info->issuer ? info->issuer : "-");
	if (info->error)
		printf("  (not usable: %s)", info->error_text);
	else if (info->not_after < (int64_t)time(NULL))
		printf("  (expired)");
	printf("\n");
	return 0;
}

static int list(struct ctl *c)
{
	struct list_ctx l = { c, 0 };
	if (c->json)
		printf("{\"certs\":[");
	int rc = cert_list(c->state, show, &l);
	if (c->json)
		printf("]}\n");
	if (rc) {
		fprintf(stderr, "zonectl: %s/%s: %s\n", c->state, CERT_DIR, ls_strerror(rc));
		return EXIT_STORE;
	}
	return EXIT_OK;
}

int cmd_cert(struct ctl *c)
{
	const char *action = c->args[0];
	if (strcmp(action, "issue") == 0)
		return issue(c);
	if (c->nargs != 1) {
		fprintf(stderr, "zonectl: cert %s takes no arguments\n" CERT_USAGE, action);
		return EXIT_USAGE;
	}
	if (strcmp(action, "demo-ca") == 0)
		return demo_ca(c);
	if (strcmp(action, "list") == 0)
		return list(c);
	fprintf(stderr, "zonectl: '%s': the action is demo-ca, issue or list\n" CERT_USAGE, action);
	return EXIT_USAGE;
}
