/* The head of an HTTP/1.x response: status line, Content-Type, -Length, Transfer-Encoding,
 * and ACME's Replay-Nonce, Location, Retry-After. */
#include <errno.h>
#include <string.h>
#include <ctype.h>
#include <strings.h>
#include "shared/util/err.h"
#include "shared/tls/http_response.h"

#define STATUS_DIGITS 3
#define CHUNK_DIGITS_MAX 8     /* hex digits of a chunk size; a body is far smaller */
#define LENGTH_DIGITS_MAX 18   /* fits a long; a policy or ACME answer is far smaller */

/* "HTTP/1.0 " or "HTTP/1.1 ", then exactly three digits and a space or the line's end. */
static int status_line(const char *buf, int *status)
{
	if (strncmp(buf, "HTTP/1.", 7) != 0 || (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ')
		return LS_EPARSE;
	const char *p = buf + 9;
	int v = 0;
	for (int i = 0; i < STATUS_DIGITS; i++) {
		if (p[i] < '0' || p[i] > '9')
			return LS_EPARSE;
		v = v * 10 + (p[i] - '0');
	}
	if (p[STATUS_DIGITS] != ' ' && p[STATUS_DIGITS] != '\r')
		return LS_EPARSE;
	*status = v;
	return 0;
}

/* Content-Length: optional blanks, then digits only, up to the line's end. */
static int length_value(const char *v, long *out)
{
	long n = 0;
	int digits = 0;
	v += strspn(v, " \t");
	for (; *v >= '0' && *v <= '9'; v++) {
		if (++digits > LENGTH_DIGITS_MAX)
			return LS_EPARSE;
		n = n * 10 + (*v - '0');
	}
	v += strspn(v, " \t");
	if (digits == 0 || (*v != '\r' && *v != 0))
		return LS_EPARSE;
	*out = n;
	return 0;
}

/* A header's value (after the colon, blanks skipped) to the line's end into out[cap];
 * a value that does not fit is dropped, never cut: a cut nonce or URL is a wrong one. */
static void keep_value(const char *v, char *out, size_t cap)
{
	v += strspn(v, " \t");
	size_t n = strcspn(v, "\r");
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= cap)
		n = 0;
	memcpy(out, v, n);
	out[n] = 0;
}

/* Retry-After in seconds; the HTTP-date form counts as a minute (we do not parse dates). */
static long retry_value(const char *v)
{
	long n = 0;
	v += strspn(v, " \t");
	if (*v < '0' || *v > '9')
		return 60;
	for (; *v >= '0' && *v <= '9'; v++)
		if ((n = n * 10 + (*v - '0')) > HTTP_RESPONSE_RETRY_MAX)
			n = HTTP_RESPONSE_RETRY_MAX;
	return n;
}

int http_response_head(char *buf, struct http_response *r)
{
	char *end = strstr(buf, "\r\n\r\n");
	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	r->retry_after = -1;
	if (end == NULL)
		return -EAGAIN;
	/* The head is a string of lines that each end in "\r\n". */
	end[2] = 0;
	r->head_len = (size_t)(end + 4 - buf);
	if (status_line(buf, &r->status) != 0)
		return LS_EPARSE;
	for (char *line = strstr(buf, "\r\n"); line; line = strstr(line, "\r\n")) {
		line += 2;
		if (strncasecmp(line, "Content-Type:", 13) == 0) {
			const char *v = line + 13 + strspn(line + 13, " \t");
			size_t n = strcspn(v, "\r");
			if (n >= sizeof(r->content_type))
				n = sizeof(r->content_type) - 1;
			memcpy(r->content_type, v, n);
			r->content_type[n] = 0;
		} else if (strncasecmp(line, "Content-Length:", 15) == 0) {
			if (length_value(line + 15, &r->content_length) != 0)
				return LS_EPARSE;
		} else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0) {
			r->transfer_encoding = true;
		} else if (strncasecmp(line, "Replay-Nonce:", 13) == 0) {
			keep_value(line + 13, r->replay_nonce, sizeof(r->replay_nonce));
		} else if (strncasecmp(line, "Location:", 9) == 0) {
			keep_value(line + 9, r->location, sizeof(r->location));
		} else if (strncasecmp(line, "Retry-After:", 12) == 0) {
			r->retry_after = retry_value(line + 12);
		}
	}
	return 0;
}

bool http_response_complete(const struct http_response *r, size_t len)
{
	return r->head_len && r->content_length >= 0 &&
	       len - r->head_len >= (size_t)r->content_length;
}

int http_response_dechunk(char *body, size_t len, size_t *out)
{
	size_t r = 0, w = 0;
	for (;;) {
		size_t size = 0, digits = 0;
		while (r < len && isxdigit((unsigned char)body[r])) {
			if (++digits > CHUNK_DIGITS_MAX)
				return LS_EPARSE;
			char c = body[r++];
			size = size * 16 + (size_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
		}
		if (digits == 0)
			return LS_EPARSE;
		/* chunk extensions, then the line's end */
		while (r < len && body[r] != '\n')
			r++;
		if (r++ >= len)
			return LS_EPARSE;
		if (size == 0)
			break;
		if (size > len - r || len - r - size < 2 || body[r + size] != '\r' ||
		    body[r + size + 1] != '\n')
			return LS_EPARSE;
		memmove(body + w, body + r, size);
		w += size;
		r += size + 2;
	}
	*out = w;
	return 0;
}
