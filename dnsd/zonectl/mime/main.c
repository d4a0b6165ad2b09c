/*
 * zonectl-mime: the MIME step of `zonectl tlsrpt ingest` in a process of its own, so that only
 * this program links GMime and GLib (zonectl starts without loading them) and a mail's MIME is
 * parsed apart from the store. Usage: zonectl-mime MAX-PART MAX-MESSAGE, the message on
 * standard input, the report part (decoded) on standard output. Exit statuses in mime_run.h.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "dnsd/zonectl/mime_run.h"
#include "shared/util/err.h"
#include "shared/rpt/tlsrpt_mime.h"

/* Standard input whole, at most max bytes (more: LS_ETOOBIG). */
static int read_all(size_t max, uint8_t **out, size_t *len)
{
	size_t cap = 65536, n = 0;
	uint8_t *buf = malloc(cap);
	if (buf == NULL)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			uint8_t *grown = cap > max ? NULL : realloc(buf, cap * 2);
			if (grown == NULL) {
				free(buf);
				return cap > max ? LS_ETOOBIG : -ENOMEM;
			}
			buf = grown;
			cap *= 2;
		}
		ssize_t got = read(STDIN_FILENO, buf + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got == 0 && n <= max)
				break;
			int rc = got < 0 ? -errno : LS_ETOOBIG;
			free(buf);
			return rc;
		}
		n += (size_t)got;
	}
	*out = buf;
	*len = n;
	return 0;
}

static int size_arg(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > SIZE_MAX / 2)
		return -1;
	*out = (size_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	size_t max_part, max_msg, len = 0, plen = 0;
	uint8_t *msg = NULL, *part = NULL;
	int ec = MIME_RUN_FAILED;
	if (argc != 3 || size_arg(argv[1], &max_part) || size_arg(argv[2], &max_msg)) {
		fprintf(stderr, "usage: zonectl-mime MAX-PART MAX-MESSAGE (run by zonectl)\n");
		return MIME_RUN_FAILED;
	}
	int rc = read_all(max_msg, &msg, &len);
	if (rc == 0)
		rc = tlsrpt_mime_find(msg, len, max_part, &part, &plen);
	if (rc == LS_ENOTFOUND)
		ec = MIME_RUN_NOPART;
	else if (rc == LS_ETOOBIG)
		ec = MIME_RUN_TOOBIG;
	else if (rc == 0)
		ec = MIME_RUN_FOUND;
	for (size_t off = 0; rc == 0 && off < plen;) {
		ssize_t w = write(STDOUT_FILENO, part + off, plen - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			ec = MIME_RUN_FAILED;
			break;
		}
		off += (size_t)w;
	}
	free(part);
	free(msg);
	return ec;
}
