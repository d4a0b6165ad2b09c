/* zonectl zone list|add|import|export|del|history, and check-config. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/util/err.h"
#include "shared/store/history.h"
#include "shared/store/zone_walk.h"

int cmd_check_config(struct ctl *c)
{
	if (c->json)
		return ctl_json_print(json_pack("{s:b,s:o,s:o,s:o}", "ok", 1,
		                                "path", ctl_json_string(c->cfg.path),
		                                "state_dir", ctl_json_string(c->state),
		                                "messages", ctl_json_diag(&c->d)));
	/* stdout is a configuration file of its own; the verdict goes to stderr. */
	printf("# %s\n", c->cfg.path ? c->cfg.path : "no configuration file: built-in defaults");
	config_print(&c->cfg, stdout);
	fflush(stdout);
	fprintf(stderr, "configuration OK\n");
	return EXIT_OK;
}

int cmd_zone_list(struct ctl *c)
{
	struct store_txn t;
	struct zone_info *zones = NULL;
	struct ctl_out o;
	size_t n = 0;
	char name[DNAME_STR_MAX], t2[32];
	int rc = ctl_read(c, &t);
	if (rc)
		return rc;
	if ((rc = zone_list(&t, &zones, &n)) != 0) {
		store_abort(&t);
		return ctl_fail(c, rc, "cannot list zones");
	}
	ctl_out_list_begin(&o, c, "zones");
	for (size_t i = 0; i < n; i++) {
		uint32_t serial = 0;
		zone_serial(&t, &zones[i], &serial);
		dname_format(name, zones[i].apex);
		if (c->json)
			ctl_out_item(&o, json_pack("{s:o,s:I,s:I,s:s,s:o,s:o}", "name",
			                           ctl_json_string(name), "serial", (json_int_t)serial,
			                           "records", (json_int_t)zones[i].records,
			                           "serial_policy", serial_policy_name(zones[i].policy),
			                           "created", ctl_json_time(zones[i].created),
			                           "modified", ctl_json_time(zones[i].modified)));
		else
			printf("%-30s serial %-10u %8llu records  modified %s\n", name, serial,
			       (unsigned long long)zones[i].records,
			       ctl_time(zones[i].modified, t2, sizeof(t2)));
	}
	free(zones);
	return ctl_list_done(&o, &t, 0, NULL);
}

static int import_file(struct ctl *c, const char *path, const uint8_t *origin, unsigned flags,
                       const char *source)
{
	struct zonefile zf;
	struct zone_result res;
	char zone[DNAME_STR_MAX];
	int rc;
	zonefile_init(&zf);
	int orc = zonefile_read(&zf, path, origin, c->cfg.default_ttl, &c->d);
	if (orc && !(orc == LS_EPARSE && zf.have_apex)) {
		rc = ctl_fail(c, orc, "%s: not imported", path);
		goto out;
	}
	if ((rc = ctl_open(c, true)) != 0)
		goto out;
	dname_format(zone, zf.apex);
	if (orc) {
		/* Syntax errors: still validate what did parse, so one run shows every error. */
		zone_ops_import(c->st, &zf, flags | ZONE_TXN_CHECK, c->policy, NULL, source, &c->d, &res);
		zone_result_free(&res);
		rc = ctl_fail(c, orc, "%s: not imported", path);
		goto out;
	}
	orc = zone_ops_import(c->st, &zf, flags, c->policy, NULL, source, &c->d, &res);
	if (orc == LS_EEXIST)
		rc = ctl_fail(c, orc, "zone %s exists (zonectl zone import replaces it)", zone);
	else
		rc = ctl_publish_after(c, ctl_result(c, zf.apex, orc, &res), orc, &res);
	zone_result_free(&res);
out:
	zonefile_free(&zf);
	return rc;
}

int cmd_zone_import(struct ctl *c)
{
	uint8_t origin[DNAME_MAX];
	if (c->nargs == 0 && c->dir == NULL)
		return ctl_bulk_usage(c, "give FILE... or --dir DIR");
	if (c->nargs > 1 || c->dir)
		return cmd_zone_import_bulk(c);
	if (c->origin && ctl_zone_name(c, c->origin, origin))
		return EXIT_USAGE;
	return import_file(c, c->args[0], c->origin ? origin : NULL, ZONE_TXN_CREATE,
	                   "zonectl zone import");
}

