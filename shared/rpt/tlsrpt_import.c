/* Decoding, counting and storing TLS reports; the spool's import into the store. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include "shared/util/clock.h"
#include "shared/util/err.h"
#include "shared/dns/dname.h"
#include "shared/sts/sts_record.h"
#include "shared/rpt/tlsrpt_gzip.h"
#include "shared/rpt/tlsrpt_row.h"
#include "shared/rpt/tlsrpt_store.h"
#include "shared/rpt/tlsrpt_spool.h"
#include "shared/rpt/tlsrpt_import.h"

#define DAY 86400
#define HINT_PER_REPORT 4096      /* bytes a report adds beside its raw text and rows */
#define IMPORT_THREADS 4          /* parsing threads of a spool import, at most */

static int fail_why(char *why, size_t whylen, int rc, const char *text)
{
	if (whylen)
		snprintf(why, whylen, "%s", text);
	return rc;
}

int tlsrpt_import_decode(const uint8_t *body, size_t len, size_t max_expanded, char **json,
                         size_t *jlen, bool *owned, char *why, size_t whylen)
{
	*owned = false;
	if (len == 0)
		return fail_why(why, whylen, LS_EPARSE, "empty body");
	if (!tlsrpt_gzip_is(body, len)) {
		if (len > max_expanded)
			return fail_why(why, whylen, LS_ETOOBIG, "report larger than tlsrpt.max-expanded");
		*json = (char *)body;
		*jlen = len;
		return 0;
	}
	int rc = tlsrpt_gzip_inflate(body, len, max_expanded, (uint8_t **)json, jlen);
	if (rc == LS_ETOOBIG)
		return fail_why(why, whylen, rc, "gzip inflates past tlsrpt.max-expanded or 100 "
		                "times its size");
	if (rc == LS_EPARSE)
		return fail_why(why, whylen, rc, "gzip data truncated or corrupt");
	*owned = rc == 0;
	return rc;
}

/* Decodes and parses body into *r (free with tlsrpt_report_free()); codes as decode's. */
static int parse_body(const uint8_t *body, size_t len, size_t max_expanded,
                      struct tlsrpt_report **r, char *why, size_t whylen)
{
	char *json;
	size_t jlen;
	bool owned;
	int rc = tlsrpt_import_decode(body, len, max_expanded, &json, &jlen, &owned, why, whylen);
	if (rc)
		return rc;
	rc = tlsrpt_parse(json, jlen, r, why, whylen);
	if (owned)
		free(json);
	return rc;
}

int tlsrpt_import_check(const uint8_t *body, size_t len, size_t max_expanded, char *why,
                        size_t whylen)
{
	struct tlsrpt_report *r = NULL;
	int rc = parse_body(body, len, max_expanded, &r, why, whylen);
	tlsrpt_report_free(r);
	return rc;
}

/* A stored policy version in the compared form of a report's policy-string. */
struct ver {
	uint64_t version;
	char *lines;
};

/* An enabled domain as the counting needs it. */
struct dom {
	char name[TLSRPT_DOMAIN_MAX];
	uint8_t dname[DNAME_MAX];
	char *body;                 /* its current policy (a copy), or NULL */
	size_t blen;
	struct ver *vers;           /* its stored versions, oldest first, once first asked for */
	size_t nvers;
	bool have_vers;
};

/* The enabled domains, read once for all the reports of a transaction: the store's MTA-STS
 * state does not change under the import's own writes. */
struct doms {
	struct dom *v;
	size_t n;
	bool loaded;
	struct store_txn *t;
};

