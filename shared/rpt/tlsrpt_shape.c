/* The intake's accept-or-refuse check of a TLS report: JSON syntax and the report's top level. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "shared/util/err.h"
#include "shared/rpt/tlsrpt_import.h"
#include "shared/rpt/tlsrpt_shape.h"

/* The top-level members a report must have, as seen while scanning. */
enum { M_ORG, M_ID, M_RANGE, M_POLICIES, M_COUNT };
static const char *const member[M_COUNT] = {
	"organization-name", "report-id", "date-range", "policies",
};

struct scan {
	const char *p, *start, *end;
	bool seen[M_COUNT];          /* each member with the right type (and not empty) */
	char *why;
	size_t whylen;
};

static int bad(struct scan *s, const char *fmt, ...)
{
	va_list ap;
	if (s->whylen == 0)
		return LS_EPARSE;
	int n = snprintf(s->why, s->whylen, "not JSON: byte %zu: ", (size_t)(s->p - s->start));
	if (n < 0 || (size_t)n >= s->whylen)
		return LS_EPARSE;
	va_start(ap, fmt);
	vsnprintf(s->why + n, s->whylen - (size_t)n, fmt, ap);
	va_end(ap);
	return LS_EPARSE;
}

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Whether one of the 8 bytes of w is '"', '\\' or below 0x20: zero-byte tests (exact as yes or
 * no), so most of a report's string bytes are passed 8 at a time. */
static bool special8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
	return (((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w)) & highs;
}

/* The first byte at or after p that is not plain string content (or end): 16 bytes a step
 * with SSE2 (every x86-64 has it), else 8 with the zero-byte tests. */
static const char *plain_run(const char *p, const char *end)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
	              ctl = _mm_set1_epi8(0x1f);
	while (end - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
		                                        _mm_cmpeq_epi8(v, bslash)),
		                           _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl)); /* <= 0x1f */
		int m = _mm_movemask_epi8(hit);
		if (m)
			return p + __builtin_ctz((unsigned)m);
		p += 16;
	}
#endif
	uint64_t w;
	while (end - p >= 8) {
		memcpy(&w, p, 8);
		if (special8(w))
			break;
		p += 8;
	}
	while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
		p++;
	return p;
}

/* A string at s->p (its opening quote); its content's span in *text, *tlen. */
static int string(struct scan *s, const char **text, size_t *tlen)
{
	const char *p = ++s->p;
	while ((p = plain_run(p, s->end)) < s->end && *p != '"') {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20) {
			s->p = p;
			return bad(s, "control character in a string");
		}
		if (c != '\\') {
			p++;
			continue;
		}
		if (++p >= s->end)
			break;
		if (*p == 'u') {
			if (s->end - p < 5 || !hex(p[1]) || !hex(p[2]) || !hex(p[3]) || !hex(p[4])) {
				s->p = p;
				return bad(s, "bad \\u escape");
			}
			p += 5;
		} else if (strchr("\"\\/bfnrt", *p) && *p) {
			p++;
		} else {
			s->p = p;
			return bad(s, "bad escape");
		}
	}
	if (p >= s->end) {
		s->p = p;
		return bad(s, "unterminated string");
	}
	*text = s->p;
	*tlen = (size_t)(p - s->p);
	s->p = p + 1;
	return 0;
}

static size_t digits(struct scan *s)
{
	const char *from = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return (size_t)(s->p - from);
}

static int number(struct scan *s)
{
	if (*s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (digits(s) == 0)
		return bad(s, "bad number");
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (digits(s) == 0)
			return bad(s, "bad number");
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (digits(s) == 0)
			return bad(s, "bad number");
	}
	return 0;
}

static int word(struct scan *s, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return bad(s, "unexpected character");
	s->p += n;
	return 0;
}

static int value(struct scan *s, int depth, int top);

