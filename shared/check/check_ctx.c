/* The trust store loaded once for many checks (parsing the system's costs ~15 ms a time). */
#include <errno.h>
#include <stdlib.h>
#include "shared/check/check_ctx.h"

int check_ctx_open(struct check_ctx **out, const char *ca_file, char *err, size_t errlen)
{
	struct check_ctx *c = calloc(1, sizeof(*c));
	int rc;
	if (c == NULL)
		return -ENOMEM;
	if (ca_file == NULL)
		ca_file = CHECK_SYSTEM_CA;
	if ((rc = sts_fetch_open(&c->fetch, ca_file, err, errlen)) != 0 ||
	    (rc = check_smtp_open(&c->smtp, ca_file, err, errlen)) != 0) {
		check_ctx_close(c);
		return rc;
	}
	sts_fetch_no_resume(c->fetch);
	*out = c;
	return 0;
}

void check_ctx_close(struct check_ctx *c)
{
	if (c == NULL)
		return;
	check_smtp_close(c->smtp);
	sts_fetch_close(c->fetch);
	free(c);
}
