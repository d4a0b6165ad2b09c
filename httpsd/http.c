/* HTTP/1.1 request heads parsed strictly (RFC 9112), and response heads; no I/O here. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "httpsd/http.h"

#define CL_DIGITS_MAX 15            /* longer Content-Length values count as "too large" */

size_t http_head_end(const char *buf, size_t len, struct http_scan *s)
{
	while (s->pos < len) {
		const char *nl = memchr(buf + s->pos, '\n', len - s->pos);
		if (nl == NULL) {
			s->pos = len;
			return 0;
		}
		size_t i = (size_t)(nl - buf), n = i - s->line_start;
		bool empty = n == 0 || (n == 1 && buf[s->line_start] == '\r');
		s->pos = s->line_start = i + 1;
		if (!empty)
			s->seen_line = true;
		else if (s->seen_line)
			return i + 1;
	}
	return 0;
}

/* RFC 9110 5.6.2 token characters. */
static bool is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_token(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)p[i]))
			return false;
	return true;
}

static bool ieq(const char *p, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(p, lit, n) == 0;
}

/* The next line of the head without its line end; false after the last. */
static bool next_line(const char *buf, size_t len, size_t *pos, struct http_str *line)
{
	if (*pos >= len)
		return false;
	const char *nl = memchr(buf + *pos, '\n', len - *pos);
	size_t end = nl ? (size_t)(nl - buf) : len;
	line->p = buf + *pos;
	line->len = end - *pos;
	if (line->len > 0 && line->p[line->len - 1] == '\r')
		line->len--;
	*pos = end + 1;
	return true;
}

/* A Host value: a name or IPv4 address, or [IPv6], each with an optional :port. */
static bool parse_host(const char *p, size_t n, struct http_str *host)
{
	size_t i = 0;
	if (n > 0 && p[0] == '[') {
		const char *close = memchr(p, ']', n);
		if (close == NULL || close == p + 1)
			return false;
		for (const char *c = p + 1; c < close; c++)
			if (!strchr("0123456789abcdefABCDEF:.", *c))
				return false;
		i = (size_t)(close - p) + 1;
	} else {
		while (i < n && p[i] != ':') {
			unsigned char c = (unsigned char)p[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			      c == '-' || c == '.' || c == '_'))
				return false;
			i++;
		}
		if (i == 0)
			return false;
	}
	host->p = p;
	host->len = i;
	if (i == n)
		return true;
	if (p[i] != ':' || n - i - 1 > 5)
		return false;
	for (size_t k = i + 1; k < n; k++)
		if (p[k] < '0' || p[k] > '9')
			return false;
	return true;
}

/* Origin-form, absolute-form or asterisk-form (RFC 9112 3.2); 0 or 400. */
static int parse_target(const char *p, size_t n, struct http_req *req, bool *absolute)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f)
			return 400;
	*absolute = false;
	if (n == 1 && p[0] == '*') {
		if (!ieq(req->method_text.p, req->method_text.len, "OPTIONS") ||
		    req->method_text.p[0] != 'O')
			return 400;
		req->path = (struct http_str){ p, 1 };
		return 0;
	}
	size_t skip = 0;
	if (n > 8 && strncasecmp(p, "https://", 8) == 0)
		skip = 8;
	else if (n > 7 && strncasecmp(p, "http://", 7) == 0)
		skip = 7;
	if (skip) {
		size_t a = skip;
		while (a < n && p[a] != '/' && p[a] != '?')
			a++;
		if (memchr(p + skip, '@', a - skip) || !parse_host(p + skip, a - skip, &req->host))
			return 400;
		*absolute = true;
		p += a;
		n -= a;
		if (n == 0 || p[0] == '?') {
			req->path = (struct http_str){ "/", 1 };
			return 0;
		}
	}
	if (n == 0 || p[0] != '/')
		return 400;
	const char *q = memchr(p, '?', n);
	req->path = (struct http_str){ p, q ? (size_t)(q - p) : n };
	return 0;
}

