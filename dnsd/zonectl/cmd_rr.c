/* zonectl rr list|add|del|set and batch: record edits, each one atomic commit. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/util/err.h"
#include "shared/dns/rrtext.h"
#include "shared/store/zone_walk.h"

static int show_rr(const struct rr *rr, void *arg)
{
	struct ctl_out *o = arg;
	char *s = rr_format(rr);
	if (s == NULL)
		return LS_ESTORE;
	if (o->c->json) {
		/* ldns prints owner, TTL, class, type and data separated by tabs. */
		char *f[4], *p = s;
		for (int i = 0; i < 4; i++) {
			f[i] = p;
			p = strchr(p, '\t');
			if (p == NULL)
				p = f[i] + strlen(f[i]);
			else
				*p++ = 0;
		}
		ctl_out_item(o, json_pack("{s:o,s:I,s:s,s:o,s:o}", "name", ctl_json_string(f[0]),
		                          "ttl", (json_int_t)rr->ttl, "class", "IN",
		                          "type", ctl_json_string(f[3]), "data", ctl_json_string(p)));
	} else {
		printf("%s\n", s);
		ctl_out_item(o, NULL);
	}
	free(s);
	return 0;
}

int cmd_rr_list(struct ctl *c)
{
	uint8_t apex[DNAME_MAX], owner[DNAME_MAX];
	char zone[DNAME_STR_MAX];
	struct store_txn t;
	struct zone_info z;
	struct ctl_out o;
	uint16_t type = 0;
	if (ctl_zone_name(c, c->args[0], apex))
		return EXIT_USAGE;
	if (c->nargs > 1 && dname_parse(owner, c->args[1], apex) < 0) {
		fprintf(stderr, "zonectl: '%s' is not a valid name\n", c->args[1]);
		return EXIT_USAGE;
	}
	if (c->nargs > 2 && (type = rr_type_parse(c->args[2])) == 0) {
		fprintf(stderr, "zonectl: unknown type '%s'\n", c->args[2]);
		return EXIT_USAGE;
	}
	int rc = ctl_read_zone(c, &t, &z);
	if (rc)
		return rc;
	ctl_out_begin(&o, c);
	ctl_out_put(&o, "zone", ctl_json_string(dname_format(zone, apex)));
	ctl_out_list(&o, "records");
	rc = zone_walk(&t, &z, c->nargs > 1 ? owner : NULL, type, show_rr, &o);
	if ((rc = ctl_list_done(&o, &t, rc, "cannot list records")) != EXIT_OK)
		return rc;
	if (o.n == 0 && c->nargs > 1) {
		if (!c->json)
			fprintf(stderr, "zonectl: no records at %s%s%s\n", c->args[1],
			        type ? " of type " : "", type ? c->args[2] : "");
		return EXIT_NOTFOUND;
	}
	return EXIT_OK;
}

/* Runs batch text against the zone in args[0] and shows the result. */
static int run_batch(struct ctl *c, const char *name, const char *text, size_t len,
                     const char *source)
{
	uint8_t apex[DNAME_MAX];
	struct zone_result res;
	if (ctl_zone_name(c, c->args[0], apex))
		return EXIT_USAGE;
	int rc = ctl_open(c, true);
	if (rc)
		return rc;
	rc = zone_ops_batch(c->st, apex, name, text, len, 0, c->cfg.default_ttl, source, &c->d,
	                    &res);
	int ec = ctl_result(c, apex, rc, &res);
	ec = ctl_publish_after(c, ec, rc, &res);
	zone_result_free(&res);
	return ec;
}

/* Joins args[from..] with spaces after prefix, one line. */
static char *join(const char *prefix, char **args, int from, int to)
{
	size_t len = strlen(prefix) + 2;
	for (int i = from; i < to; i++)
		len += strlen(args[i]) + 1;
	char *s = malloc(len), *p = s;
	if (s == NULL)
		return NULL;
	p += sprintf(p, "%s", prefix);
	for (int i = from; i < to; i++)
		p += sprintf(p, " %s", args[i]);
	return s;
}

static bool one_line(const char *s)
{
	return strchr(s, '\n') == NULL && strchr(s, '\r') == NULL;
}

static int usage_newline(void)
{
	fprintf(stderr, "zonectl: arguments must not contain line breaks; `zonectl batch` takes many lines\n");
	return EXIT_USAGE;
}

/* One batch line "VERB args[1..]" from the command line, as its own commit. */
static int run_line(struct ctl *c, const char *verb, const char *source)
{
	for (int i = 1; i < c->nargs; i++)
		if (!one_line(c->args[i]))
			return usage_newline();
	char *line = join(verb, c->args, 1, c->nargs);
	if (line == NULL)
		return ctl_fail(c, -ENOMEM, "%s", source);
	int rc = run_batch(c, "<command line>", line, strlen(line), source);
	free(line);
	return rc;
}

int cmd_rr_add(struct ctl *c)
{
	return run_line(c, "add", "zonectl rr add");
}

int cmd_rr_del(struct ctl *c)
{
	return run_line(c, "del", "zonectl rr del");
}

int cmd_rr_set(struct ctl *c)
{
	/* One "set" line per RDATA argument: together they replace the RRset. */
	size_t len = 0;
	char *text = NULL;
	FILE *f = open_memstream(&text, &len);
	if (f == NULL)
		return ctl_fail(c, -errno, "rr set");
	for (int i = 4; i < c->nargs; i++) {
		if (!one_line(c->args[i])) {
			fclose(f);
			free(text);
			return usage_newline();
		}
		fprintf(f, "set %s %s %s %s\n", c->args[1], c->args[2], c->args[3], c->args[i]);
	}
	fclose(f);
	int rc = run_batch(c, "<command line>", text, len, "zonectl rr set");
	free(text);
	return rc;
}

int cmd_batch(struct ctl *c)
{
	size_t len = 0, cap = 0;
	char *text = NULL;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > BATCH_MAX + 1) {
				free(text);
				return ctl_fail(c, LS_ETOOBIG, "batch input over %u bytes", BATCH_MAX);
			}
			char *t = realloc(text, cap);
			if (t == NULL) {
				free(text);
				return ctl_fail(c, -ENOMEM, "batch");
			}
			text = t;
		}
		ssize_t r = read(0, text + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(text);
			return ctl_fail(c, -errno, "cannot read standard input");
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	int rc = run_batch(c, "<stdin>", text ? text : "", len, "zonectl batch");
	free(text);
	return rc;
}
