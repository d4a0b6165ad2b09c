/* zonectl output: errors with exit codes, commit results, and the JSON writer (jansson). */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/util/err.h"
#include "shared/dns/rrtext.h"

#define DIFF_SHOW_MAX 1000   /* diff lines shown per side; --json shows all */

/* Compact, ASCII only (other characters as \u escapes), and scalars allowed for the
 * values and keys that ctl_out writes one by one. */
#define JSON_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_ENCODE_ANY)

/* The length of the valid UTF-8 sequence at p (n bytes left), or 0 when there is none:
 * no overlong forms, surrogates or code points past U+10FFFF, which jansson refuses. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	unsigned cp, min;
	size_t len;
	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xc2)
		return 0;
	if (p[0] < 0xe0)
		len = 2, cp = p[0] & 0x1f, min = 0x80;
	else if (p[0] < 0xf0)
		len = 3, cp = p[0] & 0x0f, min = 0x800;
	else if (p[0] < 0xf5)
		len = 4, cp = p[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	return cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ? 0 : len;
}

json_t *ctl_json_stringn(const char *s, size_t len)
{
	static const char replacement[] = "\xef\xbf\xbd";    /* U+FFFD */
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;
	while (i < len && (k = utf8_len(p + i, len - i)) != 0)
		i += k;
	if (i == len)
		return json_stringn_nocheck(s, len);
	/* Names, TXT data, file paths and X.509 issuers may hold any bytes. */
	char *buf = malloc(len * 3), *q = buf;
	if (buf == NULL)
		return NULL;
	for (i = 0; i < len; i += k) {
		if ((k = utf8_len(p + i, len - i)) != 0) {
			memcpy(q, p + i, k);
			q += k;
		} else {
			memcpy(q, replacement, 3);
			q += 3;
			k = 1;
		}
	}
	json_t *v = json_stringn_nocheck(buf, (size_t)(q - buf));
	free(buf);
	return v;
}

json_t *ctl_json_string(const char *s)
{
	return s ? ctl_json_stringn(s, strlen(s)) : json_null();
}

json_t *ctl_json_time(int64_t t)
{
	char buf[32];
	struct tm tm;
	time_t tt = (time_t)t;
	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		return json_null();
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

json_t *ctl_json_diag(const struct diag *d)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < d->n; i++) {
		const struct diag_msg *m = &d->v[i];
		json_t *o = json_pack("{s:s,s:o,s:I,s:o}",
		                      "severity", m->sev == DIAG_ERROR ? "error" : "warning",
		                      "file", ctl_json_string(m->file), "line", (json_int_t)m->line,
		                      "message", ctl_json_string(m->text ? m->text : ""));
		if (json_array_append_new(a, o) != 0) {
			json_decref(a);
			a = NULL;
		}
	}
	return a;
}

static int out_of_memory(void)
{
	fprintf(stderr, "zonectl: cannot write the JSON output: out of memory\n");
	return EXIT_STORE;
}

int ctl_json_print(json_t *v)
{
	int rc = v && json_dumpf(v, stdout, JSON_FLAGS) == 0 ? EXIT_OK : out_of_memory();
	putchar('\n');
	json_decref(v);
	return rc;
}

static void put_value(struct ctl_out *o, json_t *v)
{
	if (v == NULL || json_dumpf(v, stdout, JSON_FLAGS) != 0)
		o->failed = true;
	json_decref(v);
}

static void put_key(struct ctl_out *o, const char *key)
{
	if (o->members++)
		putchar(',');
	put_value(o, ctl_json_string(key));
	putchar(':');
}

void ctl_out_begin(struct ctl_out *o, struct ctl *c)
{
	*o = (struct ctl_out){ .c = c };
	if (c->json)
		putchar('{');
}

void ctl_out_put(struct ctl_out *o, const char *key, json_t *v)
{
	if (!o->c->json) {
		json_decref(v);
		return;
	}
	put_key(o, key);
	put_value(o, v);
}

void ctl_out_list(struct ctl_out *o, const char *key)
{
	o->n = 0;
	if (o->c->json) {
		put_key(o, key);
		putchar('[');
	}
}

void ctl_out_item(struct ctl_out *o, json_t *v)
{
	if (o->c->json) {
		if (o->n)
			putchar(',');
		put_value(o, v);
	} else {
		json_decref(v);
	}
	o->n++;
}

void ctl_out_list_end(struct ctl_out *o)
{
	if (o->c->json)
		putchar(']');
}

int ctl_out_end(struct ctl_out *o)
{
	if (!o->c->json)
		return EXIT_OK;
	fputs("}\n", stdout);
	return o->failed ? out_of_memory() : EXIT_OK;
}

void ctl_out_list_begin(struct ctl_out *o, struct ctl *c, const char *key)
{
	ctl_out_begin(o, c);
	ctl_out_list(o, key);
}

int ctl_out_list_finish(struct ctl_out *o)
{
	ctl_out_list_end(o);
	return ctl_out_end(o);
}

const char *ctl_domain(char out[DNAME_STR_MAX], const uint8_t *name)
{
	dname_format(out, name);
	size_t n = strlen(out);
	if (n > 1)
		out[n - 1] = 0;
	return out;
}

