/* zonectl zone edit: the zone in $EDITOR, applied as one commit, or refused and kept. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/util/err.h"
#include "shared/store/zone_walk.h"
#include "shared/util/file.h"

#define EDIT_ROUNDS 10   /* times an operator may go back to the editor */

static int run_editor(const char *path)
{
	const char *ed = getenv("VISUAL");
	if (ed == NULL || *ed == 0)
		ed = getenv("EDITOR");
	if (ed == NULL || *ed == 0)
		ed = "vi";
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* Through the shell, so EDITOR may carry arguments ("code -w"). */
		execl("/bin/sh", "sh", "-c", "eval \"$0 \\\"\\$1\\\"\"", ed, path, (char *)NULL);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECANCELED;
}

static bool ask_again(void)
{
	if (!isatty(0))
		return false;
	fprintf(stderr, "Edit again? [y/N] ");
	char answer[16];
	return fgets(answer, sizeof(answer), stdin) && (answer[0] == 'y' || answer[0] == 'Y');
}

/* The zone in a new 0600 temporary file (the zone may hold what others should not read), and
 * the serial it was exported at; path gets the file's name. Prints why it cannot. */
static int export_for_edit(struct ctl *c, const uint8_t *apex, char *path, size_t cap,
                           uint32_t *serial)
{
	char zone[DNAME_STR_MAX];
	struct store_txn t;
	struct zone_info z;
	int rc, fd = -1;
	if ((rc = store_begin(c->st, false, 0, &t)) != 0)
		return ctl_fail(c, rc, "cannot read the store");
	rc = zone_get(&t, apex, &z);
	if (rc == 0)
		rc = zone_serial(&t, &z, serial);
	const char *tmpdir = getenv("TMPDIR");
	snprintf(path, cap, "%s/zonectl-edit-XXXXXX.zone", tmpdir && *tmpdir ? tmpdir : "/tmp");
	fd = rc ? -1 : mkstemps(path, 5);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (rc == 0 && f == NULL)
		rc = -errno;
	if (rc == 0)
		rc = zone_export(&t, &z, f);
	if (f)
		fclose(f);
	store_abort(&t);
	if (rc && fd >= 0)
		unlink(path);
	return rc ? ctl_fail(c, rc, "zone %s", dname_format(zone, apex)) : 0;
}

/*
 * The edited text, applied as a full replacement if the zone is still at serial. Returns
 * 0 or LS_ENOCHANGE when done (shown, published), else the error (messages in c->d).
 */
static int apply_edit(struct ctl *c, const uint8_t *apex, const char *path, const char *text,
                      size_t len, uint32_t serial, int *ec)
{
	struct zonefile zf;
	struct zone_result res;
	zonefile_init(&zf);
	memset(&res, 0, sizeof(res));
	int rc = zonefile_read_mem(&zf, path, text, len, apex, c->cfg.default_ttl, &c->d);
	/* With syntax errors, still validate what parsed: the operator sees every problem. */
	int orc = zone_ops_import(c->st, &zf, rc ? ZONE_TXN_CHECK : 0, c->policy, &serial,
	                          "zonectl zone edit", &c->d, &res);
	if (rc == 0)
		rc = orc;
	if (rc == 0 || rc == LS_ENOCHANGE)
		*ec = ctl_publish_after(c, ctl_result(c, apex, rc, &res), rc, &res);
	zone_result_free(&res);
	zonefile_free(&zf);     /* after the result, which points into it */
	return rc;
}

int cmd_zone_edit(struct ctl *c)
{
	uint8_t apex[DNAME_MAX];
	char zone[DNAME_STR_MAX], p[4096];
	char *before = NULL, *after = NULL;
	size_t blen = 0, alen = 0;
	uint32_t serial;
	int rc, ec = EXIT_OK;
	bool keep = true;
	if (ctl_zone_name(c, c->args[0], apex))
		return EXIT_USAGE;
	dname_format(zone, apex);
	if ((rc = ctl_open(c, true)) != 0)
		return rc;
	/* Read the zone, then let go of the store while the operator edits. */
	if ((rc = export_for_edit(c, apex, p, sizeof(p), &serial)) != 0)
		return rc;
	if ((rc = file_read(p, ZONEFILE_MAX, FILE_REGULAR, &before, &blen)) != 0)
		goto fail;
	for (int round = 0; round < EDIT_ROUNDS; round++) {
		if ((rc = run_editor(p)) != 0) {
			ec = ctl_fail(c, rc, "the editor failed; zone %s unchanged", zone);
			keep = round > 0;
			goto out;
		}
		file_free(after, alen, 0);
		after = NULL;
		if ((rc = file_read(p, ZONEFILE_MAX, FILE_REGULAR, &after, &alen)) != 0)
			goto fail;
		if (alen == blen && memcmp(before, after, alen) == 0) {
			struct zone_result none = { 0 };
			ec = ctl_result(c, apex, LS_ENOCHANGE, &none);
			keep = false;
			goto out;
		}
		rc = apply_edit(c, apex, p, after, alen, serial, &ec);
		if (rc == 0 || rc == LS_ENOCHANGE) {
			keep = false;
			goto out;
		}
		if (rc == LS_ECONFLICT) {
			ec = ctl_fail(c, rc, "zone %s changed while you edited (serial was %u); your edit "
			              "is kept in %s", zone, serial, p);
			goto out;
		}
		if ((rc != LS_EPARSE && rc != LS_EINVAL_ZONE) || round + 1 == EDIT_ROUNDS ||
		    !ask_again())
			goto fail;
		diag_sort(&c->d);
		diag_print(&c->d, stderr);
		diag_truncate(&c->d, 0, 0, 0);
	}
fail:
	ec = ctl_fail(c, rc, "zone %s unchanged; your edit is kept in %s", zone, p);
out:
	if (!keep)
		unlink(p);
	file_free(before, blen, 0);
	file_free(after, alen, 0);
	return ec;
}
