/* Reading one TLS report's JSON (RFC 8460 4.3) into struct tlsrpt_report, with jansson. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <jansson.h>
#include "shared/util/err.h"
#include "shared/rpt/tlsrpt_parse.h"

struct ctx {
	char *why;
	size_t whylen;
	size_t ndetails;          /* across all policies */
};

__attribute__((format(printf, 2, 3)))
static int bad(struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (c->whylen)
		vsnprintf(c->why, c->whylen, fmt, ap);
	va_end(ap);
	return LS_EPARSE;
}

/* At most cap - 1 bytes of s, cut before a character rather than inside one (jansson gave
 * valid UTF-8; a cut inside a character would make the stored rows invalid JSON). */
static size_t text_len(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap - 1);
	if (s[n] != 0)
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	return n;
}

static void copy_cut(char *out, size_t cap, const char *s)
{
	size_t n = text_len(s, cap);
	memcpy(out, s, n);
	out[n] = 0;
}

/* A name as we key on it: lower case, no trailing dot; too long is cut (never matched). */
static void copy_name(char *out, const char *s)
{
	size_t n = text_len(s, TLSRPT_TEXT_MAX);
	for (size_t i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	while (n > 0 && out[n - 1] == '.')
		n--;
	out[n] = 0;
}

static void copy_text(char *out, size_t cap, json_t *v)
{
	copy_cut(out, cap, json_is_string(v) ? json_string_value(v) : "");
}

/* A count: strict, since a wrong one would be summed. */
static bool is_count(json_t *v)
{
	return json_is_integer(v) && json_integer_value(v) >= 0 &&
	       json_integer_value(v) <= TLSRPT_COUNT_MAX;
}

static int count(struct ctx *c, json_t *v, const char *where, uint64_t *out)
{
	if (!is_count(v))
		return bad(c, "%s: not a count (a whole number from 0)", where);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (!isdigit((unsigned char)**p))
			return -1;
		v = v * 10 + (**p - '0');
	}
	*out = v;
	return 0;
}

int tlsrpt_parse_time(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 0;
	const char *p = s;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return LS_EPARSE;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
		    digits(&p, 2, &sec))
			return LS_EPARSE;
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p))
				return LS_EPARSE;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '+' ? 1 : -1;
			if (digits(&p, 2, &oh))
				return LS_EPARSE;
			if (*p == ':')
				p++;
			if (digits(&p, 2, &om))
				return LS_EPARSE;
		}
	}
	if (*p != 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 ||
	    oh > 23 || om > 59 || y < 1970)
		return LS_EPARSE;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	                 .tm_hour = h, .tm_min = mi, .tm_sec = sec };
	*out = (int64_t)timegm(&tm) - sign * (oh * 3600 + om * 60);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One line in its compared form, or NULL when it is empty. */
static char *norm_line(const char *s, size_t n)
{
	n = strnlen(s, n);            /* a NUL ends the line: the result is a C string */
	while (n > 0 && isspace((unsigned char)*s))
		s++, n--;
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	if (n == 0)
		return NULL;
	char *out = malloc(n + 2), *q = out;
	if (out == NULL)
		return NULL;
	const char *colon = memchr(s, ':', n);
	size_t k = colon ? (size_t)(colon - s) : n;
	while (k > 0 && isspace((unsigned char)s[k - 1]))
		k--;
	for (size_t i = 0; i < k; i++)
		*q++ = (char)tolower((unsigned char)s[i]);
	if (colon) {
		const char *v = colon + 1, *end = s + n;
		while (v < end && isspace((unsigned char)*v))
			v++;
		*q++ = ':';
		if (v < end)
			*q++ = ' ';
		while (v < end)
			*q++ = (char)tolower((unsigned char)*v++);
	}
	*q = 0;
	return out;
}

static char *join(char **v, size_t n)
{
	size_t total = 1, k = 0;
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++)
		total += strlen(v[i]) + 1;
	char *out = n ? malloc(total) : NULL, *q = out;
	for (size_t i = 0; out && i < n; i++) {
		if (i > 0 && strcmp(v[i], v[i - 1]) == 0)
			continue;
		if (k++)
			*q++ = '\n';
		size_t l = strlen(v[i]);
		memcpy(q, v[i], l);
		q += l;
	}
	if (out)
		*q = 0;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return out;
}

char *tlsrpt_parse_lines(const char *const *lines, size_t n)
{
	char **v = calloc(n ? n : 1, sizeof(*v));
	size_t m = 0;
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((v[m] = norm_line(lines[i], strlen(lines[i]))) != NULL)
			m++;
	return join(v, m);
}