/* What the value of top-level member m looks like: s->p at its first byte. */
static void note_member(struct scan *s, int m)
{
	const char *p = s->p;
	if (m == M_ORG || m == M_ID)
		s->seen[m] = *p == '"' && p + 1 < s->end && p[1] != '"';
	else if (m == M_RANGE)
		s->seen[m] = *p == '{';
	else if (*p == '[') {
		for (p++; p < s->end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'); p++)
			;
		s->seen[m] = p < s->end && *p != ']';
	}
}

/* After a member or element: 1 when another follows (a comma), 0 at close, else LS_EPARSE. */
static int next(struct scan *s, char close)
{
	skip_ws(s);
	if (s->p < s->end && (*s->p == ',' || *s->p == close))
		return *s->p++ == ',';
	return bad(s, "expected ',' or '%c'", close);
}

static int object(struct scan *s, int depth, bool root)
{
	const char *key;
	size_t klen;
	int rc;
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		return 0;
	}
	for (;;) {
		skip_ws(s);
		if (s->p >= s->end || *s->p != '"')
			return bad(s, "expected a member name");
		if ((rc = string(s, &key, &klen)) != 0)
			return rc;
		skip_ws(s);
		if (s->p >= s->end || *s->p != ':')
			return bad(s, "expected ':'");
		s->p++;
		skip_ws(s);
		int m = -1;
		for (int i = 0; root && i < M_COUNT; i++)
			if (klen == strlen(member[i]) && memcmp(key, member[i], klen) == 0)
				m = i;
		if ((rc = value(s, depth + 1, m)) != 0 || (rc = next(s, '}')) != 1)
			return rc;
	}
}

static int array(struct scan *s, int depth)
{
	int rc;
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
		return 0;
	}
	for (;;) {
		if ((rc = value(s, depth + 1, -1)) != 0 || (rc = next(s, ']')) != 1)
			return rc;
	}
}

/* One value at s->p; top is the top-level member it belongs to (-1: none). Recursion is
 * bounded by TLSRPT_SHAPE_DEPTH_MAX. */
static int value(struct scan *s, int depth, int top)
{
	const char *text;
	size_t tlen;
	skip_ws(s);
	if (s->p >= s->end)
		return bad(s, "truncated");
	if (depth > TLSRPT_SHAPE_DEPTH_MAX)
		return bad(s, "nested deeper than %d", TLSRPT_SHAPE_DEPTH_MAX);
	if (top >= 0)
		note_member(s, top);
	switch (*s->p) {
	case '{': return object(s, depth, depth == 0);
	case '[': return array(s, depth);
	case '"': return string(s, &text, &tlen);
	case 't': return word(s, "true");
	case 'f': return word(s, "false");
	case 'n': return word(s, "null");
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return number(s);
		return bad(s, "unexpected character");
	}
}

int tlsrpt_shape_json(const char *json, size_t len, char *why, size_t whylen)
{
	struct scan s = { .p = json, .start = json, .end = json + len, .why = why,
	                  .whylen = whylen };
	if (whylen)
		why[0] = 0;
	skip_ws(&s);
	if (s.p >= s.end || *s.p != '{') {
		if (whylen)
			snprintf(why, whylen, "not a TLS report (not a JSON object)");
		return LS_EPARSE;
	}
	int rc = value(&s, 0, -1);
	if (rc)
		return rc;
	skip_ws(&s);
	if (s.p != s.end)
		return bad(&s, "text after the JSON value");
	for (int i = 0; i < M_COUNT; i++)
		if (!s.seen[i]) {
			if (whylen)
				snprintf(why, whylen, "not a TLS report: no %s", member[i]);
			return LS_EPARSE;
		}
	return 0;
}

int tlsrpt_shape_check(const uint8_t *body, size_t len, size_t max_expanded, char *why,
                       size_t whylen)
{
	char *json;
	size_t jlen;
	bool owned;
	int rc = tlsrpt_import_decode(body, len, max_expanded, &json, &jlen, &owned, why, whylen);
	if (rc)
		return rc;
	rc = tlsrpt_shape_json(json, jlen, why, whylen);
	if (owned)
		free(json);
	return rc;
}
