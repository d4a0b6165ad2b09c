/* API request heads: httpsd's parser first, then the fields only the API reads. */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "httpsd/api/api_request.h"

static bool ieq(const char *p, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(p, lit, n) == 0;
}

/* Percent-decodes p[0..n) into out[cap] with a NUL; plus: '+' is a space. Returns the length,
 * or -1 for a bad escape, an encoded NUL or too long. */
static int decode(const char *p, size_t n, bool plus, char *out, size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)p[i];
		if (c == '%') {
			if (i + 2 >= n || !isxdigit((unsigned char)p[i + 1]) ||
			    !isxdigit((unsigned char)p[i + 2]))
				return -1;
			char hex[3] = { p[i + 1], p[i + 2], 0 };
			c = (int)strtol(hex, NULL, 16);
			if (c == 0)
				return -1;
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (k + 1 >= cap)
			return -1;
		out[k++] = (char)c;
	}
	out[k] = 0;
	return (int)k;
}

static enum api_method method_of(struct http_str m)
{
	static const struct { const char *name; enum api_method m; } t[] = {
		{ "GET", API_GET }, { "HEAD", API_HEAD }, { "POST", API_POST }, { "PUT", API_PUT },
		{ "PATCH", API_PATCH }, { "DELETE", API_DELETE },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strlen(t[i].name) == m.len && memcmp(t[i].name, m.p, m.len) == 0)
			return t[i].m;
	return API_OTHER;
}

/* The header fields the API reads; http_parse() has already checked every line's form. */
static int fields(const char *buf, size_t len, struct api_req *r)
{
	const char *p = memchr(buf, '\n', len);
	while (p && (size_t)(p + 1 - buf) < len) {
		const char *line = p + 1, *nl = memchr(line, '\n', len - (size_t)(line - buf));
		size_t n = nl ? (size_t)(nl - line) : len - (size_t)(line - buf);
		if (n && line[n - 1] == '\r')
			n--;
		const char *colon = memchr(line, ':', n);
		if (n && colon) {
			size_t nl_ = (size_t)(colon - line);
			const char *v = colon + 1;
			size_t vl = n - nl_ - 1;
			while (vl && (*v == ' ' || *v == '\t'))
				v++, vl--;
			while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
				vl--;
			if (ieq(line, nl_, "x-api-key")) {
				r->key = (struct http_str){ v, vl };
			} else if (ieq(line, nl_, "authorization") && vl > 7 &&
			           strncasecmp(v, "bearer ", 7) == 0 && r->key.len == 0) {
				r->key = (struct http_str){ v + 7, vl - 7 };
				while (r->key.len && *r->key.p == ' ')
					r->key.p++, r->key.len--;
			} else if (ieq(line, nl_, "expect")) {
				if (!ieq(v, vl, "100-continue"))
					return 417;
				r->expect_continue = true;
			}
		}
		p = nl;
	}
	return 0;
}

int api_request_parse(const char *buf, size_t len, struct api_req *r)
{
	memset(r, 0, sizeof(*r));
	int rc = http_parse(buf, len, &r->h);
	if (rc)
		return rc;
	r->method = method_of(r->h.method_text);
	if (decode(r->h.path.p, r->h.path.len, false, r->path, sizeof(r->path)) < 0)
		return r->h.path.len >= API_PATH_MAX ? 414 : 400;
	/* The target ends at the space before the version; the query is what follows '?'. */
	/* An absolute-form target without a path gets a static "/": no query then. */
	uintptr_t b = (uintptr_t)buf, p = (uintptr_t)r->h.path.p;
	const char *after = r->h.path.p + r->h.path.len, *end = buf + len;
	if (p >= b && p < b + len && after < end && *after == '?') {
		const char *sp = memchr(after, ' ', (size_t)(end - after));
		if (sp == NULL)
			return 400;
		r->query = (struct http_str){ after + 1, (size_t)(sp - after - 1) };
		if (r->query.len > API_QUERY_MAX)
			return 414;
	}
	return fields(buf, len, r);
}

int api_request_param(const struct api_req *r, const char *name, char out[API_PARAM_MAX])
{
	size_t nl = strlen(name), pos = 0;
	const char *q = r->query.p;
	while (q && pos <= r->query.len && r->query.len) {
		const char *amp = memchr(q + pos, '&', r->query.len - pos);
		size_t end = amp ? (size_t)(amp - q) : r->query.len;
		const char *eq = memchr(q + pos, '=', end - pos);
		size_t kl = eq ? (size_t)(eq - q) - pos : end - pos;
		if (kl == nl && memcmp(q + pos, name, nl) == 0) {
			const char *v = eq ? eq + 1 : q + end;
			int n = decode(v, (size_t)(q + end - v), true, out, API_PARAM_MAX);
			return n < 0 ? -2 : n;
		}
		if (amp == NULL)
			break;
		pos = end + 1;
	}
	return -1;
}
