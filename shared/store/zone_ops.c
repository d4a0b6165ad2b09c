/* Imports, batches, creation and deletion, each one zone transaction, retried when the map grows. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "shared/util/err.h"
#include "shared/store/history.h"
#include "shared/dns/rrtext.h"
#include "shared/dns/wire.h"
#include "shared/store/zone_hook.h"
#include "shared/store/zone_ops.h"

struct import_ctx {
	const struct zonefile *zf;
	enum serial_policy policy;
	const uint32_t *expect_serial;
};

static int import_fn(struct zone_txn *zt, void *arg, struct diag *d)
{
	struct import_ctx *c = arg;
	int rc;
	if (c->expect_serial && !zone_txn_creating(zt)) {
		uint32_t now;
		rc = zone_txn_serial(zt, &now);
		if (rc == 0 && now != *c->expect_serial)
			rc = LS_ECONFLICT;
		if (rc)
			return rc;
	}
	zone_txn_set_policy(zt, c->policy);
	zone_txn_reserve(zt, c->zf->n);    /* at most one RRset per record */
	for (size_t i = 0; i < c->zf->n; i++) {
		rc = zone_txn_add(zt, &c->zf->rr[i], d);
		if (rc && rc != LS_EINVAL_ZONE)
			return rc;
	}
	/* Commit validates the rest and refuses when any record was refused: every error is seen. */
	return 0;
}

/* The whole-zone edit of zf: the zonefile outlives the result, so it may point into it. */
static struct zone_edit import_edit(const struct zonefile *zf, unsigned flags, const char *source,
                                    struct import_ctx *c)
{
	return (struct zone_edit){ zf->apex, NULL, flags | ZONE_TXN_REPLACE | ZONE_TXN_BORROW,
	                           zf->bytes, source, import_fn, c };
}

int zone_ops_import(struct store *st, const struct zonefile *zf, unsigned flags,
                    enum serial_policy policy, const uint32_t *expect_serial,
                    const char *source, struct diag *d, struct zone_result *res)
{
	struct import_ctx c = { zf, policy, expect_serial };
	struct zone_edit e = import_edit(zf, flags, source, &c);
	return zone_edit_run(st, &e, d, res);
}

int zone_ops_import_in(struct zone_batch *b, const struct zonefile *zf, unsigned flags,
                       enum serial_policy policy, const char *source, struct diag *d,
                       struct zone_result *res)
{
	struct import_ctx c = { zf, policy, NULL };
	struct zone_edit e = import_edit(zf, flags, source, &c);
	return zone_batch_run(b, &e, d, res);
}

/* One parsed batch line. */
struct op {
	enum { OP_ADD, OP_DEL, OP_SET } kind;
	struct rr rr;            /* ADD, SET, DEL with RDATA */
	uint8_t *owner;          /* DEL */
	uint16_t type;           /* DEL: 0 for the whole name */
	bool has_rdata, ttl_absent;
	unsigned line;
};

struct batch_ctx {
	struct op *ops;
	size_t n;
	const char *name;
};

static int parse_line(struct rr_parser *p, struct arena *a, char *s, struct op *op,
                      char *err, size_t errlen)
{
	char *verb = strtok(s, " \t");
	char *rest = strtok(NULL, "");
	while (rest && (*rest == ' ' || *rest == '\t'))
		rest++;
	if (verb == NULL || rest == NULL || *rest == 0) {
		snprintf(err, errlen, "expected 'add RR', 'del NAME [TYPE [RDATA]]' or 'set NAME TYPE TTL RDATA'");
		return LS_EPARSE;
	}
	if (strcasecmp(verb, "add") == 0) {
		op->kind = OP_ADD;
		int rc = rr_parse(p, rest, &op->rr, err, errlen);
		op->ttl_absent = p->ttl_absent;
		return rc;
	}
	bool set = strcasecmp(verb, "set") == 0;
	if (!set && strcasecmp(verb, "del") != 0) {
		snprintf(err, errlen, "unknown action '%s' (add, del or set)", verb);
		return LS_EPARSE;
	}
	char *name = strtok(rest, " \t"), *type = strtok(NULL, " \t");
	char *ttl = set ? strtok(NULL, " \t") : NULL;
	char *rdata = strtok(NULL, "");
	char text[ZONEFILE_ENTRY_MAX / 16];
	if (set) {
		if (type == NULL || ttl == NULL || rdata == NULL) {
			snprintf(err, errlen, "set needs NAME TYPE TTL RDATA");
			return LS_EPARSE;
		}
		op->kind = OP_SET;
		if ((size_t)snprintf(text, sizeof(text), "%s %s IN %s %s", name, ttl, type, rdata) >= sizeof(text)) {
			snprintf(err, errlen, "line too long");
			return LS_EPARSE;
		}
		return rr_parse(p, text, &op->rr, err, errlen);
	}
	op->kind = OP_DEL;
	uint8_t owner[DNAME_MAX];
	int ol = dname_parse(owner, name, rr_parser_origin(p));
	if (ol < 0) {
		snprintf(err, errlen, "bad name '%s'", name);
		return LS_EPARSE;
	}
	op->owner = arena_dup(a, owner, (size_t)ol);
	if (type) {
		op->type = rr_type_parse(type);
		if (op->type == 0) {
			snprintf(err, errlen, "unknown type '%s'", type);
			return LS_EPARSE;
		}
	}
	if (rdata) {
		if ((size_t)snprintf(text, sizeof(text), "%s 0 IN %s %s", name, type, rdata) >= sizeof(text)) {
			snprintf(err, errlen, "line too long");
			return LS_EPARSE;
		}
		op->has_rdata = true;
		return rr_parse(p, text, &op->rr, err, errlen);
	}
	return op->owner ? 0 : -ENOMEM;
}