char *tlsrpt_parse_body(const char *body, size_t len)
{
	size_t n = 1, m = 0;
	for (size_t i = 0; i < len; i++)
		n += body[i] == '\n';
	char **v = calloc(n, sizeof(*v));
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < len && m < n;) {
		const char *nl = memchr(body + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - body) - i : len - i;
		if ((v[m] = norm_line(body + i, l)) != NULL)
			m++;
		i += l + 1;
	}
	return join(v, m);
}

static bool mx_match(const char *pattern, size_t plen, const char *host)
{
	if (plen >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		const char *dot = strchr(host, '.');
		return dot && strlen(dot) == plen - 1 && strncasecmp(dot, pattern + 1, plen - 1) == 0;
	}
	return strlen(host) == plen && strncasecmp(host, pattern, plen) == 0;
}

bool tlsrpt_parse_names_mx(const char *body, size_t len, const char *host)
{
	for (size_t i = 0; i < len;) {
		const char *nl = memchr(body + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - body) - i : len - i;
		const char *v = body + i, *end = body + i + l;
		i += l + 1;
		if (l <= 3 || strncmp(v, "mx:", 3) != 0)
			continue;
		for (v += 3; v < end && *v == ' '; v++)
			;
		while (end > v && (end[-1] == '\r' || end[-1] == ' '))
			end--;
		if (end > v && mx_match(v, (size_t)(end - v), host))
			return true;
	}
	return false;
}

static int policy_string(struct ctx *c, json_t *a, struct tlsrpt_policy *p, size_t idx)
{
	if (!json_is_array(a) || json_array_size(a) == 0)
		return 0;                    /* absent or empty: version "unknown" */
	size_t n = json_array_size(a), total = 0;
	const char **v = calloc(n, sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(a, i);
		v[i] = json_is_string(s) ? json_string_value(s) : "";
		total += strlen(v[i]) + 1;
	}
	if (total > TLSRPT_POLICY_TEXT_MAX) {
		free(v);
		bad(c, "policies[%zu].policy.policy-string: longer than %d bytes", idx,
		    TLSRPT_POLICY_TEXT_MAX);
		return LS_ETOOBIG;
	}
	p->lines = tlsrpt_parse_lines(v, n);
	free(v);
	return 0;
}