static int parse_request_line(struct http_str l, struct http_req *req, bool *absolute)
{
	const char *sp1 = memchr(l.p, ' ', l.len);
	if (sp1 == NULL)
		return 400;
	const char *rest = sp1 + 1, *end = l.p + l.len;
	const char *sp2 = memchr(rest, ' ', (size_t)(end - rest));
	if (sp2 == NULL)
		return 400;
	req->method_text = (struct http_str){ l.p, (size_t)(sp1 - l.p) };
	if (!is_token(req->method_text.p, req->method_text.len))
		return 400;
	const char *v = sp2 + 1;
	size_t vlen = (size_t)(end - v);
	/* HTTP-version = "HTTP/" DIGIT "." DIGIT; a well-formed other version gets 505. */
	if (vlen != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
	    v[7] < '0' || v[7] > '9')
		return 400;
	int rc = parse_target(rest, (size_t)(sp2 - rest), req, absolute);
	if (rc)
		return rc;
	if (v[5] != '1' || v[7] > '1')
		return 505;
	req->minor = v[7] - '0';
	struct http_str m = req->method_text;
	req->method = m.len == 3 && memcmp(m.p, "GET", 3) == 0    ? HTTP_GET
	              : m.len == 4 && memcmp(m.p, "HEAD", 4) == 0 ? HTTP_HEAD
	              : m.len == 4 && memcmp(m.p, "POST", 4) == 0 ? HTTP_POST
	                                                          : HTTP_OTHER;
	return 0;
}

/* Content-Length: 1*DIGIT; the same value repeated is allowed, a different one is not. */
static int parse_length(struct http_str v, struct http_req *req, bool *seen)
{
	uint64_t n = 0;
	if (v.len == 0)
		return 400;
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9')
			return 400;
		n = i < CL_DIGITS_MAX ? n * 10 + (uint64_t)(v.p[i] - '0') : UINT64_MAX;
	}
	if (*seen && n != req->content_length)
		return 400;
	*seen = true;
	req->content_length = n;
	return 0;
}

/* Connection: a comma-separated list of tokens. */
static int parse_connection(struct http_str v, bool *close, bool *keep_alive)
{
	size_t i = 0;
	while (i < v.len) {
		size_t s = i;
		while (i < v.len && v.p[i] != ',')
			i++;
		size_t e = i;
		while (s < e && (v.p[s] == ' ' || v.p[s] == '\t'))
			s++;
		while (e > s && (v.p[e - 1] == ' ' || v.p[e - 1] == '\t'))
			e--;
		if (e > s && !is_token(v.p + s, e - s))
			return 400;
		if (ieq(v.p + s, e - s, "close"))
			*close = true;
		else if (ieq(v.p + s, e - s, "keep-alive"))
			*keep_alive = true;
		i++;
	}
	return 0;
}