static bool seen_set(const struct op *ops, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (ops[j].kind == OP_SET && ops[j].rr.type == ops[i].rr.type &&
		    dname_equal(ops[j].rr.owner, ops[i].rr.owner))
			return true;
	return false;
}

/* One batch line applied to the edit: 0, LS_EINVAL_ZONE (a message in d) or an error. */
static int apply_op(struct zone_txn *zt, const struct batch_ctx *c, size_t i, struct diag *d)
{
	char name[DNAME_STR_MAX], tn[16];
	struct op *op = &c->ops[i];
	uint32_t ttl;
	int rc;
	switch (op->kind) {
	case OP_SET:
		if (!seen_set(c->ops, i))
			zone_txn_del_rrset(zt, op->rr.owner, op->rr.type);
		return zone_txn_add(zt, &op->rr, d);
	case OP_ADD:
		/* A record given without a TTL joins its RRset's TTL. */
		if (op->ttl_absent && zone_txn_ttl(zt, op->rr.owner, op->rr.type, &ttl) == 0)
			op->rr.ttl = ttl;
		return zone_txn_add(zt, &op->rr, d);
	case OP_DEL:
		rc = op->has_rdata ? zone_txn_del_rr(zt, &op->rr)
		                   : zone_txn_del_rrset(zt, op->owner, op->type);
		if (rc != LS_ENOTFOUND)
			return rc;
		diag_add(d, DIAG_ERROR, c->name, op->line, "nothing to delete: no %s%s at %s",
		         op->has_rdata ? "such record" : op->type ? "RRset of type " : "records",
		         op->has_rdata || !op->type ? "" : rr_type_name(op->type, tn, sizeof(tn)),
		         dname_format(name, op->has_rdata ? op->rr.owner : op->owner));
		return LS_EINVAL_ZONE;
	}
	return -EINVAL;
}

/* Every line is applied, so that one run reports every refused line. */
static int batch_fn(struct zone_txn *zt, void *arg, struct diag *d)
{
	struct batch_ctx *c = arg;
	int bad = 0;
	for (size_t i = 0; i < c->n; i++) {
		int rc = apply_op(zt, c, i, d);
		if (rc == LS_EINVAL_ZONE)
			bad = rc;
		else if (rc)
			return rc;
	}
	return bad;
}

/* Appends a zeroed op to c; NULL when out of memory. */
static struct op *new_op(struct batch_ctx *c, size_t *cap)
{
	if (c->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct op *ops = realloc(c->ops, ncap * sizeof(*ops));
		if (ops == NULL)
			return NULL;
		c->ops = ops;
		*cap = ncap;
	}
	struct op *op = &c->ops[c->n];
	memset(op, 0, sizeof(*op));
	return op;
}

/* Parses every line of text (NUL-terminated, modified in place) into c->ops; a bad line
 * goes to d and the rest are still read. Returns 0 or an error of memory. */
static int parse_batch(struct rr_parser *p, struct arena *a, char *text, size_t len,
                       struct batch_ctx *c, struct diag *d)
{
	size_t cap = 0;
	unsigned line = 0;
	char *end = text + len;
	for (char *s = text, *nl; s < end; s = nl) {
		/* Lines end at '\n' only: a NUL inside one is an error, not the end of the input. */
		nl = memchr(s, '\n', (size_t)(end - s));
		size_t l = nl ? (size_t)(nl - s) : (size_t)(end - s);
		nl = nl ? nl + 1 : end;
		s[l] = 0;                /* the '\n', or the terminator after the copy */
		line++;
		if (l && s[l - 1] == '\r')
			s[--l] = 0;
		if (memchr(s, 0, l)) {
			diag_add(d, DIAG_ERROR, c->name, line, "NUL byte in the input");
			continue;
		}
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == 0 || *s == '#' || *s == ';')
			continue;
		struct op *op = new_op(c, &cap);
		char err[256];
		if (op == NULL)
			return -ENOMEM;
		op->line = line;
		p->have_last_ttl = false;     /* lines are independent: no TTL carries over */
		int rc = parse_line(p, a, s, op, err, sizeof(err));
		if (rc == LS_EPARSE) {
			diag_add(d, DIAG_ERROR, c->name, line, "%s", err);
			continue;
		}
		if (rc)
			return rc;
		op->rr.file = c->name;
		op->rr.line = line;
		c->n++;
	}
	return 0;
}

