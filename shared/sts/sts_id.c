/* MTA-STS ids. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "shared/util/err.h"
#include "shared/sts/sts_id.h"

/* Decimal strings without leading zeros compare by length, then by text. */
static int num_cmp(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	return la != lb ? (la < lb ? -1 : 1) : strcmp(a, b);
}

/* s + 1 in decimal, in place; s has room for one more digit. */
static void increment(char *s)
{
	size_t n = strlen(s);
	for (size_t i = n; i-- > 0;) {
		if (s[i] != '9') {
			s[i]++;
			return;
		}
		s[i] = '0';
	}
	memmove(s + 1, s, n + 1);
	s[0] = '1';
}

int sts_id_next(const char *prev, int64_t now, char out[STS_ID_MAX + 1])
{
	struct tm tm;
	time_t t = (time_t)now;
	size_t pl = strlen(prev);
	for (size_t i = 0; i < pl; i++)
		if (prev[i] < '0' || prev[i] > '9')
			return LS_EPARSE;
	if (pl >= STS_ID_MAX || (pl && prev[0] == '0'))
		return LS_EPARSE;
	if (gmtime_r(&t, &tm) == NULL)
		return LS_EPARSE;
	/* Two digits after the second count the ids of that second, so they follow UTC time. */
	snprintf(out, STS_ID_MAX + 1, "%04d%02d%02d%02d%02d%02d00", tm.tm_year + 1900,
	         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (pl && num_cmp(out, prev) <= 0) {
		memcpy(out, prev, pl + 1);
		increment(out);
	}
	return 0;
}

int sts_id_valid(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > STS_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return 0;
	}
	return 1;
}