static void text_name(char *out, const uint8_t *dname)
{
	char buf[DNAME_STR_MAX];
	dname_format(buf, dname);
	size_t n = strlen(buf);
	if (n > 1 && buf[n - 1] == '.')
		buf[--n] = 0;
	snprintf(out, TLSRPT_DOMAIN_MAX, "%s", buf);
	for (char *p = out; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
}

static int collect(const struct sts_domain *d, void *ctx)
{
	struct doms *ds = ctx;
	const uint8_t *body;
	size_t len;
	if (d->state != STS_ACTIVE)
		return 0;
	struct dom *grown = realloc(ds->v, (ds->n + 1) * sizeof(*ds->v));
	if (grown == NULL)
		return -ENOMEM;
	ds->v = grown;
	struct dom *x = &ds->v[ds->n];
	memcpy(x->dname, d->domain, DNAME_MAX);
	text_name(x->name, d->domain);
	x->body = NULL;
	x->blen = 0;
	x->vers = NULL;
	x->nvers = 0;
	x->have_vers = false;
	if (sts_record_body(ds->t, d->domain, &body, &len, NULL) == 0 &&
	    (x->body = malloc(len + 1)) != NULL) {
		memcpy(x->body, body, len);
		x->blen = len;
	}
	ds->n++;
	return 0;
}

static void vers_free(struct dom *x)
{
	for (size_t k = 0; k < x->nvers; k++)
		free(x->vers[k].lines);
	free(x->vers);
	x->vers = NULL;
	x->nvers = 0;
}

static void doms_free(struct doms *ds)
{
	for (size_t i = 0; i < ds->n; i++) {
		vers_free(&ds->v[i]);
		free(ds->v[i].body);
	}
	free(ds->v);
	*ds = (struct doms){ .t = ds->t };
}

/* Reads the enabled domains on the first report of a transaction. */
static int doms_load(struct doms *ds, struct store_txn *t)
{
	if (ds->loaded)
		return 0;
	ds->t = t;
	int rc = sts_record_each(t, collect, ds);
	if (rc)
		doms_free(ds);
	ds->loaded = rc == 0;
	return rc;
}

static int version_fn(uint64_t version, const uint8_t *body, size_t len, void *ctx)
{
	struct dom *x = ctx;
	char *norm = tlsrpt_parse_body((const char *)body, len);
	if (norm == NULL)
		return 0;                   /* an empty policy: no report names it */
	struct ver *grown = realloc(x->vers, (x->nvers + 1) * sizeof(*grown));
	if (grown == NULL) {
		free(norm);
		return -ENOMEM;
	}
	x->vers = grown;
	x->vers[x->nvers++] = (struct ver){ version, norm };
	return 0;
}

/* The version of x's policy whose lines are lines, or -1 ("unknown"). */
static int64_t policy_version(struct store_txn *t, struct dom *x, const char *lines)
{
	if (lines == NULL)
		return -1;
	if (!x->have_vers) {
		x->have_vers = true;
		if (sts_record_policies(t, x->dname, version_fn, x) != 0)
			vers_free(x);       /* as before: no version found is "unknown" */
	}
	int64_t v = -1;
	for (size_t k = 0; k < x->nvers; k++)
		if (strcmp(x->vers[k].lines, lines) == 0)
			v = (int64_t)x->vers[k].version;     /* the newest match wins: oldest come first */
	return v;
}

/* The domains policy p counts for (indexes into ds), at most cap; returns how many. */
static size_t targets(const struct doms *ds, const struct tlsrpt_policy *p, const char *domain,
                      size_t *out, size_t cap)
{
	size_t n = 0;
	const char *want = p->domain[0] ? p->domain : domain;
	for (size_t i = 0; want && i < ds->n && n < cap; i++)
		if (strcmp(ds->v[i].name, want) == 0)
			out[n++] = i;
	/* TLSA policies carry the MX host as their policy-domain. */
	for (size_t i = 0; n == 0 && p->domain[0] && i < ds->n && n < cap; i++)
		if (ds->v[i].body && tlsrpt_parse_names_mx(ds->v[i].body, ds->v[i].blen, p->domain))
			out[n++] = i;
	return n;
}

/* Counts r: the rows of report id and its facts (domains, misaddressed). */
static int count(struct store_txn *t, struct doms *ds, const struct tlsrpt_report *r,
                 const char *domain, uint64_t id, json_t *facts, struct tlsrpt_import_result *res)
{
	json_t *domains = json_array();
	int32_t day = (int32_t)((r->start >= 0 ? r->start : r->start - DAY + 1) / DAY);
	uint16_t idx = 0;
	uint64_t success = 0, failure = 0;
	int rc = doms_load(ds, t);
	for (size_t i = 0; rc == 0 && i < r->npolicies; i++) {
		const struct tlsrpt_policy *p = &r->policies[i];
		size_t hit[8], n = targets(ds, p, domain, hit, 8);
		success += p->success;
		failure += p->failure;
		if (n == 0)
			res->misaddressed++;
		else
			res->counted++;
		for (size_t k = 0; k < n; k++) {
			struct dom *x = &ds->v[hit[k]];
			int64_t v = policy_version(t, x, p->lines);
			char *row;
			size_t rowlen;
			if ((rc = tlsrpt_row_format(r->org, p, v, &row, &rowlen)) != 0)
				break;
			tlsrpt_store_row_put(t, x->name, day, id, idx++, row, rowlen);
			free(row);
			bool seen = false;
			size_t j;
			json_t *s;
			json_array_foreach(domains, j, s)
				seen = seen || strcmp(json_string_value(s), x->name) == 0;
			if (!seen)
				json_array_append_new(domains, json_string(x->name));
		}
	}
	json_object_set_new(facts, "org", json_string(r->org));
	json_object_set_new(facts, "report_id", json_string(r->report_id));
	json_object_set_new(facts, "start", json_integer(r->start));
	json_object_set_new(facts, "end", json_integer(r->end));
	json_object_set_new(facts, "day", json_integer(day));
	json_object_set_new(facts, "domains", domains);
	json_object_set_new(facts, "misaddressed", json_integer(res->misaddressed));
	json_object_set_new(facts, "policies", json_integer((json_int_t)r->npolicies));
	json_object_set_new(facts, "success", json_integer((json_int_t)success));
	json_object_set_new(facts, "failure", json_integer((json_int_t)failure));
	json_object_set_new(facts, "delivered", domain ? json_string(domain) : json_null());
	return rc ? rc : t->err;
}

/* Stores parsed report r (body as received): dedup, raw text, rows, facts. */
static int store_parsed(struct store_txn *t, struct doms *ds, const uint8_t *body, size_t len,
                        const struct tlsrpt_report *r, const char *domain, int64_t received,
                        struct tlsrpt_import_result *res)
{
	size_t gzlen;
	uint8_t *gz = NULL;
	json_t *facts = NULL;
	memset(res, 0, sizeof(*res));
	int rc = tlsrpt_store_find(t, r->org, r->report_id, &res->id);
	if (rc != LS_ENOTFOUND) {
		res->duplicate = rc == 0;
		return rc;
	}
	/* The raw report stays compressed: as received when it came as gzip. */
	if (!tlsrpt_gzip_is(body, len) && (rc = tlsrpt_gzip_deflate(body, len, &gz, &gzlen)) != 0)
		goto fail;
	if ((facts = json_object()) == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	json_object_set_new(facts, "org", json_string(r->org));
	json_object_set_new(facts, "report_id", json_string(r->report_id));
	tlsrpt_store_add(t, r->org, r->report_id, received, facts, gz ? gz : body,
	                 gz ? gzlen : len, &res->id);
	if ((rc = t->err) != 0 || (rc = count(t, ds, r, domain, res->id, facts, res)) != 0)
		goto fail;
	struct tlsrpt_entry e;
	if ((rc = tlsrpt_store_get(t, res->id, &e)) == 0) {
		tlsrpt_store_facts_put(t, &e, facts);
		json_decref(e.facts);
		rc = t->err;
	}
fail:
	json_decref(facts);
	free(gz);
	return rc;
}

int tlsrpt_import_report(struct store_txn *t, const uint8_t *body, size_t len,
                         const char *domain, int64_t received, size_t max_expanded,
                         struct tlsrpt_import_result *res, char *why, size_t whylen)
{
	struct tlsrpt_report *r = NULL;
	memset(res, 0, sizeof(*res));
	int rc = parse_body(body, len, max_expanded, &r, why, whylen);
	struct doms ds = { .t = t };
	if (rc == 0)
		rc = store_parsed(t, &ds, body, len, r, domain, received, res);
	doms_free(&ds);
	tlsrpt_report_free(r);
	return rc;
}

struct reparse {
	struct store_txn *t;
	size_t max_expanded;
	uint64_t *ids;
	size_t n, cap;
};

static int reparse_collect(const struct tlsrpt_entry *e, void *ctx)
{
	struct reparse *rp = ctx;
	if (rp->n == rp->cap) {
		size_t cap = rp->cap ? rp->cap * 2 : 256;
		uint64_t *grown = realloc(rp->ids, cap * sizeof(*grown));
		if (grown == NULL)
			return -ENOMEM;
		rp->ids = grown;
		rp->cap = cap;
	}
	rp->ids[rp->n++] = e->id;
	return 0;
}

/* Counts report id again: its rows go, new ones come from its raw text. */
static int reparse_one(struct store_txn *t, struct doms *ds, uint64_t id, size_t max_expanded)
{
	struct tlsrpt_entry e;
	struct tlsrpt_import_result res = { .id = id };
	struct tlsrpt_report *r = NULL;
	uint8_t *json = NULL;
	size_t jlen;
	int rc = tlsrpt_store_get(t, id, &e);
	if (rc)
		return rc;
	json_t *delivered = json_object_get(e.facts, "delivered");
	char domain[TLSRPT_DOMAIN_MAX];
	snprintf(domain, sizeof(domain), "%s", json_is_string(delivered) ?
	         json_string_value(delivered) : "");
	/* Inflated before any write: a write may move the page e.raw points into. */
	rc = tlsrpt_gzip_inflate(e.raw, e.rawlen, max_expanded, &json, &jlen);
	tlsrpt_store_rows_del(t, &e);
	if (rc == 0 &&
	    (rc = tlsrpt_parse((char *)json, jlen, &r, NULL, 0)) == 0) {
		json_t *facts = json_deep_copy(e.facts);
		rc = count(t, ds, r, domain[0] ? domain : NULL, id, facts, &res);
		struct tlsrpt_entry now;
		if (rc == 0 && (rc = tlsrpt_store_get(t, id, &now)) == 0) {
			tlsrpt_store_facts_put(t, &now, facts);
			json_decref(now.facts);
		}
		json_decref(facts);
	}
	json_decref(e.facts);
	tlsrpt_report_free(r);
	free(json);
	return rc ? rc : t->err;
}

int tlsrpt_import_reparse(struct store_txn *t, size_t max_expanded, size_t *n)
{
	struct reparse rp = { t, max_expanded, NULL, 0, 0 };
	struct doms ds = { .t = t };
	int rc = tlsrpt_store_each(t, reparse_collect, &rp);
	*n = 0;
	for (size_t i = 0; rc == 0 && i < rp.n; i++, (*n)++)
		rc = reparse_one(t, &ds, rp.ids[i], max_expanded);
	doms_free(&ds);
	free(rp.ids);
	return rc;
}

/* A batch's reports parsed before its write transaction: the parse is most of an import's
 * CPU and needs no store, so it runs on every core and the writer lock is held only to store. */
struct parsed {
	struct tlsrpt_report *r;
	int rc;
	char why[TLSRPT_WHY_MAX];
};

static void parsed_free(struct parsed *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		tlsrpt_report_free(p[i].r);
		p[i].r = NULL;
	}
}

struct batch {
	const struct tlsrpt_spooled *files;
	struct parsed *out;
	size_t n, max_expanded;
	atomic_size_t next;
};

static void *parse_some(void *arg)
{
	struct batch *b = arg;
	size_t i;
	while ((i = atomic_fetch_add(&b->next, 1)) < b->n) {
		const struct tlsrpt_spooled *f = &b->files[i];
		struct parsed *p = &b->out[i];
		if (f->err) {
			snprintf(p->why, sizeof(p->why), "%s", ls_strerror(f->err));
			p->rc = f->err == LS_ETOOBIG ? LS_EPARSE : f->err;
		} else {
			p->rc = parse_body(f->body, f->len, b->max_expanded, &p->r, p->why,
			                   sizeof(p->why));
		}
	}
	return NULL;
}

/* Parses files[0..n) into out, on up to IMPORT_THREADS threads (this one included). */
static void parse_batch(const struct tlsrpt_spooled *files, size_t n, size_t max_expanded,
                        struct parsed *out)
{
	struct batch b = { files, out, n, max_expanded, 0 };
	pthread_t th[IMPORT_THREADS];
	size_t started = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t want = cpus > 1 ? (size_t)cpus : 1;
	if (want > IMPORT_THREADS)
		want = IMPORT_THREADS;
	if (want > n)
		want = n;
	json_object_seed(0);          /* jansson seeds its hash on first use: not from two threads */
	for (size_t k = 1; k < want; k++)
		if (pthread_create(&th[started], NULL, parse_some, &b) == 0)
			started++;
	parse_some(&b);
	for (size_t k = 0; k < started; k++)
		pthread_join(th[k], NULL);
}

int tlsrpt_import_spool(struct store *st, const char *state_dir, size_t max_size,
                        size_t max_expanded, struct tlsrpt_spool_result *res)
{
	return tlsrpt_import_spool_for(st, state_dir, max_size, max_expanded, 0, res);
}

int tlsrpt_import_spool_for(struct store *st, const char *state_dir, size_t max_size,
                            size_t max_expanded, unsigned max_ms, struct tlsrpt_spool_result *res)
{
	int64_t until = max_ms ? clock_mono_ms() + max_ms : INT64_MAX;
	struct tlsrpt_spooled *files = calloc(TLSRPT_SPOOL_BATCH, sizeof(*files));
	struct parsed *parsed = calloc(TLSRPT_SPOOL_BATCH, sizeof(*parsed));
	struct doms ds = { .t = NULL };            /* per transaction */
	size_t n = 0;
	int rc = -ENOMEM;
	memset(res, 0, sizeof(*res));
	if (files == NULL || parsed == NULL)
		goto fail;
	while ((rc = tlsrpt_spool_take(state_dir, max_size, files, &n)) == 0 && n > 0) {
		struct store_txn t;
		size_t hint = 0;
		bool ok[TLSRPT_SPOOL_BATCH] = { false };     /* imported or moved to bad/: done */
		memset(parsed, 0, n * sizeof(*parsed));
		parse_batch(files, n, max_expanded, parsed);
		for (size_t i = 0; i < n; i++)
			hint += files[i].len * 2 + HINT_PER_REPORT;
		if ((rc = store_begin(st, true, hint, &t)) != 0)
			break;
		for (size_t i = 0; i < n; i++) {
			struct tlsrpt_spooled *f = &files[i];
			struct tlsrpt_import_result r;
			struct store_txn child;
			if ((rc = parsed[i].rc) == 0 && (rc = store_begin_nested(&t, &child)) == 0) {
				rc = store_parsed(&child, &ds, f->body, f->len, parsed[i].r,
				                  f->domain[0] ? f->domain : NULL, f->mtime, &r);
				if (rc == 0)
					rc = store_commit(&child);
				else
					store_abort(&child);
			}
			if (rc == LS_EPARSE || rc == LS_ETOOBIG) {
				/* Not a report we can count: out of the way, for the operator to see. */
				snprintf(res->last_reject, sizeof(res->last_reject), "%.64s: %.180s", f->name,
				         parsed[i].why);
				tlsrpt_spool_reject(state_dir, f);
				res->rejected++;
				ok[i] = true;
				rc = 0;
				continue;
			}
			if (rc)
				break;
			ok[i] = true;
			if (r.duplicate)
				res->duplicates++;
			else
				res->imported++;
		}
		doms_free(&ds);
		if (rc || (rc = store_commit(&t)) != 0) {
			if (t.txn)
				store_abort(&t);
			break;
		}
		for (size_t i = 0; i < n; i++)
			if (ok[i])
				tlsrpt_spool_done(state_dir, &files[i]);
		parsed_free(parsed, n);
		tlsrpt_spool_free(files, n);
		n = 0;
		if (clock_mono_ms() >= until)
			break;                 /* the rest on the next call */
	}
fail:
	if (parsed)
		parsed_free(parsed, n);
	tlsrpt_spool_free(files, n);
	free(parsed);
	free(files);
	return rc;
}