int zone_ops_batch(struct store *st, const uint8_t *apex, const char *name, const char *text,
                   size_t len, unsigned flags, uint32_t default_ttl, const char *source,
                   struct diag *d, struct zone_result *res)
{
	struct arena a;
	struct rr_parser p;
	struct batch_ctx c = { .name = name };
	size_t errors = d->errors;
	char *copy = NULL;
	int rc;
	memset(res, 0, sizeof(*res));
	if (len > BATCH_MAX)
		return LS_ETOOBIG;
	arena_init(&a);
	if ((rc = rr_parser_init(&p, &a, apex, default_ttl)) != 0)
		goto out;
	if ((copy = malloc(len + 1)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	memcpy(copy, text, len);
	copy[len] = 0;
	if ((rc = parse_batch(&p, &a, copy, len, &c, d)) != 0)
		goto out;
	if (d->errors > errors)
		rc = LS_EPARSE;
	else if (c.n == 0)
		rc = LS_ENOCHANGE;
	else
		rc = zone_edit_run(st, &(struct zone_edit){ apex, NULL, flags & ZONE_TXN_CHECK,
		                   c.n * 512, source, batch_fn, &c }, d, res);
out:
	free(copy);
	free(c.ops);
	rr_parser_free(&p);
	arena_free(&a);
	return rc;
}

int zone_ops_create(struct store *st, const uint8_t *apex, char *const *ns, size_t nns,
                    enum serial_policy policy, uint32_t default_ttl, const char *source,
                    struct diag *d, struct zone_result *res)
{
	char zone[DNAME_STR_MAX], *text = NULL;
	size_t len = 0;
	struct zonefile *zf = malloc(sizeof(*zf));
	int rc;
	memset(res, 0, sizeof(*res));
	if (zf == NULL)
		return -ENOMEM;
	FILE *f = nns ? open_memstream(&text, &len) : NULL;
	if (f == NULL) {
		free(zf);
		if (nns)
			return -errno;
		diag_add(d, DIAG_ERROR, NULL, 0, "a new zone needs at least one name server (--ns NAME)");
		return LS_EPARSE;
	}
	dname_format(zone, apex);
	/* The first serial follows the policy, as every later one will. */
	/* Name servers are host names: absolute even without the trailing dot. */
	const char *dot0 = ns[0][0] && ns[0][strlen(ns[0]) - 1] == '.' ? "" : ".";
	fprintf(f, "@ %u IN SOA %s%s hostmaster 0 3600 900 1209600 300\n", default_ttl, ns[0], dot0);
	for (size_t i = 0; i < nns; i++) {
		const char *dot = ns[i][0] && ns[i][strlen(ns[i]) - 1] == '.' ? "" : ".";
		fprintf(f, "@ %u IN NS %s%s\n", default_ttl, ns[i], dot);
	}
	fclose(f);
	zonefile_init(zf);
	rc = zonefile_read_mem(zf, "--ns", text, len, apex, default_ttl, d);
	if (rc == 0) {
		struct rr *soa = &zf->rr[0];
		uint8_t *rd = (uint8_t *)soa->rdata;
		int off = soa_serial_offset(rd, soa->rdlen);
		uint32_t first = serial_next(0, policy, time(NULL));
		wire_put32(rd + off, first);
		rc = zone_ops_import(st, zf, ZONE_TXN_CREATE | ZONE_TXN_EXCL, policy, NULL, source, d, res);
	}
	res->zf = zf;     /* the result points into it */
	free(text);
	return rc;
}

int zone_ops_delete(struct store *st, const uint8_t *apex)
{
	struct store_txn t;
	struct zone_info z;
	int rc = store_begin(st, true, 0, &t);
	if (rc)
		return rc;
	struct history_entry h = { .time = time(NULL) };
	rc = zone_get(&t, apex, &z);
	if (rc == 0)
		rc = zone_serial(&t, &z, &h.old_serial);
	if (rc == 0)
		rc = zone_delete(&t, &z);
	for (const struct zone_hook *hk = zone_hooks; rc == 0 && hk->name; hk++)
		if (hk->zone_deleted)
			rc = hk->zone_deleted(&t, z.id);
	if (rc == 0) {
		h.ndel = (uint32_t)z.records;
		memcpy(h.apex, z.apex, sizeof(h.apex));
		snprintf(h.source, sizeof(h.source), "zone deleted");
		history_put(&t, &h);
		return store_commit(&t);
	}
	store_abort(&t);
	return rc;
}