int http_parse(const char *buf, size_t len, struct http_req *req)
{
	struct http_str l, host_field = { 0 };
	size_t pos = 0, nfields = 0;
	bool absolute = false, has_host = false, has_length = false, has_te = false;
	bool close = false, keep_alive = false, done = false;
	memset(req, 0, sizeof(*req));
	if (memchr(buf, '\0', len))
		return 400;
	do {
		if (!next_line(buf, len, &pos, &l))
			return 400;
	} while (l.len == 0);
	if (memchr(l.p, '\r', l.len))
		return 400;
	int rc = parse_request_line(l, req, &absolute);
	if (rc)
		return rc;
	while (next_line(buf, len, &pos, &l)) {
		if (l.len == 0) {
			done = true;
			break;
		}
		if (memchr(l.p, '\r', l.len) || l.p[0] == ' ' || l.p[0] == '\t')
			return 400;         /* a bare CR, or obs-fold (RFC 9112 5.2) */
		if (++nfields > HTTP_MAX_FIELDS)
			return 431;
		const char *colon = memchr(l.p, ':', l.len);
		if (colon == NULL || !is_token(l.p, (size_t)(colon - l.p)))
			return 400;         /* includes whitespace before the colon (RFC 9112 5.1) */
		struct http_str name = { l.p, (size_t)(colon - l.p) };
		struct http_str v = { colon + 1, (size_t)(l.p + l.len - colon - 1) };
		while (v.len && (v.p[0] == ' ' || v.p[0] == '\t'))
			v.p++, v.len--;
		while (v.len && (v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t'))
			v.len--;
		for (size_t i = 0; i < v.len; i++) {
			unsigned char c = (unsigned char)v.p[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return 400;
		}
		if (ieq(name.p, name.len, "host")) {
			if (has_host)
				return 400;
			has_host = true;
			host_field = v;
		} else if (ieq(name.p, name.len, "content-length")) {
			if ((rc = parse_length(v, req, &has_length)) != 0)
				return rc;
		} else if (ieq(name.p, name.len, "content-type")) {
			const char *semi = memchr(v.p, ';', v.len);
			size_t n = semi ? (size_t)(semi - v.p) : v.len;
			while (n && (v.p[n - 1] == ' ' || v.p[n - 1] == '\t'))
				n--;
			req->content_type = (struct http_str){ v.p, n };
		} else if (ieq(name.p, name.len, "transfer-encoding")) {
			has_te = true;
		} else if (ieq(name.p, name.len, "connection")) {
			if ((rc = parse_connection(v, &close, &keep_alive)) != 0)
				return rc;
		}
	}
	if (!done)
		return 400;
	/* RFC 9112 3.2: HTTP/1.1 needs exactly one Host; an absolute target's authority wins. */
	if (!has_host && req->minor == 1)
		return 400;
	if (has_host) {
		struct http_str h;
		if (!parse_host(host_field.p, host_field.len, &h))
			return 400;
		if (!absolute)
			req->host = h;
	}
	/* Both framings at once is how requests are smuggled past proxies (RFC 9112 6.1). */
	if (has_te && has_length)
		return 400;
	req->length_known = !has_te;
	req->has_body = has_te || req->content_length > 0;
	req->close = req->minor == 0 ? !keep_alive : close;
	return 0;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 421: return "Misdirected Request";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	case 505: return "HTTP Version Not Supported";
	}
	return "Unknown";
}

/* Appends to buf[*n..cap); a write that does not fit makes *n exceed cap for good. */
static void add(char *buf, size_t cap, size_t *n, const char *a, const char *b)
{
	if (*n >= cap)
		return;
	int k = snprintf(buf + *n, cap - *n, "%s%s", a, b);
	*n = k < 0 ? cap : *n + (size_t)k;
}

size_t http_format_head(char *buf, size_t cap, const struct http_head *h)
{
	char status[48], length[32];
	size_t n = 0;
	snprintf(status, sizeof(status), "%d %s\r\n", h->status, http_reason(h->status));
	snprintf(length, sizeof(length), "%zu\r\n", h->content_length);
	add(buf, cap, &n, "HTTP/1.1 ", status);
	if (h->date) {
		add(buf, cap, &n, "Date: ", h->date);
		add(buf, cap, &n, "\r\n", "");
	}
	if (h->content_type) {
		add(buf, cap, &n, "Content-Type: ", h->content_type);
		add(buf, cap, &n, "\r\n", "");
	}
	if (h->allow) {
		add(buf, cap, &n, "Allow: ", h->allow);
		add(buf, cap, &n, "\r\n", "");
	}
	add(buf, cap, &n, "Content-Length: ", length);
	if (h->close)
		add(buf, cap, &n, "Connection: close\r\n", "");
	add(buf, cap, &n, "\r\n", "");
	return n < cap ? n : 0;
}

void http_date(char buf[30], int64_t t)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	time_t tt = (time_t)t;
	if (gmtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	/* Each field is bounded so the text always fits the 29 characters of the format. */
	snprintf(buf, 30, "%.3s, %02u %.3s %04u %02u:%02u:%02u GMT", days[(unsigned)tm.tm_wday % 7],
	         (unsigned)tm.tm_mday % 100, months[(unsigned)tm.tm_mon % 12],
	         (unsigned)(tm.tm_year + 1900) % 10000, (unsigned)tm.tm_hour % 100,
	         (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100);
}
