/* zonectl mta-sts enable DOMAIN... | --list FILE: many domains in one run, one summary line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/acme/acme_run.h"
#include "shared/tls/cert.h"
#include "shared/util/arena.h"
#include "shared/util/err.h"
#include "shared/sts/sts_bulk.h"

#define LIST_LINE_MAX 1024   /* bytes of a --list line; a domain name is at most 253 */
#define CERT_FLUSH STS_BULK_BATCH   /* the most certificates made together */

/* The domains to enable, as wire names in an arena. */
struct names {
	struct arena a;
	const uint8_t **v;
	size_t n, cap;
};

/* Adds the name text (from file:line, for messages; file NULL for an argument). */
static int names_add(struct names *ns, const char *text, const char *file, unsigned line,
                     struct diag *bad)
{
	static const uint8_t root[1] = { 0 };
	uint8_t wire[DNAME_MAX];
	int len = dname_parse(wire, text, root);
	if (len < 0) {
		diag_add(bad, DIAG_ERROR, file, line, "'%s' is not a domain name", text);
		return 0;
	}
	dname_lower(wire);
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 256;
		const uint8_t **v = realloc(ns->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		ns->v = v;
		ns->cap = cap;
	}
	if ((ns->v[ns->n] = arena_dup(&ns->a, wire, (size_t)len)) == NULL)
		return -ENOMEM;
	ns->n++;
	return 0;
}

/* One domain a line; '#' comments and blank lines skipped; "-" is standard input. */
static int read_list(const char *path, struct names *ns, struct diag *bad)
{
	bool in = strcmp(path, "-") == 0;
	const char *name = in ? "<stdin>" : path;
	FILE *f = in ? stdin : fopen(path, "r");
	char line[LIST_LINE_MAX];
	unsigned no = 0;
	int rc = 0;
	if (f == NULL)
		return -errno;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		size_t l = strlen(line);
		no++;
		if (l == sizeof(line) - 1 && line[l - 1] != '\n') {
			int ch;
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			diag_add(bad, DIAG_ERROR, name, no, "line longer than %d bytes", LIST_LINE_MAX - 2);
			continue;
		}
		char *s = line, *e = line + l;
		while (*s == ' ' || *s == '\t')
			s++;
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			*--e = 0;
		if (*s && *s != '#')
			rc = names_add(ns, s, name, no, bad);
	}
	if (rc == 0 && ferror(f))
		rc = -EIO;
	if (!in)
		fclose(f);
	return rc;
}

/* Hosts waiting for their demo certificate, made CERT_FLUSH at a time on every core. */
struct certs {
	char host[CERT_FLUSH][DNAME_STR_MAX + 8];   /* mta-sts. and the domain */
	const char *hosts[CERT_FLUSH];
	int rc[CERT_FLUSH];
	char err[CERT_FLUSH][CERT_TEXT_MAX];
	size_t n;
};

struct enable_run {
	struct ctl *c;
	struct ctl_progress prog;
	size_t done;
	json_t *errors;       /* --json: the domains or lines that failed */
	struct certs *certs;
	size_t flush;         /* certificates are made after each batch's commit */
};

/* Makes the waiting certificates; a failure is a warning, as for one domain. */
static void certs_flush(struct enable_run *e)
{
	struct certs *k = e->certs;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	for (size_t i = 0; i < k->n; i++)
		k->hosts[i] = k->host[i];
	if (ctl_acme_on(e->c)) {
		/* ACME: queued here, ordered by dnsd under acme.orders-per-hour. */
		for (size_t i = 0; i < k->n; i++)
			if ((k->rc[i] = acme_run_queue(e->c->st, k->host[i], false, false,
			                                 time(NULL))) != 0)
				snprintf(k->err[i], sizeof(k->err[i]), "%s", ls_strerror(k->rc[i]));
	} else {
			cert_bulk_demo_ensure(e->c->state, k->hosts, k->n, cpus > 0 ? (unsigned)cpus : 1,
		                      k->rc, k->err);
	}
	for (size_t i = 0; i < k->n; i++) {
		if (k->rc[i] == 0)
			continue;
		ctl_progress_clear(&e->prog);
		fprintf(stderr, "zonectl: warning: no %s certificate for %s: %s\n",
		        ctl_acme_on(e->c) ? "queued" : "demo", k->host[i],
		        k->err[i]);
	}
	e->done += k->n;
	k->n = 0;
	ctl_progress_step(&e->prog, e->done);
}

static const char *why(int rc, char *buf, size_t len, const char *name)
{
	if (rc == LS_ENOZONE)
		snprintf(buf, len, "no zone holds %s", name);
	else
		snprintf(buf, len, "%s", ls_strerror(rc));
	return buf;
}

