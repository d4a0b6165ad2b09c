/* The MTA-STS policy body. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/sts/sts_policy.h"

#define PATTERN_MAX 256
#define HOST_TEXT_MAX 253    /* a host name's text without the final dot (RFC 1035 2.3.4) */

int sts_policy_add(struct sts_policy *p, const char *pattern)
{
	if (p->nmx == STS_POLICY_MX_MAX)
		return LS_ETOOBIG;
	p->mx[p->nmx++] = pattern;
	return 0;
}

/* Lower case, no trailing dot; letters, digits, inner hyphens, an optional leading "*.". */
static int normalise(const char *in, char out[PATTERN_MAX])
{
	size_t n = strlen(in), k = 0;
	if (n && in[n - 1] == '.')
		n--;
	if (n == 0 || n > HOST_TEXT_MAX)
		return LS_EPARSE;
	size_t start = (n > 2 && in[0] == '*' && in[1] == '.') ? 2 : 0;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];
		if (i < start) {
			out[k++] = c;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == '.') {
			if (label == 0 || out[k - 1] == '-')
				return LS_EPARSE;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
			if ((c == '-' && label == 0) || ++label > 63)
				return LS_EPARSE;
		} else {
			return LS_EPARSE;
		}
		out[k++] = c;
	}
	if (label == 0 || out[k - 1] == '-')
		return LS_EPARSE;
	out[k] = 0;
	return 0;
}

int sts_policy_pattern_check(const char *pattern)
{
	char tmp[PATTERN_MAX];
	return normalise(pattern, tmp);
}

static int cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

int sts_policy_format(const struct sts_policy *p, char *out, size_t cap)
{
	static const char *const modes[] = { "testing", "enforce", "none" };
	char (*v)[PATTERN_MAX] = p->nmx ? malloc(p->nmx * PATTERN_MAX) : NULL;
	size_t len = 0;
	int rc = 0;
	if (p->nmx && v == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < p->nmx; i++)
		if ((rc = normalise(p->mx[i], v[i])) != 0)
			goto out;
	if (p->nmx)
		qsort(v, p->nmx, PATTERN_MAX, cmp);
	int n = snprintf(out, cap, "version: STSv1\r\nmode: %s\r\n",
	                 modes[p->mode <= STS_MODE_NONE ? p->mode : 0]);
	len = (size_t)n;
	for (size_t i = 0; i < p->nmx && len < cap; i++) {
		if (i && strcmp(v[i], v[i - 1]) == 0)
			continue;
		len += (size_t)snprintf(out + len, cap - len, "mx: %s\r\n", v[i]);
	}
	if (len < cap)
		len += (size_t)snprintf(out + len, cap - len, "max_age: %u\r\n", p->max_age);
	rc = len < cap ? (int)len : LS_ETOOBIG;
out:
	free(v);
	return rc;
}
