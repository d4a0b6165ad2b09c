/* zonectl zone import FILE... | --dir DIR: many zone files in one run, one summary line. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/util/err.h"
#include "shared/store/zone_bulk.h"

#define ZONE_SUFFIX ".zone"

/* The paths to import: owned array of owned strings. */
struct paths {
	char **v;
	size_t n, cap;
};

static int paths_add(struct paths *p, const char *dir, const char *name)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		char **v = realloc(p->v, cap * sizeof(*v));
		if (v == NULL)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	size_t len = (dir ? strlen(dir) + 1 : 0) + strlen(name) + 1;
	if ((p->v[p->n] = malloc(len)) == NULL)
		return -ENOMEM;
	snprintf(p->v[p->n++], len, "%s%s%s", dir ? dir : "", dir ? "/" : "", name);
	return 0;
}

static void paths_free(struct paths *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
}

/* "*.zone" as the shell has it: not hidden, the suffix after at least one character. */
static int zone_name(const struct dirent *e)
{
	size_t n = strlen(e->d_name), s = strlen(ZONE_SUFFIX);
	return e->d_name[0] != '.' && n > s && strcmp(e->d_name + n - s, ZONE_SUFFIX) == 0;
}

/* Byte order, whatever the locale, so two machines import in the same order. */
static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every regular *.zone file directly in dir, sorted; 0 or -errno. */
static int list_dir(const char *dir, struct paths *p)
{
	struct dirent **v;
	struct stat sb;
	int n = scandir(dir, &v, zone_name, by_name), rc = 0;
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		size_t before = p->n;
		if (rc == 0)
			rc = paths_add(p, dir, v[i]->d_name);
		/* Not recursive: a directory called x.zone is not a zone file. */
		if (rc == 0 && (stat(p->v[before], &sb) != 0 || !S_ISREG(sb.st_mode)))
			free(p->v[--p->n]);
		free(v[i]);
	}
	free(v);
	return rc;
}

struct import_run {
	struct ctl *c;
	struct ctl_progress prog;
	json_t *failed;       /* --json: the files that failed */
};

static void done(const struct zone_bulk_file *f, void *arg)
{
	struct import_run *r = arg;
	if (r->c->json) {
		if (f->rc != 0 && f->rc != LS_ENOCHANGE)
			json_array_append_new(r->failed, json_pack("{s:o,s:o,s:o}", "file",
			                      ctl_json_string(f->path), "error",
			                      ctl_json_string(ls_strerror(f->rc)),
			                      "messages", ctl_json_diag(f->d)));
		return;
	}
	if (f->d->n == 0 && (f->rc == 0 || f->rc == LS_ENOCHANGE))
		return;
	ctl_progress_clear(&r->prog);
	diag_print(f->d, stderr);     /* FILE:LINE: what is wrong */
	if (f->rc != 0 && f->rc != LS_ENOCHANGE)
		fprintf(stderr, "zonectl: %s: not imported: %s\n", f->path, ls_strerror(f->rc));
}

static void progress(size_t staged, size_t total, void *arg)
{
	ctl_progress_step(&((struct import_run *)arg)->prog, staged);
}

/* The summary: one line, or one JSON object. */
static int summary(struct import_run *r, size_t files, const struct zone_bulk_stats *s)
{
	double secs = ctl_progress_seconds(&r->prog);
	ctl_progress_clear(&r->prog);
	if (r->c->json)
		return ctl_json_print(json_pack("{s:I,s:I,s:I,s:I,s:I,s:b,s:I,s:o}",
		                                "files", (json_int_t)files,
		                                "imported", (json_int_t)s->imported,
		                                "unchanged", (json_int_t)s->unchanged,
		                                "failed", (json_int_t)s->failed,
		                                "records", (json_int_t)s->records,
		                                "committed", s->failed == 0 || !r->c->all_or_nothing,
		                                "milliseconds", (json_int_t)(secs * 1000), "errors", json_incref(r->failed)));
	if (r->c->all_or_nothing && s->failed)
		printf("zone import: %zu files: nothing imported (--all-or-nothing), %zu failed; "
		       "%.2f s\n", files, s->failed, secs);
	else
		printf("zone import: %zu files: %zu imported, %zu unchanged, %zu failed; %zu records; "
		       "%.2f s\n", files, s->imported, s->unchanged, s->failed, s->records, secs);
	return EXIT_OK;
}

int cmd_zone_import_bulk(struct ctl *c)
{
	struct paths p = { 0 };
	struct import_run r = { c, { 0 }, json_array() };
	struct zone_bulk_stats s;
	int rc = 0, ec;
	if (c->origin) {
		ec = ctl_bulk_usage(c, "--origin names one zone: give one FILE with it");
		goto out;
	}
	for (int i = 0; rc == 0 && i < c->nargs; i++)
		rc = paths_add(&p, NULL, c->args[i]);
	if (rc == 0 && c->dir && (rc = list_dir(c->dir, &p)) != 0) {
		ec = ctl_fail(c, rc, "cannot read the directory %s", c->dir);
		goto out;
	}
	if (rc || r.failed == NULL) {
		ec = ctl_fail(c, rc ? rc : -ENOMEM, "zone import");
		goto out;
	}
	if (p.n == 0) {
		ec = ctl_fail_msg(c, EXIT_NOTFOUND, "no *%s files in %s", ZONE_SUFFIX, c->dir);
		goto out;
	}
	if ((ec = ctl_open(c, true)) != 0)
		goto out;
	c->bulk = true;
	struct zone_bulk o = { c->policy, c->cfg.default_ttl, "zonectl zone import", 0,
	                       c->all_or_nothing, done, progress, &r };
	o.batch = ctl_bulk_batch();
	ctl_progress_begin(&r.prog, c, "zone import", p.n);
	rc = zone_bulk_import(c->st, p.v, p.n, &o, &s);
	if (rc) {
		ctl_progress_clear(&r.prog);
		ec = ctl_fail(c, rc, "zone import stopped (batches before this one are committed)");
		goto out;
	}
	ec = summary(&r, p.n, &s);
	/* Zones that were replaced may hold MTA-STS domains whose MX changed. */
	if (ec == EXIT_OK && s.replaced && !c->no_publish)
		ec = ctl_publish(c, 0);
	if (ec == EXIT_OK && s.failed)
		ec = EXIT_INPUT;
out:
	json_decref(r.failed);
	paths_free(&p);
	return ec;
}
