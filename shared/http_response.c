/* The head of an HTTP/1.x response: status line, Content-Type, -Length, Transfer-Encoding. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "shared/err.h"
#include "shared/http_response.h"

int http_response_head(char *buf, struct http_response *r)
{
	char *end = strstr(buf, "\r\n\r\n");
	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	if (end == NULL)
		return -EAGAIN;
	/* The head is a string of lines that each end in "\r\n". */
	end[2] = 0;
	r->head_len = (size_t)(end + 4 - buf);
	if (sscanf(buf, "HTTP/1.%*1[01] %3d", &r->status) != 1)
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
			r->content_length = strtol(line + 15, NULL, 10);
		} else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0) {
			r->transfer_encoding = true;
		}
	}
	return 0;
}

bool http_response_complete(const struct http_response *r, size_t len)
{
	return r->head_len && r->content_length >= 0 &&
	       len - r->head_len >= (size_t)r->content_length;
}
