/* A summary row's JSON text, written directly (see tlsrpt_row.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/rpt/tlsrpt_row.h"

struct out {
	char *p;
	size_t n, cap;
	bool oom;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->n + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 1024;
		while (cap < o->n + n + 1)
			cap *= 2;
		char *grown = realloc(o->p, cap);
		if (grown == NULL) {
			o->oom = true;
			return;
		}
		o->p = grown;
		o->cap = cap;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
	o->p[o->n] = 0;
}

static void put_lit(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_num(struct out *o, int64_t v)
{
	char buf[24];
	put(o, buf, (size_t)snprintf(buf, sizeof(buf), "%" PRId64, v));
}

/* JSON's escapes; UTF-8 passes as it is (the text was checked). */
static void put_str(struct out *o, const char *s)
{
	put(o, "\"", 1);
	for (const char *run = s;; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(o, run, (size_t)(s - run));
		if (c == 0)
			break;
		char esc[8];
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		put_lit(o, esc);
		run = s + 1;
	}
	put(o, "\"", 1);
}

/* Well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF), as jansson
 * requires of every string it takes. */
static bool utf8_ok(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p, need, min;
		if (c < 0x80) {
			p++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			need = 1, min = 0x80, c &= 0x1f;
		else if ((c & 0xf0) == 0xe0)
			need = 2, min = 0x800, c &= 0x0f;
		else if ((c & 0xf8) == 0xf0)
			need = 3, min = 0x10000, c &= 0x07;
		else
			return false;
		for (unsigned i = 1; i <= need; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			c = c << 6 | (p[i] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		p += need + 1;
	}
	return true;
}

static int cmp_key(const struct tlsrpt_detail *x, const struct tlsrpt_detail *y)
{
	int c = strcmp(x->result_type, y->result_type);
	if (c == 0)
		c = strcmp(x->receiving_mx, y->receiving_mx);
	return c ? c : strcmp(x->sending_ip, y->sending_ip);
}

static bool same(const struct tlsrpt_detail *x, const struct tlsrpt_detail *y)
{
	return cmp_key(x, y) == 0;
}

/* By key, then by place: the first of equal details heads them. */
static int cmp_detail(const void *a, const void *b, void *ctx)
{
	const struct tlsrpt_detail *v = ctx;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = cmp_key(&v[i], &v[j]);
	return c ? c : i < j ? -1 : 1;
}

/* The details' sums: sum[i] for the first detail of each (type, MX, IP), -1 for the others
 * and for the left out. */
static int sums(const struct tlsrpt_policy *p, int64_t *sum)
{
	const struct tlsrpt_detail *v = p->details;
	size_t *order = malloc((p->ndetails ? p->ndetails : 1) * sizeof(*order)), m = 0;
	if (order == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < p->ndetails; i++) {
		sum[i] = -1;
		if (utf8_ok(v[i].result_type) && utf8_ok(v[i].receiving_mx) && utf8_ok(v[i].sending_ip))
			order[m++] = i;
	}
	qsort_r(order, m, sizeof(*order), cmp_detail, (void *)v);
	for (size_t i = 0, head = 0; i < m; i++) {
		if (i == 0 || !same(&v[order[head]], &v[order[i]])) {
			head = i;
			sum[order[head]] = 0;
		}
		sum[order[head]] += (int64_t)v[order[i]].count;
	}
	free(order);
	return 0;
}

int tlsrpt_row_format(const char *org, const struct tlsrpt_policy *p, int64_t version,
                      char **text, size_t *len)
{
	struct out o = { NULL, 0, 0, false };
	int64_t *sum = malloc((p->ndetails ? p->ndetails : 1) * sizeof(*sum));
	int rc = sum ? sums(p, sum) : -ENOMEM;
	if (rc)
		goto fail;
	if (!utf8_ok(org) || !utf8_ok(p->type)) {
		rc = LS_EPARSE;
		goto fail;
	}
	put_lit(&o, "{\"org\":");
	put_str(&o, org);
	put_lit(&o, ",\"type\":");
	put_str(&o, p->type);
	put_lit(&o, ",\"version\":");
	if (version < 0)
		put_lit(&o, "null");
	else
		put_num(&o, version);
	put_lit(&o, ",\"success\":");
	put_num(&o, (int64_t)p->success);
	put_lit(&o, ",\"failure\":");
	put_num(&o, (int64_t)p->failure);
	put_lit(&o, ",\"details\":[");
	for (size_t i = 0, k = 0; i < p->ndetails; i++) {
		if (sum[i] < 0)
			continue;
		put_lit(&o, k++ ? ",{\"type\":" : "{\"type\":");
		put_str(&o, p->details[i].result_type);
		put_lit(&o, ",\"mx\":");
		put_str(&o, p->details[i].receiving_mx);
		put_lit(&o, ",\"ip\":");
		put_str(&o, p->details[i].sending_ip);
		put_lit(&o, ",\"count\":");
		put_num(&o, sum[i]);
		put_lit(&o, "}");
	}
	put_lit(&o, "]}");
	if (o.oom) {
		rc = -ENOMEM;
		goto fail;
	}
	free(sum);
	*text = o.p;
	*len = o.n;
	return 0;
fail:
	free(sum);
	free(o.p);
	return rc;
}