static int detail(struct ctx *c, json_t *o, struct tlsrpt_detail *d, size_t pi, size_t di)
{
	/* The place is written only for an error: a report has thousands of details. */
	if (!json_is_object(o))
		return bad(c, "policies[%zu].failure-details[%zu]: not an object", pi, di);
	json_t *rt = json_object_get(o, "result-type");
	if (!json_is_string(rt) || json_string_length(rt) == 0)
		return bad(c, "policies[%zu].failure-details[%zu]: no result-type", pi, di);
	copy_cut(d->result_type, sizeof(d->result_type), json_string_value(rt));
	for (char *q = d->result_type; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	copy_text(d->sending_ip, sizeof(d->sending_ip), json_object_get(o, "sending-mta-ip"));
	copy_text(d->receiving_ip, sizeof(d->receiving_ip), json_object_get(o, "receiving-ip"));
	json_t *mx = json_object_get(o, "receiving-mx-hostname");
	copy_name(d->receiving_mx, json_is_string(mx) ? json_string_value(mx) : "");
	json_t *n = json_object_get(o, "failed-session-count");
	if (!is_count(n))
		return bad(c, "policies[%zu].failure-details[%zu].failed-session-count: not a count "
		           "(a whole number from 0)", pi, di);
	d->count = (uint64_t)json_integer_value(n);
	return 0;
}

static int policy(struct ctx *c, json_t *o, struct tlsrpt_policy *p, size_t idx)
{
	if (!json_is_object(o))
		return bad(c, "policies[%zu]: not an object", idx);
	json_t *pol = json_object_get(o, "policy"), *sum = json_object_get(o, "summary");
	if (!json_is_object(pol))
		return bad(c, "policies[%zu]: no policy object", idx);
	if (!json_is_object(sum))
		return bad(c, "policies[%zu]: no summary object", idx);
	json_t *t = json_object_get(pol, "policy-type");
	copy_cut(p->type, sizeof(p->type), json_is_string(t) ? json_string_value(t) : "");
	json_t *dom = json_object_get(pol, "policy-domain");
	copy_name(p->domain, json_is_string(dom) ? json_string_value(dom) : "");
	json_t *mx = json_object_get(pol, "mx-host");
	if (json_is_string(mx)) {
		copy_name(p->mx[p->nmx++], json_string_value(mx));
	} else if (json_is_array(mx)) {
		for (size_t i = 0; i < json_array_size(mx) && p->nmx < TLSRPT_MX_MAX; i++)
			if (json_is_string(json_array_get(mx, i)))
				copy_name(p->mx[p->nmx++], json_string_value(json_array_get(mx, i)));
	}
	int rc = policy_string(c, json_object_get(pol, "policy-string"), p, idx);
	char where[80];
	snprintf(where, sizeof(where), "policies[%zu].summary.total-successful-session-count", idx);
	if (rc || (rc = count(c, json_object_get(sum, "total-successful-session-count"), where,
	                      &p->success)))
		return rc;
	snprintf(where, sizeof(where), "policies[%zu].summary.total-failure-session-count", idx);
	if ((rc = count(c, json_object_get(sum, "total-failure-session-count"), where, &p->failure)))
		return rc;
	json_t *fd = json_object_get(o, "failure-details");
	size_t n = json_is_array(fd) ? json_array_size(fd) : 0;
	if (n == 0)
		return 0;
	if (n > TLSRPT_DETAILS_MAX - c->ndetails) {
		bad(c, "more than %d failure-details", TLSRPT_DETAILS_MAX);
		return LS_ETOOBIG;
	}
	if ((p->details = calloc(n, sizeof(*p->details))) == NULL)
		return -ENOMEM;
	c->ndetails += n;
	for (size_t i = 0; i < n; i++, p->ndetails++)
		if ((rc = detail(c, json_array_get(fd, i), &p->details[i], idx, i)) != 0)
			return rc;
	return 0;
}

static int required_text(struct ctx *c, json_t *root, const char *key, char *out)
{
	json_t *v = json_object_get(root, key);
	if (!json_is_string(v) || json_string_length(v) == 0)
		return bad(c, "no %s", key);
	if (json_string_length(v) >= TLSRPT_TEXT_MAX)
		return bad(c, "%s: longer than %d bytes", key, TLSRPT_TEXT_MAX - 1);
	copy_text(out, TLSRPT_TEXT_MAX, v);
	return 0;
}

static int date_range(struct ctx *c, json_t *root, struct tlsrpt_report *r)
{
	json_t *dr = json_object_get(root, "date-range");
	json_t *s = json_object_get(dr, "start-datetime"), *e = json_object_get(dr, "end-datetime");
	if (!json_is_string(s) || tlsrpt_parse_time(json_string_value(s), &r->start))
		return bad(c, "date-range.start-datetime: not an RFC 3339 date-time");
	if (e == NULL || json_is_null(e)) {
		r->end = r->start;
		return 0;
	}
	if (!json_is_string(e) || tlsrpt_parse_time(json_string_value(e), &r->end))
		return bad(c, "date-range.end-datetime: not an RFC 3339 date-time");
	return 0;
}

int tlsrpt_parse(const char *json, size_t len, struct tlsrpt_report **out, char *why,
                 size_t whylen)
{
	struct ctx c = { why, whylen, 0 };
	json_error_t err;
	int rc;
	if (whylen)
		why[0] = 0;
	json_t *root = json_loadb(json, len, 0, &err);
	if (root == NULL)
		return bad(&c, "not JSON: line %d: %s", err.line, err.text);
	struct tlsrpt_report *r = calloc(1, sizeof(*r));
	if (r == NULL) {
		json_decref(root);
		return -ENOMEM;
	}
	json_t *pols = json_object_get(root, "policies");
	if (!json_is_object(root)) {
		rc = bad(&c, "not a TLS report (not a JSON object)");
		goto fail;
	}
	if ((rc = required_text(&c, root, "organization-name", r->org)) ||
	    (rc = required_text(&c, root, "report-id", r->report_id)) ||
	    (rc = date_range(&c, root, r)))
		goto fail;
	if (!json_is_array(pols) || json_array_size(pols) == 0) {
		rc = bad(&c, "no policies");
		goto fail;
	}
	if (json_array_size(pols) > TLSRPT_POLICIES_MAX) {
		bad(&c, "more than %d policies", TLSRPT_POLICIES_MAX);
		rc = LS_ETOOBIG;
		goto fail;
	}
	r->policies = calloc(json_array_size(pols), sizeof(*r->policies));
	if (r->policies == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < json_array_size(pols); i++, r->npolicies++)
		if ((rc = policy(&c, json_array_get(pols, i), &r->policies[i], i)) != 0) {
			r->npolicies++;        /* free what it holds */
			goto fail;
		}
	json_decref(root);
	*out = r;
	return 0;
fail:
	json_decref(root);
	tlsrpt_report_free(r);
	return rc;
}

void tlsrpt_report_free(struct tlsrpt_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->npolicies; i++) {
		free(r->policies[i].lines);
		free(r->policies[i].details);
	}
	free(r->policies);
	free(r);
}
