/* A check's result: problems added one by one, the checks that ran, the JSON form. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shared/check/check.h"

static int vadd(struct check_result *r, enum check_level level, const char *code,
                const char *subject, const char *fix, const char *fmt, va_list ap)
{
	if (r->n_problems == CHECK_MAX_PROBLEMS)
		return 0;
	/* Grows by doubling; a result rarely has more than a handful. */
	if ((r->n_problems & (r->n_problems - 1)) == 0) {
		size_t cap = r->n_problems ? r->n_problems * 2 : 4;
		struct check_problem *np = realloc(r->problems, cap * sizeof(*np));
		if (np == NULL)
			return -ENOMEM;
		r->problems = np;
	}
	struct check_problem *p = &r->problems[r->n_problems++];
	memset(p, 0, sizeof(*p));
	snprintf(p->code, sizeof(p->code), "%s", code);
	p->level = level;
	snprintf(p->subject, sizeof(p->subject), "%s", subject ? subject : "");
	snprintf(p->fix, sizeof(p->fix), "%s", fix ? fix : "");
	vsnprintf(p->message, sizeof(p->message), fmt, ap);
	if (p->level > r->status)
		r->status = p->level;
	return 0;
}

int check_result_add(struct check_result *r, const char *code, const char *subject,
                     const char *fix, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vadd(r, check_code_level(code), code, subject, fix, fmt, ap);
	va_end(ap);
	return rc;
}

int check_result_add_level(struct check_result *r, enum check_level level, const char *code,
                           const char *subject, const char *fix, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vadd(r, level, code, subject, fix, fmt, ap);
	va_end(ap);
	return rc;
}

bool check_result_has(const struct check_result *r, const char *code, const char *subject)
{
	for (size_t i = 0; i < r->n_problems; i++)
		if (strcmp(r->problems[i].code, code) == 0 &&
		    (subject == NULL || strcmp(r->problems[i].subject, subject) == 0))
			return true;
	return false;
}

void check_result_ran(struct check_result *r, const char *name)
{
	for (size_t i = 0; i < r->n_checked; i++)
		if (strcmp(r->checked[i], name) == 0)
			return;
	const char **nc = realloc(r->checked, (r->n_checked + 1) * sizeof(*nc));
	if (nc == NULL)
		return;
	r->checked = nc;
	r->checked[r->n_checked++] = name;
}

void check_result_free(struct check_result *r)
{
	free(r->problems);
	free(r->checked);
	r->problems = NULL;
	r->checked = NULL;
	r->n_problems = r->n_checked = 0;
}

json_t *check_result_json(const struct check_result *r)
{
	/* "status" is ok, warn or error: an info problem leaves the domain ok. */
	enum check_level st = r->status == CHECK_INFO ? CHECK_OK : r->status;
	json_t *probs = json_array(), *checked = json_array();
	json_t *o = json_pack("{s:s, s:s}", "domain", r->domain, "status", check_level_name(st));
	if (o == NULL || probs == NULL || checked == NULL)
		goto fail;
	for (size_t i = 0; i < r->n_problems; i++) {
		const struct check_problem *p = &r->problems[i];
		json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s?}", "code", p->code, "level",
		                      check_level_name(p->level), "subject", p->subject, "message",
		                      p->message, "fix", p->fix[0] ? p->fix : NULL);
		if (e == NULL || json_array_append_new(probs, e) != 0)
			goto fail;
	}
	for (size_t i = 0; i < r->n_checked; i++)
		if (json_array_append_new(checked, json_string(r->checked[i])) != 0)
			goto fail;
	if (json_object_set_new(o, "problems", probs) != 0) {
		probs = NULL;
		goto fail;
	}
	probs = NULL;
	if (json_object_set_new(o, "checked", checked) != 0)
		checked = NULL;
	else
		return o;
fail:
	json_decref(probs);
	json_decref(checked);
	json_decref(o);
	return NULL;
}
