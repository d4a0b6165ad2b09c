/* zonectl cert list|renew|status and acme account|register: certificates from an ACME CA. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/acme/acme_client.h"
#include "shared/acme/acme_order.h"
#include "shared/acme/acme_record.h"
#include "shared/acme/acme_run.h"
#include "shared/tls/cert.h"
#include "shared/util/err.h"
#include "shared/util/file.h"

#define RENEW_BUDGET_MS 600000    /* cert renew NAME: one name's order, to its end */

/* One row of cert list: the files' facts and, when ACME handles the name, its state. */
struct row {
	char name[ACME_HOST_MAX];
	bool have_file, have_acme;
	struct cert_info info;
	char serial[80];
	int64_t not_before;
	struct acme_cert acme;
	uint32_t position;
};

struct rows {
	struct row *v;
	size_t n, cap;
	struct ctl *c;
};

static struct row *row_for(struct rows *r, const char *name)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].name, name) == 0)
			return &r->v[i];
	if (r->n == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 32;
		void *p = realloc(r->v, nc * sizeof(*r->v));
		if (p == NULL)
			return NULL;
		r->v = p;
		r->cap = nc;
	}
	struct row *w = &r->v[r->n++];
	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "%s", name);
	return w;
}

static int from_file(const struct cert_info *info, void *arg)
{
	struct rows *r = arg;
	struct row *w = row_for(r, info->host);
	char path[4400], *pem;
	size_t len;
	int64_t na;
	if (w == NULL)
		return -ENOMEM;
	w->have_file = true;
	w->info = *info;
	if (cert_path(path, sizeof(path), r->c->state, info->host, CERT_CHAIN_FILE) == 0 &&
	    file_read(path, CERT_FILE_MAX, FILE_REGULAR, &pem, &len) == 0) {
		acme_order_leaf(pem, len, w->serial, sizeof(w->serial), &w->not_before, &na, NULL, 0);
		file_free(pem, len, FILE_REGULAR);
	}
	return 0;
}

struct acme_rows {
	struct rows *r;
	struct store_txn *t;
};

static int from_store(const struct acme_cert *a, void *arg)
{
	struct acme_rows *x = arg;
	struct row *w = row_for(x->r, a->host);
	if (w == NULL)
		return -ENOMEM;
	w->have_acme = true;
	w->acme = *a;
	w->position = acme_run_position(x->t, a->host);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->name, ((const struct row *)b)->name);
}

static const char *source(const struct row *w)
{
	if (!w->have_file)
		return NULL;
	if (strstr(w->info.issuer, "Lockstep demo CA"))
		return "demo";
	if (w->have_acme && w->acme.had_cert && *w->acme.directory)
		return w->acme.directory;
	return "manual";
}

static const char *last_error(const struct row *w, char *buf, size_t len)
{
	if (w->have_acme && *w->acme.problem_type) {
		snprintf(buf, len, "%s: %s", w->acme.problem_type, w->acme.problem_detail);
		return buf;
	}
	return w->have_file && w->info.error ? w->info.error_text : NULL;
}

static void print_row(struct ctl_out *o, const struct row *w)
{
	char err[ACME_PROBLEM_MAX + 160], t1[32], t2[32];
	const char *le = last_error(w, err, sizeof(err));
	int64_t renew = w->have_acme && w->acme.renew_at ? w->acme.renew_at : 0;
	if (o->c->json) {
		ctl_out_item(o, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
		    "name", ctl_json_string(w->name), "host", ctl_json_string(w->name),
		    "issuer", ctl_json_string(w->have_file ? w->info.issuer : NULL),
		    "not_before", ctl_json_time(w->have_file ? w->not_before : 0),
		    "not_after", ctl_json_time(w->have_file ? w->info.not_after : 0),
		    "serial", ctl_json_string(*w->serial ? w->serial : NULL),
		    "source", ctl_json_string(source(w)),
		    "renew_at", ctl_json_time(renew),
		    "last_error", ctl_json_string(le),
		    "error", ctl_json_string(w->have_file && w->info.error ? w->info.error_text : NULL),
		    "state", ctl_json_string(w->have_acme ? acme_state_name(w->acme.state) : NULL),
		    "queue_position", w->position ? json_integer(w->position) : json_null()));
		return;
	}
	ctl_out_item(o, NULL);
	printf("%-40s %-20s %-8s %s", w->name,
	       w->have_file && w->info.not_after ? ctl_time(w->info.not_after, t1, sizeof(t1)) : "-",
	       w->have_acme ? acme_state_name(w->acme.state) : "-",
	       w->have_file && *w->info.issuer ? w->info.issuer : "-");
	if (renew)
		printf("  renew %s", ctl_time(renew, t2, sizeof(t2)));
	if (w->position)
		printf("  (queued, position %u)", w->position);
	if (w->have_file && w->info.error)
		printf("  (not usable: %s)", w->info.error_text);
	else if (w->have_file && w->info.not_after < (int64_t)time(NULL))
		printf("  (expired)");
	if (w->have_acme && *w->acme.problem_type)
		printf("  (last error: %s)", le);
	printf("\n");
}

