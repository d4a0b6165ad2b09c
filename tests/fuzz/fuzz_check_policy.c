/*
 * libFuzzer target: the texts a check reads from other people's servers. The first byte picks
 * the reader: the policy body, the _mta-sts TXT record, the _smtp._tls TXT record, or a
 * --connect-to rule with an mx pattern match. Whatever the input, a parse that succeeds gives
 * what its contract says (a known mode, a bounded id, bounded URIs), and nothing reads or
 * writes out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "shared/check/check_connect.h"
#include "shared/check/check_policy.h"

#define INPUT_MAX 8192

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void policy(const char *text, size_t len)
{
	struct check_policy p;
	char err[256];
	if (check_policy_parse(text, len, &p, err, sizeof(err)) != 0) {
		if (err[0] == 0 || memchr(err, 0, sizeof(err)) == NULL)
			abort();
		return;
	}
	if (strcmp(p.mode, "enforce") && strcmp(p.mode, "testing") && strcmp(p.mode, "none"))
		abort();
	if (p.max_age < 0 || p.n_patterns > CHECK_MAX_PATTERNS)
		abort();
	if (p.n_patterns == 0 && strcmp(p.mode, "none") != 0)
		abort();
	for (size_t i = 0; i < p.n_patterns; i++)
		if (p.patterns[i][0] == 0 || memchr(p.patterns[i], 0, sizeof(p.patterns[i])) == NULL)
			abort();
}

static void records(const char *text)
{
	char id[64], err[256], rua[CHECK_MAX_RUA][256];
	size_t n = 99;
	if (check_policy_txt(text, id, sizeof(id), err, sizeof(err)) == 0) {
		size_t l = strlen(id);
		if (l == 0 || l > 32 || strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                                   "0123456789") != l)
			abort();
	}
	if (check_policy_tlsrpt(text, rua, &n, err, sizeof(err)) == 0) {
		if (n == 0 || n > CHECK_MAX_RUA)
			abort();
		for (size_t i = 0; i < n; i++)
			if (strncmp(rua[i], "mailto:", 7) && strncmp(rua[i], "https://", 8))
				abort();
	}
}

static void connect_and_match(const char *text)
{
	const char *rules[1] = { text };
	char err[256], out[80];
	uint16_t port;
	if (check_connect_parse(rules, 1, err, sizeof(err)) == 0 &&
	    check_connect_find(rules, 1, "mx.example.com", 25, out, sizeof(out), &port) &&
	    port == 0)
		abort();
	/* The text as a pattern and as a host: a name (not a wildcard) always matches itself. */
	if (text[0] && strcmp(text, ".") != 0 && strncmp(text, "*.", 2) != 0 &&
	    !check_policy_match(text, text))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > INPUT_MAX)
		return 0;
	char *text = malloc(size);
	if (text == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = 0;
	switch (data[0] % 3) {
	case 0:
		policy(text, size - 1);   /* the body as it came: NULs and all */
		break;
	case 1:
		records(text);
		break;
	default:
		connect_and_match(text);
		break;
	}
	free(text);
	return 0;
}