int cmd_zone_add(struct ctl *c)
{
	uint8_t apex[DNAME_MAX];
	struct zone_result res;
	if (ctl_zone_name(c, c->args[0], apex))
		return EXIT_USAGE;
	if ((c->from != NULL) == (c->nns > 0)) {
		fprintf(stderr, "zonectl: give either --from FILE or --ns NAME (repeatable)\n");
		return EXIT_USAGE;
	}
	if (c->from)
		return import_file(c, c->from, apex, ZONE_TXN_CREATE | ZONE_TXN_EXCL, "zonectl zone add");
	int rc = ctl_open(c, true);
	if (rc)
		return rc;
	rc = zone_ops_create(c->st, apex, c->ns, c->nns, c->policy, c->cfg.default_ttl,
	                     "zonectl zone add", &c->d, &res);
	char zone[DNAME_STR_MAX];
	if (rc == LS_EEXIST)
		rc = ctl_fail(c, rc, "zone %s", dname_format(zone, apex));
	else
		rc = ctl_result(c, apex, rc, &res);
	zone_result_free(&res);
	return rc;
}

/* Writes through a temporary file and renames it, so a reader never sees half a zone. */
static int export_to(struct ctl *c, struct store_txn *t, const struct zone_info *z)
{
	if (c->output == NULL || strcmp(c->output, "-") == 0) {
		int rc = zone_export(t, z, stdout);
		return rc ? ctl_fail(c, rc, "export failed") : EXIT_OK;
	}
	size_t len = strlen(c->output) + 16;
	char *tmp = malloc(len);
	if (tmp == NULL)
		return ctl_fail(c, -ENOMEM, "export failed");
	snprintf(tmp, len, "%s.XXXXXX", c->output);
	int fd = mkstemp(tmp), rc = 0;
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f == NULL) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		goto fail;
	}
	fchmod(fd, 0644);
	rc = zone_export(t, z, f);
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (fclose(f) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, c->output) != 0)
		rc = -errno;
fail:
	if (rc) {
		unlink(tmp);
		c->writing = c->output;
		rc = ctl_fail(c, rc, "cannot write %s", c->output);
	}
	free(tmp);
	return rc;
}

int cmd_zone_export(struct ctl *c)
{
	struct store_txn t;
	struct zone_info z;
	int rc = ctl_read_zone(c, &t, &z);
	if (rc)
		return rc;
	rc = export_to(c, &t, &z);
	store_abort(&t);
	return rc;
}

int cmd_zone_del(struct ctl *c)
{
	uint8_t apex[DNAME_MAX];
	char zone[DNAME_STR_MAX];
	if (ctl_zone_name(c, c->args[0], apex))
		return EXIT_USAGE;
	int rc = ctl_open(c, true);
	if (rc)
		return rc;
	rc = zone_ops_delete(c->st, apex);
	dname_format(zone, apex);
	if (rc)
		return ctl_fail(c, rc, "zone %s not deleted", zone);
	if (c->json)
		return ctl_json_print(json_pack("{s:o,s:b}", "zone", ctl_json_string(zone),
		                                "deleted", 1));
	printf("zone %s deleted\n", zone);
	return EXIT_OK;
}

static int show_history(const struct history_entry *e, void *arg)
{
	struct ctl_out *o = arg;
	char when[32];
	if (!o->c->json) {
		printf("%s  serial %u -> %u  -%u +%u  %s\n", ctl_time(e->time, when, sizeof(when)),
		       e->old_serial, e->new_serial, e->ndel, e->nadd, e->source);
		ctl_out_item(o, NULL);      /* counted: no history is exit 3 */
		return 0;
	}
	ctl_out_item(o, json_pack("{s:I,s:o,s:I,s:I,s:I,s:I,s:o}", "seq", (json_int_t)e->seq,
	                          "time", ctl_json_time(e->time),
	                          "serial_old", (json_int_t)e->old_serial,
	                          "serial", (json_int_t)e->new_serial,
	                          "removed", (json_int_t)e->ndel, "added", (json_int_t)e->nadd,
	                          "source", ctl_json_string(e->source)));
	return 0;
}

int cmd_zone_history(struct ctl *c)
{
	uint8_t apex[DNAME_MAX];
	struct store_txn t;
	struct ctl_out o;
	if (ctl_zone_name(c, c->args[0], apex))
		return EXIT_USAGE;
	int rc = ctl_read(c, &t);
	if (rc)
		return rc;
	ctl_out_list_begin(&o, c, "history");
	rc = history_list(&t, apex, show_history, &o);
	if ((rc = ctl_list_done(&o, &t, rc, "cannot read the history")) != EXIT_OK)
		return rc;
	if (o.n == 0) {
		char zone[DNAME_STR_MAX];
		if (!c->json)
			fprintf(stderr, "zonectl: no history for zone %s\n", dname_format(zone, apex));
		return EXIT_NOTFOUND;
	}
	return EXIT_OK;
}