/* cert list [--json]: the files in STATE/certs and the names ACME handles. */
int ctl_cert_list(struct ctl *c)
{
	struct rows r = { .c = c };
	struct ctl_out o;
	struct store_txn t;
	int rc = cert_list(c->state, from_file, &r);
	if (rc == 0 && store_open(&c->st, c->state, STORE_RDONLY) == 0) {
		if ((rc = store_begin(c->st, false, 0, &t)) == 0) {
			struct acme_rows x = { &r, &t };
			rc = acme_record_each(&t, from_store, &x);
			store_abort(&t);
		}
	}
	if (rc) {
		free(r.v);
		return ctl_fail(c, rc, "cert list");
	}
	if (r.n)
		qsort(r.v, r.n, sizeof(*r.v), by_name);
	ctl_out_list_begin(&o, c, "certs");
	for (size_t i = 0; i < r.n; i++)
		print_row(&o, &r.v[i]);
	free(r.v);
	return ctl_out_list_finish(&o);
}

bool ctl_acme_on(const struct ctl *c)
{
	return c->cfg.acme_directory && *c->cfg.acme_directory;
}

static int need_acme(struct ctl *c)
{
	if (ctl_acme_on(c))
		return 0;
	return ctl_fail_msg(c, EXIT_USAGE, "no acme: section with a directory in the "
	                    "configuration; certificates come from the demo CA or by hand");
}

static void say(const struct acme_outcome *o, void *ctx)
{
	struct ctl *c = ctx;
	if (c->json)
		return;
	if (o->rc == 0)
		printf("%s: certificate issued, serial %s\n", o->rec->host, o->rec->serial);
	else
		fprintf(stderr, "zonectl: %s: waiting: certificate for %s: %s: %s\n",
		        o->rec->host, o->rec->host, o->rec->problem_type, o->rec->problem_detail);
}

int ctl_acme_run_host(struct ctl *c, const char *host, bool force)
{
	struct acme_run r;
	char err[512];
	int64_t now = (int64_t)time(NULL);
	/* Over orders-per-hour a name waits in the queue like a bulk enable's (renew: now). */
	bool take = force || acme_run_may_order(c->st, &c->cfg, now);
	int rc = acme_run_queue(c->st, host, force, take, now);
	if (rc == 0 && !take) {
		struct store_txn t;
		uint32_t pos = 0;
		if (store_begin(c->st, false, 0, &t) == 0) {
			pos = acme_run_position(&t, host);
			store_abort(&t);
		}
		fprintf(stderr, "zonectl: %s: waiting: certificate for %s: queued for an order "
		        "(position %u, acme.orders-per-hour); dnsd orders it in its turn\n", host,
		        host, pos);
		return 0;
	}
	if (rc == LS_ECONFLICT) {
		fprintf(stderr, "zonectl: %s: an order is under way in another process (dnsd); "
		        "see zonectl cert status %s\n", host, host);
		return 0;
	}
	if (rc)
		return rc;
	if ((rc = acme_run_open(&r, c->st, &c->cfg, c->state, err, sizeof(err))) != 0) {
		fprintf(stderr, "zonectl: acme: %s\n", err);
		return rc;
	}
	rc = acme_run_due(&r, now, host, RENEW_BUDGET_MS, say, c);
	acme_run_close(&r);
	return rc;
}

static int show_status(struct ctl *c, const char *host)
{
	struct store_txn t;
	struct acme_cert a;
	char t1[32], t2[32], t3[32];
	int rc = ctl_read(c, &t);
	if (rc)
		return rc;
	rc = acme_record_get(&t, host, &a);
	uint32_t pos = rc == 0 ? acme_run_position(&t, host) : 0;
	store_abort(&t);
	if (rc == LS_ENOTFOUND)
		return ctl_fail_msg(c, EXIT_NOTFOUND, "%s: ACME has no state for this name", host);
	if (rc)
		return ctl_fail(c, rc, "cert status %s", host);
	if (c->json)
		return ctl_json_print(json_pack(
		    "{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:I,s:o,s:o}",
		    "name", host, "state", acme_state_name(a.state),
		    "directory", ctl_json_string(*a.directory ? a.directory : NULL),
		    "order", ctl_json_string(*a.order ? a.order : NULL),
		    "challenge", ctl_json_string(*a.challenge_type ? a.challenge_type : NULL),
		    "problem_type", ctl_json_string(*a.problem_type ? a.problem_type : NULL),
		    "problem_detail", ctl_json_string(*a.problem_detail ? a.problem_detail : NULL),
		    "serial", ctl_json_string(*a.serial ? a.serial : NULL),
		    "renew_at", ctl_json_time(a.renew_at), "next_try", ctl_json_time(a.next_try),
		    "not_after", ctl_json_time(a.not_after), "tries", (json_int_t)a.tries,
		    "queue_position", pos ? json_integer(pos) : json_null(),
		    "replaces", ctl_json_string(*a.replaces ? a.replaces : NULL)));
	printf("%s: %s%s%s\n", host, acme_state_name(a.state), *a.directory ? " at " : "",
	       a.directory);
	if (*a.order)
		printf("  order:    %s\n", a.order);
	if (*a.serial)
		printf("  serial:   %s (not after %s)\n", a.serial, ctl_time(a.not_after, t1,
		                                                            sizeof(t1)));
	if (a.renew_at)
		printf("  renew at: %s\n", ctl_time(a.renew_at, t2, sizeof(t2)));
	if (pos)
		printf("  queue:    position %u\n", pos);
	if (*a.problem_type)
		printf("  last answer: %s: %s (try %u; next %s)\n", a.problem_type, a.problem_detail,
		       a.tries, ctl_time(a.next_try, t3, sizeof(t3)));
	return EXIT_OK;
}