static void done(const struct sts_bulk_domain *r, void *arg)
{
	struct enable_run *e = arg;
	char name[DNAME_STR_MAX], text[DNAME_STR_MAX + 64];
	ctl_domain(name, r->domain);
	/* The certificate step is part of the work: a run stopped after a commit and before
	 * the certificate does it when run again (the domain is then already enabled). */
	if (r->rc == 0 || r->rc == LS_EEXIST) {
		struct certs *k = e->certs;
		snprintf(k->host[k->n++], sizeof(k->host[0]), "mta-sts.%s", name);
		if (k->n == e->flush)
			certs_flush(e);
		return;
	} else if (e->c->json) {
		json_array_append_new(e->errors, json_pack("{s:o,s:o,s:o}", "domain",
		                      ctl_json_string(name), "error",
		                      ctl_json_string(why(r->rc, text, sizeof(text), name)),
		                      "messages", ctl_json_diag(r->d)));
	} else {
		ctl_progress_clear(&e->prog);
		diag_print(r->d, stderr);
		fprintf(stderr, "zonectl: mta-sts %s: not enabled: %s\n", name,
		        why(r->rc, text, sizeof(text), name));
	}
	ctl_progress_step(&e->prog, ++e->done);
}

/* The summary: one line, or one JSON object. */
static int summary(struct enable_run *e, size_t domains, size_t bad,
                   const struct sts_bulk_stats *s)
{
	double secs = ctl_progress_seconds(&e->prog);
	ctl_progress_clear(&e->prog);
	if (e->c->json)
		return ctl_json_print(json_pack("{s:I,s:I,s:I,s:I,s:I,s:o}",
		                                "domains", (json_int_t)(domains + bad),
		                                "enabled", (json_int_t)s->enabled,
		                                "already", (json_int_t)s->already,
		                                "failed", (json_int_t)(s->failed + bad),
		                                "milliseconds", (json_int_t)(secs * 1000),
		                                "errors", json_incref(e->errors)));
	printf("mta-sts enable: %zu domains: %zu enabled, %zu already enabled, %zu failed; "
	       "%.2f s\n", domains + bad, s->enabled, s->already, s->failed + bad, secs);
	return EXIT_OK;
}

int cmd_mtasts_enable_bulk(struct ctl *c)
{
	if (c->nargs == 1 && c->list == NULL)
		return cmd_mtasts_enable(c);     /* one domain: the single form and its output */
	struct names ns = { 0 };
	struct sts_settings set;
	struct sts_bulk_stats s = { 0 };
	struct diag bad;
	struct enable_run e = { c, { 0 }, 0, json_array(), calloc(1, sizeof(struct certs)), 0 };
	int rc = 0, ec;
	arena_init(&ns.a);
	diag_init(&bad);
	if (c->nargs == 0 && c->list == NULL) {
		ec = ctl_bulk_usage(c, "give DOMAIN... or --list FILE");
		goto out;
	}
	if ((ec = ctl_sts_settings(c, &set)) != 0)
		goto out;
	for (int i = 0; rc == 0 && i < c->nargs; i++)
		rc = names_add(&ns, c->args[i], NULL, 0, &bad);
	if (rc == 0 && c->list && (rc = read_list(c->list, &ns, &bad)) != 0) {
		ec = ctl_fail(c, rc, "cannot read %s", c->list);
		goto out;
	}
	if (rc || e.errors == NULL || e.certs == NULL) {
		ec = ctl_fail(c, rc ? rc : -ENOMEM, "mta-sts enable");
		goto out;
	}
	if (c->json && bad.n)
		json_array_append_new(e.errors, json_pack("{s:o}", "messages", ctl_json_diag(&bad)));
	else
		diag_print(&bad, stderr);
	if (ns.n && (ec = ctl_open(c, true)) != 0)
		goto out;
	c->bulk = true;
	struct sts_service svc = { c->cfg.sts_service_address, c->cfg.sts_service_cname,
	                           c->cfg.sts_txt_ttl };
	struct sts_bulk o = { &set, &svc, ctl_bulk_batch(), done, NULL, &e };
	e.flush = o.batch && o.batch < CERT_FLUSH ? o.batch : CERT_FLUSH;
	ctl_progress_begin(&e.prog, c, "mta-sts enable", ns.n);
	if (ns.n && (rc = sts_bulk_enable(c->st, ns.v, ns.n, &o, &s)) != 0) {
		ctl_progress_clear(&e.prog);
		ec = ctl_fail(c, rc, "mta-sts enable stopped (batches before this one are committed)");
		goto out;
	}
	certs_flush(&e);
	size_t nbad = bad.errors;
	ec = summary(&e, ns.n, nbad, &s);
	if (ec == EXIT_OK && (s.enabled || s.already) && !c->no_publish)
		ec = ctl_publish(c, 0);
	if (ec == EXIT_OK && (s.failed || nbad))
		ec = EXIT_INPUT;
out:
	json_decref(e.errors);
	free(e.certs);
	diag_free(&bad);
	free(ns.v);
	arena_free(&ns.a);
	return ec;
}
