/* The problem codes of a check and their levels: the one table check, watch and the API share. */
#include <string.h>
#include "shared/check/check.h"

/* Each code with its level and the check that finds it (the names in "checked"). */
static const struct {
	const char *code;
	enum check_level level;
	const char *check;
} codes[] = {
	{ "sts-txt-missing", CHECK_ERROR, "sts-txt" },
	{ "sts-txt-multiple", CHECK_ERROR, "sts-txt" },
	{ "sts-txt-syntax", CHECK_ERROR, "sts-txt" },
	{ "sts-txt-cname", CHECK_WARN, "sts-txt" },   /* works; breaks when the target moves */
	{ "policy-fetch-dns", CHECK_ERROR, "policy-fetch" },
	{ "policy-fetch-tcp", CHECK_ERROR, "policy-fetch" },
	{ "policy-fetch-tls", CHECK_ERROR, "policy-fetch" },
	{ "policy-fetch-http", CHECK_ERROR, "policy-fetch" },
	{ "policy-syntax", CHECK_ERROR, "policy" },
	{ "policy-max-age", CHECK_ERROR, "policy" },  /* under a day only warns: check.c */
	{ "policy-mode-none", CHECK_WARN, "policy" },
	{ "mx-missing", CHECK_ERROR, "mx" },
	{ "mx-not-covered", CHECK_ERROR, "mx" },
	{ "mx-pattern-unused", CHECK_WARN, "mx" },
	{ "mx-starttls-missing", CHECK_ERROR, "smtp" },
	{ "mx-starttls-failed", CHECK_ERROR, "smtp" },
	{ "mx-cert-expired", CHECK_ERROR, "smtp" },
	{ "mx-cert-name", CHECK_ERROR, "smtp" },
	{ "mx-cert-untrusted", CHECK_ERROR, "smtp" },
	{ "mx-cert-expiring", CHECK_WARN, "smtp" },
	{ "sts-cert-expiring", CHECK_WARN, "policy" },
	{ "tlsrpt-missing", CHECK_WARN, "tlsrpt" },
	{ "tlsrpt-syntax", CHECK_ERROR, "tlsrpt" },
	{ "tlsrpt-rua-unreachable", CHECK_WARN, "tlsrpt" },
	{ "dane-present", CHECK_INFO, "smtp" },
	{ "secondary-stale", CHECK_ERROR, "own" },
	{ "endpoint-stale", CHECK_ERROR, "own" },
	{ "state-waiting", CHECK_ERROR, "own" },
};

static int find(const char *code)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(codes[i].code, code) == 0)
			return (int)i;
	return -1;
}

enum check_level check_code_level(const char *code)
{
	int i = find(code);
	return i < 0 ? CHECK_ERROR : codes[i].level;
}

const char *check_code_check(const char *code)
{
	int i = find(code);
	return i < 0 ? NULL : codes[i].check;
}

size_t check_code_count(void)
{
	return sizeof(codes) / sizeof(codes[0]);
}

const char *check_code_name(size_t i)
{
	return i < check_code_count() ? codes[i].code : NULL;
}

bool check_code_known(const char *code)
{
	return find(code) >= 0;
}

const char *check_level_name(enum check_level l)
{
	static const char *const names[] = { "ok", "info", "warn", "error" };
	return l <= CHECK_ERROR ? names[l] : "error";
}
