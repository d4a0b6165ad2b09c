/* zonectl store check, backup and restore: commands on the store as a whole. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/util/pidfile.h"
#include "shared/store/store_check.h"
#include "shared/store/store_copy.h"
#include "shared/util/err.h"

/* The lock files the daemons hold while they run (flock), in the state directory. */
static const char *const daemon_locks[][2] = {
	{ "dnsd", "dnsd.lock" },
	{ "httpsd", "httpsd.lock" },
};

/* Records per table as text lines, or as a JSON object. */
static void print_tables(const struct store_check *r)
{
	printf("  %-12s %llu\n", "tables", (unsigned long long)r->tables);
	for (int i = 0; i < STORE_NDB; i++)
		printf("  %-12s %llu\n", store_db_name((enum store_db)i),
		       (unsigned long long)r->records[i]);
}

static json_t *json_tables(const struct store_check *r)
{
	json_t *o = json_object();
	for (int i = 0; o && i < STORE_NDB; i++)
		json_object_set_new(o, store_db_name((enum store_db)i), json_integer((json_int_t)r->records[i]));
	return o;
}

/* The problem a check found, on stderr or as {"error","table","problem"}; EXIT_STORE. */
static int report_damage(struct ctl *c, const char *what, const struct store_check *r)
{
	if (c->json) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s is damaged", what);
		ctl_json_print(json_pack("{s:o,s:o,s:o}", "error", ctl_json_string(msg),
		                         "table", ctl_json_string(r->table),
		                         "problem", ctl_json_string(r->problem)));
	} else {
		fprintf(stderr, "zonectl: %s is damaged: table \"%s\": %s\n", what, r->table,
		        r->problem);
	}
	return EXIT_STORE;
}

int cmd_store_check(struct ctl *c)
{
	struct store_check r;
	int rc = store_check(c->state, &r);
	if (rc == -ENOENT)
		return ctl_no_store(c);
	if (rc == LS_ECORRUPT && r.open_err == 0) {
		int ec = report_damage(c, "the store", &r);
		if (!c->json)
			fprintf(stderr, "zonectl: `zonectl restore --force FILE` puts a backup in "
			        "place of it\n");
		return ec;
	}
	if (rc)
		return ctl_store_fail(c, rc, "cannot check the store in %s", c->state);
	if (c->json)
		return ctl_json_print(json_pack("{s:b,s:I,s:I,s:o}", "sound", 1,
		                                "pages", (json_int_t)r.pages,
		                                "page_size", (json_int_t)r.page_size,
		                                "records", json_tables(&r)));
	printf("store %s is sound: %llu pages of %llu bytes, every record decoded\n", c->state,
	       (unsigned long long)r.pages, (unsigned long long)r.page_size);
	print_tables(&r);
	return EXIT_OK;
}

int cmd_backup(struct ctl *c)
{
	const char *path = c->args[0];
	struct stat sb;
	int rc = ctl_open(c, false);
	if (rc)
		return rc;
	c->writing = path;
	if ((rc = store_copy_backup(c->st, path)) != 0)
		return ctl_fail(c, rc, "cannot write the backup %s", path);
	if (stat(path, &sb) != 0)
		return ctl_fail(c, -errno, "cannot write the backup %s", path);
	if (c->json)
		return ctl_json_print(json_pack("{s:o,s:I}", "backup", ctl_json_string(path),
		                                "bytes", (json_int_t)sb.st_size));
	printf("backup %s written: %lld bytes\n", path, (long long)sb.st_size);
	return EXIT_OK;
}

int cmd_restore(struct ctl *c)
{
	const char *file = c->args[0];
	char data[4200];
	struct store_check r;
	struct stat sb;
	pid_t holder, pid;
	for (size_t i = 0; i < sizeof(daemon_locks) / sizeof(daemon_locks[0]); i++) {
		char lock[4200];
		snprintf(lock, sizeof(lock), "%s/%s", c->state, daemon_locks[i][1]);
		int rc = pidfile_held(lock, &pid);
		if (rc < 0)
			return ctl_fail(c, rc, "cannot look at %s", lock);
		if (rc > 0 && pid > 0)
			return ctl_fail_msg(c, EXIT_CONFLICT, "%s (PID %ld) is running on %s; stop it "
			                    "before a restore", daemon_locks[i][0], (long)pid, c->state);
		if (rc > 0)
			return ctl_fail_msg(c, EXIT_CONFLICT, "%s is running on %s (it holds %s); stop it "
			                    "before a restore", daemon_locks[i][0], c->state,
			                    daemon_locks[i][1]);
	}
	if (stat(file, &sb) != 0)
		return ctl_fail(c, -errno, "cannot read %s", file);
	if (!S_ISREG(sb.st_mode))
		return ctl_fail_msg(c, EXIT_INPUT, "%s is not a regular file", file);
	snprintf(data, sizeof(data), "%s/data.mdb", c->state);
	if (!c->force && stat(data, &sb) == 0)
		return ctl_fail_msg(c, EXIT_CONFLICT, "there is a store in %s already; `zonectl restore "
		                    "--force FILE` replaces it (`zonectl backup FILE` keeps a copy)",
		                    c->state);
	int rc = store_copy_restore(c->state, file, &r, &holder);
	if (rc == -EBUSY)
		return ctl_fail_msg(c, EXIT_CONFLICT, "the store in %s is open in process %ld; stop it "
		                    "before a restore", c->state, (long)holder);
	if (rc == LS_ECORRUPT && r.open_err == 0)
		return ctl_fail_msg(c, EXIT_INPUT, "%s is not a sound Lockstep store: table \"%s\": %s; "
		                    "nothing changed", file, r.table, r.problem);
	if (rc == LS_ECORRUPT || rc == LS_ETRUNCATED || rc == -EPROTO)
		return ctl_fail_msg(c, EXIT_INPUT, "%s is not a sound Lockstep store: %s; nothing "
		                    "changed", file, ls_strerror(rc));
	if (rc)
		return ctl_fail(c, rc, "cannot restore %s into %s", file, c->state);
	if (c->json)
		return ctl_json_print(json_pack("{s:o,s:o,s:o}", "restored", ctl_json_string(file),
		                                "state", ctl_json_string(c->state),
		                                "records", json_tables(&r)));
	printf("restored %s into %s\n", file, c->state);
	print_tables(&r);
	return EXIT_OK;
}
