/* zonectl tlsrpt ingest|import|summary|list|show|reparse: SMTP TLS reports (RFC 8460). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dnsd/zonectl/mime_run.h"
#include "dnsd/zonectl/zonectl.h"
#include "shared/util/err.h"
#include "shared/util/file.h"
#include "shared/rpt/tlsrpt_gzip.h"
#include "shared/rpt/tlsrpt_import.h"
#include "shared/rpt/tlsrpt_spool.h"
#include "shared/rpt/tlsrpt_store.h"
#include "shared/rpt/tlsrpt_summary.h"

/* sysexits(3), what an MTA's pipe transport understands. */
#define EXIT_DATAERR 65     /* the message holds no report: do not retry */
#define EXIT_TEMPFAIL 75    /* try again later */
#define MAIL_OVERHEAD (1u << 20)   /* headers and other parts beside the report */
#define DAYS_DEFAULT 14
#define DAYS_MAX 36500

/* A bad argument: said with the command's usage line. */
static int usage(struct ctl *c, const char *fmt, const char *arg)
{
	fprintf(stderr, "zonectl: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: zonectl %s %s\n", c->cmd->name, c->cmd->usage);
	return EXIT_USAGE;
}

int cmd_tlsrpt_ingest(struct ctl *c)
{
	uint8_t *msg = NULL, *part = NULL;
	size_t len = 0, plen;
	char domain[256] = "", why[TLSRPT_WHY_MAX], err[PATH_MAX + 256];
	size_t max = c->cfg.tlsrpt_max_size;
	int rc, ec = EXIT_OK;
	if (c->domain) {
		uint8_t name[DNAME_MAX];
		if (ctl_zone_name(c, c->domain, name) != 0 || !dname_is_hostname(name))
			return usage(c, "--domain '%s' is not a domain name", c->domain);
		snprintf(domain, sizeof(domain), "%s", c->domain);
		for (char *p = domain; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		size_t n = strlen(domain);
		if (n > 1 && domain[n - 1] == '.')
			domain[n - 1] = 0;
	}
	/* base64 makes a part 4/3 its size. */
	if ((rc = file_read_fd(STDIN_FILENO, max / 3 * 4 + MAIL_OVERHEAD, (char **)&msg, &len)) != 0) {
		if (rc == LS_ETOOBIG) {
			fprintf(stderr, "zonectl: tlsrpt ingest: message larger than tlsrpt.max-size "
			                "allows (%zu bytes of report)\n", max);
			return EXIT_DATAERR;
		}
		fprintf(stderr, "zonectl: tlsrpt ingest: cannot read the message: %s\n",
		        ls_strerror(rc));
		return EXIT_TEMPFAIL;
	}
	/* GMime is loaded only here, in a helper: every other zonectl run starts without it. */
	rc = mime_run_find(msg, len, max, &part, &plen, err, sizeof(err));
	if (rc == LS_ENOTFOUND || rc == LS_ETOOBIG) {
		fprintf(stderr, "zonectl: tlsrpt ingest: %s\n", rc == LS_ENOTFOUND ?
		        "the message holds no application/tlsrpt+gzip or +json part" :
		        "the report is larger than tlsrpt.max-size");
		ec = EXIT_DATAERR;
		goto out;
	}
	if (rc) {
		fprintf(stderr, "zonectl: tlsrpt ingest: %s\n", err);
		ec = EXIT_TEMPFAIL;
		goto out;
	}
	rc = tlsrpt_import_check(part, plen, c->cfg.tlsrpt_max_expanded, why, sizeof(why));
	if (rc == LS_EPARSE || rc == LS_ETOOBIG) {
		fprintf(stderr, "zonectl: tlsrpt ingest: not a TLS report: %s\n", why);
		ec = EXIT_DATAERR;
		goto out;
	}
	if (rc == 0)
		rc = tlsrpt_spool_put(c->state, domain[0] ? domain : NULL, part, plen);
	if (rc) {
		fprintf(stderr, "zonectl: tlsrpt ingest: cannot spool the report in %s/"
		        TLSRPT_SPOOL_DIR ": %s\n", c->state, ls_strerror(rc));
		ec = EXIT_TEMPFAIL;
	}
out:
	free(part);
	free(msg);
	return ec;
}

int cmd_tlsrpt_import(struct ctl *c)
{
	struct tlsrpt_spool_result res;
	int rc = ctl_open(c, true);
	if (rc)
		return rc;
	rc = tlsrpt_import_spool(c->st, c->state, c->cfg.tlsrpt_max_size,
	                         c->cfg.tlsrpt_max_expanded, &res);
	if (res.rejected)
		fprintf(stderr, "zonectl: tlsrpt import: %zu report%s moved to %s/" TLSRPT_SPOOL_DIR
		        "/bad (last: %s)\n", res.rejected, res.rejected == 1 ? "" : "s", c->state,
		        res.last_reject);
	if (rc)
		return ctl_fail(c, rc, "tlsrpt import (the reports stay in the spool)");
	if (c->json)
		return ctl_json_print(json_pack("{s:I,s:I,s:I}", "imported", (json_int_t)res.imported,
		                                "duplicates", (json_int_t)res.duplicates,
		                                "rejected", (json_int_t)res.rejected));
	printf("%zu imported, %zu duplicates, %zu rejected\n", res.imported, res.duplicates,
	       res.rejected);
	return EXIT_OK;
}

/* The domain argument in the store's form: lower case, no trailing dot. */
static void domain_arg(const char *arg, char *out, size_t cap)
{
	snprintf(out, cap, "%s", arg);
	for (char *p = out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	size_t n = strlen(out);
	if (n > 1 && out[n - 1] == '.')
		out[n - 1] = 0;
}

static void print_counts(FILE *out, const char *title, json_t *obj)
{
	const char *k;
	json_t *v;
	if (json_object_size(obj) == 0)
		return;
	fprintf(out, "    %s:", title);
	json_object_foreach(obj, k, v)
		fprintf(out, " %s=%lld", k, (long long)json_integer_value(v));
	fprintf(out, "\n");
}

/* The text form of a summary; returns how many domains it held. */
static size_t print_summary(FILE *out, json_t *sum)
{
	size_t i, k;
	json_t *d, *day;
	json_array_foreach(json_object_get(sum, "domains"), i, d) {
		fprintf(out, "%s\n", json_string_value(json_object_get(d, "domain")));
		json_array_foreach(json_object_get(d, "days"), k, day) {
			json_int_t ok = json_integer_value(json_object_get(day, "successful"));
			json_int_t bad = json_integer_value(json_object_get(day, "failed"));
			json_int_t diff = json_integer_value(json_object_get(day, "difference"));
			fprintf(out, "  %s  reports %lld from %zu organisations, sessions %lld ok %lld failed "
			       "(%.2f%%)", json_string_value(json_object_get(day, "day")),
			       (long long)json_integer_value(json_object_get(day, "reports")),
			       json_array_size(json_object_get(day, "organizations")), (long long)ok,
			       (long long)bad, ok + bad ? 100.0 * (double)bad / (double)(ok + bad) : 0.0);
			if (diff)
				fprintf(out, ", details differ from the totals by %lld", (long long)diff);
			json_int_t older = json_integer_value(json_object_get(day, "older_policy_sessions"));
			json_int_t unknown = json_integer_value(json_object_get(day,
			                                        "unknown_policy_sessions"));
			if (older)
				fprintf(out, ", %lld with an older policy", (long long)older);
			if (unknown)
				fprintf(out, ", %lld with an unknown policy", (long long)unknown);
			fprintf(out, "\n");
			print_counts(out, "result types", json_object_get(day, "result_types"));
			print_counts(out, "mx", json_object_get(day, "mx"));
			print_counts(out, "sending ips", json_object_get(day, "sending_ips"));
		}
	}
	return json_array_size(json_object_get(sum, "domains"));
}

int cmd_tlsrpt_summary(struct ctl *c)
{
	struct store_txn t;
	char domain[TLSRPT_DOMAIN_MAX];
	unsigned long days = DAYS_DEFAULT;
	json_t *sum;
	if (c->days) {
		char *end;
		errno = 0;
		days = strtoul(c->days, &end, 10);
		if (errno || *end || end == c->days || days < 1 || days > DAYS_MAX)
			return usage(c, "--days '%s' is not a number of days from 1 to 36500", c->days);
	}
	if (c->nargs)
		domain_arg(c->args[0], domain, sizeof(domain));
	int rc = ctl_read(c, &t);
	if (rc)
		return rc;
	int32_t from = tlsrpt_summary_day(time(NULL)) - (int32_t)days + 1;
	rc = tlsrpt_summary_get(&t, c->nargs ? domain : NULL, from, &sum);
	store_abort(&t);
	if (rc)
		return ctl_fail(c, rc, "cannot read the TLS reports");
	if (c->json)
		return ctl_json_print(sum);
	if (print_summary(stdout, sum) == 0)
		printf("no TLS reports in the last %lu days\n", days);
	json_decref(sum);
	return EXIT_OK;
}

int ctl_tlsrpt_enforce(struct ctl *c, const uint8_t *name)
{
	struct store_txn t;
	struct tlsrpt_enforce v;
	char text[DNAME_STR_MAX], domain[TLSRPT_DOMAIN_MAX];
	json_t *sum = NULL;
	domain_arg(dname_format(text, name), domain, sizeof(domain));
	int32_t from = tlsrpt_summary_day(time(NULL)) - TLSRPT_ENFORCE_DAYS + 1;
	int rc = store_begin(c->st, false, 0, &t);
	if (rc == 0 && (rc = tlsrpt_summary_enforce(&t, domain, from, &v)) == 0)
		rc = tlsrpt_summary_get(&t, domain, from, &sum);
	store_abort(&t);
	if (rc)
		return ctl_fail(c, rc, "cannot read the TLS reports of %s", domain);
	/* The summary goes to standard error: standard output stays the command's own. */
	if (v.reports)
		fprintf(stderr, "TLS reports of the last %d days:\n", TLSRPT_ENFORCE_DAYS);
	print_summary(stderr, sum);
	json_decref(sum);
	if (v.reports == 0) {
		fprintf(stderr, "zonectl: warning: no TLS reports for %s in the last %d days: nothing "
		        "says senders can use the policy\n", domain, TLSRPT_ENFORCE_DAYS);
		return 0;
	}
	if (v.blocking == 0 || c->force) {
		if (v.blocking)
			fprintf(stderr, "zonectl: warning: --force: %llu failed sessions would bounce "
			        "under enforce (%s)\n", (unsigned long long)v.blocking, v.why);
		return 0;
	}
	return ctl_fail_msg(c, EXIT_CONFLICT, "%s: not switched to enforce: the TLS reports of the "
	                    "last %d days show %llu failed sessions enforce would turn into "
	                    "bounces, e.g. %s; fix them, or give --force", domain,
	                    TLSRPT_ENFORCE_DAYS, (unsigned long long)v.blocking, v.why);
}

static void print_date(int64_t t)
{
	char text[32];
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%s", text);
}

int cmd_tlsrpt_list(struct ctl *c)
{
	struct store_txn t;
	char domain[TLSRPT_DOMAIN_MAX];
	json_t *list, *r;
	size_t i;
	domain_arg(c->args[0], domain, sizeof(domain));
	int rc = ctl_read(c, &t);
	if (rc)
		return rc;
	rc = tlsrpt_summary_list(&t, domain, &list);
	store_abort(&t);
	if (rc)
		return ctl_fail(c, rc, "cannot read the TLS reports");
	if (c->json)
		return ctl_json_print(list);
	json_array_foreach(json_object_get(list, "reports"), i, r) {
		printf("%-6lld %-24s %-40s ", (long long)json_integer_value(json_object_get(r, "id")),
		       json_string_value(json_object_get(r, "organization")),
		       json_string_value(json_object_get(r, "report_id")));
		print_date(json_integer_value(json_object_get(r, "start")));
		printf(" ");
		print_date(json_integer_value(json_object_get(r, "end")));
		printf(" ok %lld failed %lld\n",
		       (long long)json_integer_value(json_object_get(r, "successful")),
		       (long long)json_integer_value(json_object_get(r, "failed")));
	}
	json_decref(list);
	return EXIT_OK;
}

int cmd_tlsrpt_show(struct ctl *c)
{
	struct store_txn t;
	struct tlsrpt_entry e;
	char *end;
	uint8_t *json = NULL;
	size_t len;
	errno = 0;
	unsigned long long id = strtoull(c->args[0], &end, 10);
	if (errno || *end || end == c->args[0] || id == 0)
		return usage(c, "'%s' is not a report id (see tlsrpt list)", c->args[0]);
	int rc = ctl_read(c, &t);
	if (rc)
		return rc;
	if ((rc = tlsrpt_store_get(&t, id, &e)) != 0) {
		store_abort(&t);
		return ctl_fail(c, rc, "report %llu", id);
	}
	/* Stored within the limit it met when it came: inflate it whole, whatever it is now. */
	rc = tlsrpt_gzip_inflate(e.raw, e.rawlen, SIZE_MAX, &json, &len);
	json_decref(e.facts);
	store_abort(&t);
	if (rc)
		return ctl_fail(c, rc, "report %llu", id);
	fwrite(json, 1, len, stdout);
	free(json);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_STORE;
}

int cmd_tlsrpt_reparse(struct ctl *c)
{
	struct store_txn t;
	size_t n;
	int rc = ctl_open(c, true);
	if (rc)
		return rc;
	if ((rc = store_begin(c->st, true, 0, &t)) != 0)
		return ctl_fail(c, rc, "cannot write the store");
	rc = tlsrpt_import_reparse(&t, SIZE_MAX, &n);
	if (rc == 0)
		rc = store_commit(&t);
	else
		store_abort(&t);
	if (rc)
		return ctl_fail(c, rc, "tlsrpt reparse (nothing changed)");
	if (c->json)
		return ctl_json_print(json_pack("{s:I}", "reparsed", (json_int_t)n));
	printf("%zu reports counted again\n", n);
	return EXIT_OK;
}
