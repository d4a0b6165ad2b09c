/* zonectl output: errors with exit codes, commit results, JSON helpers. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dnsd/zonectl/zonectl.h"
#include "shared/err.h"
#include "shared/rrtext.h"

#define DIFF_SHOW_MAX 1000   /* diff lines shown per side; --json shows all */

void json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void json_diag(FILE *out, const struct diag *d)
{
	fputc('[', out);
	for (size_t i = 0; i < d->n; i++) {
		const struct diag_msg *m = &d->v[i];
		fprintf(out, "%s{\"severity\":\"%s\",\"file\":", i ? "," : "",
		        m->sev == DIAG_ERROR ? "error" : "warning");
		if (m->file)
			json_str(out, m->file);
		else
			fputs("null", out);
		fprintf(out, ",\"line\":%u,\"message\":", m->line);
		json_str(out, m->text ? m->text : "");
		fputc('}', out);
	}
	fputc(']', out);
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

int ctl_fail(struct ctl *c, int rc, const char *fmt, ...)
{
	char what[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	diag_sort(&c->d);
	if (c->json) {
		printf("{\"error\":");
		json_str(stdout, what);
		printf(",\"reason\":");
		json_str(stdout, ls_strerror(rc));
		printf(",\"messages\":");
		json_diag(stdout, &c->d);
		printf("}\n");
	} else {
		diag_print(&c->d, stderr);
		fprintf(stderr, "zonectl: %s: %s\n", what, ls_strerror(rc));
	}
	return exit_code(rc);
}

static void print_rrs(FILE *out, const char *sign, const struct rr *v, size_t n, bool json)
{
	for (size_t i = 0; i < n; i++) {
		char *s = rr_format(&v[i]);
		if (json) {
			if (i)
				fputc(',', out);
			json_str(out, s ? s : "?");
		} else if (i < DIFF_SHOW_MAX) {
			fprintf(out, "%s %s\n", sign, s ? s : "?");
		}
		free(s);
	}
	if (!json && n > DIFF_SHOW_MAX)
		fprintf(out, "%s ... and %zu more\n", sign, n - DIFF_SHOW_MAX);
}

int ctl_result(struct ctl *c, const uint8_t *apex, int rc, const struct zone_result *res)
{
	char zone[DNAME_STR_MAX];
	dname_format(zone, apex);
	if (rc != 0 && rc != LS_ENOCHANGE)
		return ctl_fail(c, rc, "zone %s unchanged", zone);
	diag_sort(&c->d);
	const struct zone_diff *df = &res->diff;
	if (c->json) {
		printf("{\"zone\":");
		json_str(stdout, zone);
		if (rc == LS_ENOCHANGE) {
			printf(",\"changed\":false,\"warnings\":");
			json_diag(stdout, &c->d);
			printf("}\n");
			return EXIT_OK;
		}
		printf(",\"changed\":true,\"created\":%s,\"serial_old\":%u,\"serial\":%u,"
		       "\"records\":%zu,\"removed\":[", df->created ? "true" : "false",
		       df->old_serial, df->new_serial, df->records);
		print_rrs(stdout, "-", df->del, df->ndel, true);
		printf("],\"added\":[");
		print_rrs(stdout, "+", df->add, df->nadd, true);
		printf("],\"warnings\":");
		json_diag(stdout, &c->d);
		printf("}\n");
		return EXIT_OK;
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
	print_rrs(stdout, "-", df->del, df->ndel, false);
	print_rrs(stdout, "+", df->add, df->nadd, false);
	printf("zone %s: serial %u -> %u (%zu removed, %zu added)\n", zone, df->old_serial,
	       df->new_serial, df->ndel, df->nadd);
	return EXIT_OK;
}
