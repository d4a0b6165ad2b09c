/* zonectl cert: the demo CA, certificates it issues for httpsd, and the list of what is there. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/tls/cert.h"
#include "shared/util/err.h"

#define CERT_USAGE "usage: zonectl cert demo-ca | issue HOST... | list | renew HOST | status HOST\n"

static int exit_for(int rc)
{
	return rc == -ENOENT ? EXIT_NOTFOUND : rc == LS_EPARSE ? EXIT_INPUT : EXIT_STORE;
}

static int demo_ca(struct ctl *c)
{
	char err[512], path[4096];
	bool created;
	int rc = cert_demo_ca(c->state, &created, err, sizeof(err));
	if (rc)
		return ctl_fail_msg(c, exit_for(rc), "demo CA: %s", err);
	snprintf(path, sizeof(path), "%s/%s/%s", c->state, CERT_CA_DIR, CERT_CA_FILE);
	if (c->json)
		return ctl_json_print(json_pack("{s:o,s:b}", "ca", ctl_json_string(path),
		                                "created", created));
	printf("%s %s\n", created ? "created" : "kept the demo CA in", path);
	return EXIT_OK;
}

static int issue(struct ctl *c)
{
	char err[512], what[CERT_HOST_MAX + 520];
	int n = c->nargs - 1, rc = EXIT_OK;
	struct ctl_out o;
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
	/* With --json a failure is the object's "error", after the hosts issued before it. */
	ctl_out_list_begin(&o, c, "issued");
	for (int i = 0; i < n && rc == EXIT_OK; i++) {
		int irc = cert_issue(c->state, hosts[i], err, sizeof(err));
		if (irc) {
			snprintf(what, sizeof(what), "%s: %s", hosts[i], err);
			fprintf(stderr, "zonectl: %s\n", what);
			rc = exit_for(irc);
		} else if (c->json) {
			ctl_out_item(&o, ctl_json_string(hosts[i]));
		} else {
			printf("issued %s/%s/%s/%s\n", c->state, CERT_DIR, hosts[i], CERT_CHAIN_FILE);
		}
	}
	ctl_out_list_end(&o);
	if (rc)
		ctl_out_put(&o, "error", ctl_json_string(what));
	if (ctl_out_end(&o) && rc == EXIT_OK)
		rc = EXIT_STORE;
out:
	free(hosts);
	return rc;
}

int cmd_cert(struct ctl *c)
{
	const char *action = c->args[0];
	if (strcmp(action, "issue") == 0)
		return issue(c);
	if (strcmp(action, "renew") == 0 || strcmp(action, "status") == 0)
		return ctl_cert_acme(c, action);
	if (c->nargs != 1) {
		fprintf(stderr, "zonectl: cert %s takes no arguments\n" CERT_USAGE, action);
		return EXIT_USAGE;
	}
	if (strcmp(action, "demo-ca") == 0)
		return demo_ca(c);
	if (strcmp(action, "list") == 0)
		return ctl_cert_list(c);
	fprintf(stderr, "zonectl: '%s': the action is demo-ca, issue, list, renew or status\n"
	        CERT_USAGE, action);
	return EXIT_USAGE;
}