const char *ctl_time(int64_t t, char *buf, size_t len)
{
	struct tm tm;
	time_t tt = (time_t)t;
	gmtime_r(&tt, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static int exit_code(int rc)
{
	switch (rc) {
	case 0: case LS_ENOCHANGE: return EXIT_OK;
	case LS_EPARSE: case LS_EINVAL_ZONE: case LS_ECONFIG: case LS_ETOOBIG:
	case -EISDIR: case -EINVAL: case -EFBIG: return EXIT_INPUT;
	case LS_ENOZONE: case LS_ENOTFOUND: case -ENOENT: return EXIT_NOTFOUND;
	case LS_EEXIST: case LS_ECONFLICT: return EXIT_CONFLICT;
	default: return EXIT_STORE;
	}
}

/* {"error"} or "zonectl: what"; with a reason, {"error","reason","messages"} or the
 * messages and "zonectl: what: reason". */
static void print_error(struct ctl *c, const char *reason, const char *fmt, va_list ap)
{
	char what[1024];
	vsnprintf(what, sizeof(what), fmt, ap);
	if (reason == NULL && c->json) {
		ctl_json_print(json_pack("{s:o}", "error", ctl_json_string(what)));
	} else if (reason == NULL) {
		fprintf(stderr, "zonectl: %s\n", what);
	} else if (c->json) {
		ctl_json_print(json_pack("{s:o,s:o,s:o}", "error", ctl_json_string(what),
		                         "reason", ctl_json_string(reason),
		                         "messages", ctl_json_diag(&c->d)));
	} else {
		diag_print(&c->d, stderr);
		fprintf(stderr, "zonectl: %s: %s\n", what, reason);
	}
}

int ctl_fail(struct ctl *c, int rc, const char *fmt, ...)
{
	va_list ap;
	char reason[4400];
	diag_sort(&c->d);
	/* A full disk: say which file could not be written, the store's or another. */
	if ((rc == -ENOSPC || rc == -EDQUOT) && c->writing != NULL)
		snprintf(reason, sizeof(reason), "%s (writing %s)", ls_strerror(rc), c->writing);
	else if ((rc == -ENOSPC || rc == -EDQUOT) && c->st != NULL)
		snprintf(reason, sizeof(reason), "%s (writing the store in %s)", ls_strerror(rc),
		         c->state);
	else
		snprintf(reason, sizeof(reason), "%s", ls_strerror(rc));
	va_start(ap, fmt);
	print_error(c, reason, fmt, ap);
	va_end(ap);
	return exit_code(rc);
}

int ctl_fail_msg(struct ctl *c, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	print_error(c, NULL, fmt, ap);
	va_end(ap);
	return code;
}

int ctl_list_done(struct ctl_out *o, struct store_txn *t, int rc, const char *what)
{
	int ec = ctl_out_list_finish(o);
	store_abort(t);
	return rc ? ctl_fail(o->c, rc, "%s", what) : ec;
}

/* One side of a diff: every record with --json, else the first DIFF_SHOW_MAX lines. */
static void print_rrs(struct ctl_out *o, const char *key, const char *sign, const struct rr *v,
                      size_t n)
{
	bool json = o->c->json;
	ctl_out_list(o, key);
	for (size_t i = 0; i < n && (json || i < DIFF_SHOW_MAX); i++) {
		char *s = rr_format(&v[i]);
		if (json)
			ctl_out_item(o, ctl_json_string(s ? s : "?"));
		else
			printf("%s %s\n", sign, s ? s : "?");
		free(s);
	}
	ctl_out_list_end(o);
	if (!json && n > DIFF_SHOW_MAX)
		printf("%s ... and %zu more\n", sign, n - DIFF_SHOW_MAX);
}

int ctl_result(struct ctl *c, const uint8_t *apex, int rc, const struct zone_result *res)
{
	char zone[DNAME_STR_MAX];
	struct ctl_out o;
	dname_format(zone, apex);
	if (rc != 0 && rc != LS_ENOCHANGE)
		return ctl_fail(c, rc, "zone %s unchanged", zone);
	diag_sort(&c->d);
	const struct zone_diff *df = &res->diff;
	if (c->json) {
		ctl_out_begin(&o, c);
		ctl_out_put(&o, "zone", ctl_json_string(zone));
		ctl_out_put(&o, "changed", json_boolean(rc != LS_ENOCHANGE));
		if (rc != LS_ENOCHANGE) {
			ctl_out_put(&o, "created", json_boolean(df->created));
			ctl_out_put(&o, "serial_old", json_integer(df->old_serial));
			ctl_out_put(&o, "serial", json_integer(df->new_serial));
			ctl_out_put(&o, "records", json_integer((json_int_t)df->records));
			print_rrs(&o, "removed", "-", df->del, df->ndel);
			print_rrs(&o, "added", "+", df->add, df->nadd);
		}
		ctl_out_put(&o, "warnings", ctl_json_diag(&c->d));
		return ctl_out_end(&o);
	}
	diag_print(&c->d, stderr);
	if (rc == LS_ENOCHANGE) {
		printf("zone %s: no changes\n", zone);
		return EXIT_OK;
	}
	if (df->created) {
		printf("zone %s created: %zu records, serial %u\n", zone, df->records, df->new_serial);
		return EXIT_OK;
	}
	ctl_out_begin(&o, c);
	print_rrs(&o, NULL, "-", df->del, df->ndel);
	print_rrs(&o, NULL, "+", df->add, df->nadd);
	printf("zone %s: serial %u -> %u (%zu removed, %zu added)\n", zone, df->old_serial,
	       df->new_serial, df->ndel, df->nadd);
	return EXIT_OK;
}