/* cert renew NAME | cert status NAME */
int ctl_cert_acme(struct ctl *c, const char *action)
{
	char host[CERT_HOST_MAX + 1];
	if (c->nargs != 2 || cert_host_norm(c->args[1], host) != 0)
		return ctl_fail_msg(c, EXIT_USAGE, "cert %s needs one host name "
		                    "(mta-sts.example.com)", action);
	if (strcmp(action, "status") == 0)
		return show_status(c, host);
	int rc = need_acme(c);
	if (rc || (rc = ctl_open(c, true)) != 0)
		return rc;
	if ((rc = ctl_acme_run_host(c, host, true)) != 0)
		return ctl_fail(c, rc, "cert renew %s", host);
	struct store_txn t;
	struct acme_cert a;
	if ((rc = store_begin(c->st, false, 0, &t)) != 0)
		return ctl_fail(c, rc, "cert renew %s", host);
	rc = acme_record_get(&t, host, &a);
	store_abort(&t);
	if (rc)
		return ctl_fail(c, rc, "cert renew %s", host);
	if (c->json)
		return ctl_json_print(json_pack("{s:s,s:s,s:o,s:o}", "name", host,
		    "state", acme_state_name(a.state),
		    "serial", ctl_json_string(*a.serial ? a.serial : NULL),
		    "error", ctl_json_string(a.state == ACME_ISSUED ? NULL : a.problem_detail)));
	return a.state == ACME_ISSUED ? EXIT_OK : EXIT_CONFLICT;
}

static int show_account(const struct acme_account *a, void *arg)
{
	struct ctl_out *o = arg;
	char when[32];
	if (o->c->json) {
		ctl_out_item(o, json_pack("{s:o,s:o,s:o,s:o}", "directory",
		                          ctl_json_string(a->directory), "account",
		                          ctl_json_string(a->kid), "contact",
		                          ctl_json_string(*a->contact ? a->contact : NULL),
		                          "created", ctl_json_time(a->created)));
		return 0;
	}
	ctl_out_item(o, NULL);
	printf("%s\n  account: %s\n  contact: %s\n  created: %s\n", a->directory, a->kid,
	       *a->contact ? a->contact : "-", ctl_time(a->created, when, sizeof(when)));
	return 0;
}

static int accounts(struct ctl *c)
{
	struct ctl_out o;
	ctl_out_list_begin(&o, c, "accounts");
	int rc = acme_account_each(c->state, show_account, &o);
	int ec = ctl_out_list_finish(&o);
	return rc ? ctl_fail(c, rc, "acme account") : ec;
}

/* acme account | acme register */
int cmd_acme(struct ctl *c)
{
	const char *action = c->args[0];
	if (strcmp(action, "account") == 0)
		return accounts(c);
	if (strcmp(action, "register") != 0)
		return ctl_fail_msg(c, EXIT_USAGE, "'%s': the action is account or register", action);
	int rc = need_acme(c);
	if (rc)
		return rc;
	struct acme_client *cl;
	char err[600];
	if ((rc = acme_client_open(&cl, &c->cfg, c->state, err, sizeof(err))) == 0) {
		for (size_t i = 0; i < acme_client_directories(cl); i++) {
			if ((rc = acme_client_register(cl, i, err, sizeof(err))) != 0) {
				fprintf(stderr, "zonectl: acme register: %s: %s\n",
				        acme_client_directory_url(cl, i), err);
				continue;
			}
			if (!c->json)
				printf("registered at %s\n", acme_client_directory_url(cl, i));
		}
		acme_client_close(cl);
	} else {
		fprintf(stderr, "zonectl: acme: %s\n", err);
	}
	if (rc)
		return EXIT_CONFLICT;
	return c->json ? accounts(c) : EXIT_OK;
}
