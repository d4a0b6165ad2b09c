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
#include "shared/util/file.h"
#include "shared/rpt/tlsrpt_mime.h"

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
	int rc = file_read_fd(STDIN_FILENO, max_msg, (char **)&msg, &len);
	if (rc == 0)
		rc = tlsrpt_mime_find(msg, len, max_part, &part, &plen);
	if (rc == LS_ENOTFOUND)
		ec = MIME_RUN_NOPART;
	else if (rc == LS_ETOOBIG)
		ec = MIME_RUN_TOOBIG;
	else if (rc == 0)
		ec = MIME_RUN_FOUND;
	if (rc == 0 && file_write_all(STDOUT_FILENO, part, plen) != 0)
		ec = MIME_RUN_FAILED;
	free(part);
	free(msg);
	return ec;
}
