/*
 * libFuzzer target: the MTA-STS policy generator's inputs. Lines of input are MX targets
 * (parsed as domain names, the way they reach the generator from a zone) and --mx-extra
 * patterns (checked the way zonectl checks them); the first byte picks mode and max_age.
 * Whatever the input, the body is well formed, sorted, free of duplicates, and the same for
 * the same inputs in any order.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "shared/dns/dname.h"
#include "shared/sts/sts_policy.h"

#define LINES_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_body(const char *body, size_t len)
{
	static const char head[] = "version: STSv1\r\nmode: ";
	if (len < sizeof(head) - 1 || memcmp(body, head, sizeof(head) - 1) != 0)
		abort();
	const char *prev = NULL;
	size_t prev_len = 0;
	for (size_t i = 0; i < len;) {
		const char *e = memchr(body + i, '\r', len - i);
		if (e == NULL || (size_t)(e - body) + 1 >= len || e[1] != '\n')
			abort();                       /* every line ends with CRLF */
		const char *line = body + i;
		size_t ll = (size_t)(e - line);
		if (memchr(line, '\n', ll) || memchr(line, 0, ll) || !memchr(line, ':', ll))
			abort();
		if (ll > 4 && memcmp(line, "mx: ", 4) == 0) {
			char pat[300];
			if (ll - 4 >= sizeof(pat))
				abort();
			memcpy(pat, line + 4, ll - 4);
			pat[ll - 4] = 0;
			if (sts_policy_pattern_check(pat) != 0)
				abort();
			/* Sorted, no duplicates. */
			if (prev) {
				size_t m = prev_len < ll - 4 ? prev_len : ll - 4;
				int c = memcmp(prev, pat, m);
				if (c > 0 || (c == 0 && prev_len >= ll - 4))
					abort();
			}
			prev = line + 4;
			prev_len = ll - 4;
		}
		i = (size_t)(e - body) + 2;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[LINES_MAX][DNAME_STR_MAX];
	static const uint8_t root[1] = { 0 };
	static char a[STS_BODY_MAX], b[STS_BODY_MAX];
	struct sts_policy p, q;
	uint8_t name[DNAME_MAX];
	if (size == 0)
		return 0;
	memset(&p, 0, sizeof(p));
	p.mode = (enum sts_mode)(data[0] % 3);
	p.max_age = (uint32_t)data[0] * 86400u;
	size_t n = 0;
	for (size_t i = 1; i < size && n < LINES_MAX;) {
		const uint8_t *e = memchr(data + i, '\n', size - i);
		size_t ll = e ? (size_t)(e - data) - i : size - i;
		char line[DNAME_STR_MAX];
		if (ll > 1 && ll < sizeof(line)) {
			memcpy(line, data + i + 1, ll - 1);
			line[ll - 1] = 0;
			/* First byte of the line: an MX target (as from a zone), or an --mx-extra. */
			if (data[i] & 1) {
				if (dname_parse(name, line, root) > 0 && name[0] != 0)
					sts_policy_add(&p, dname_format(text[n++], name));
			} else if (sts_policy_pattern_check(line) == 0) {
				strcpy(text[n], line);
				sts_policy_add(&p, text[n++]);
			}
		}
		i += ll + 1;
	}
	int la = sts_policy_format(&p, a, sizeof(a));
	q = p;
	for (size_t i = 0; i < p.nmx; i++)
		q.mx[i] = p.mx[p.nmx - 1 - i];
	int lb = sts_policy_format(&q, b, sizeof(b));
	if (la != lb || (la > 0 && memcmp(a, b, (size_t)la) != 0))
		abort();
	if (la > 0)
		check_body(a, (size_t)la);
	return 0;
}
