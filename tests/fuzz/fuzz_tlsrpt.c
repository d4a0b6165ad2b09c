/*
 * libFuzzer target: the TLS report reader, as the intakes call it on a body from the network
 * (gzip or JSON, bounded inflate, then the parser). Whatever the input: no crash, no leak, no
 * more memory than the limits allow; a report that parses has counts within bounds and its
 * policy lines normalised (sorted, distinct, trimmed).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/rpt/tlsrpt_import.h"
#include "shared/rpt/tlsrpt_parse.h"
#include "shared/rpt/tlsrpt_shape.h"

#define FUZZ_EXPANDED (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_lines(const char *lines)
{
	const char *prev = NULL;
	size_t prev_len = 0;
	for (const char *p = lines; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);
		if (l == 0 || p[0] == ' ' || p[l - 1] == ' ')
			abort();
		if (prev) {
			size_t m = l < prev_len ? l : prev_len;
			int c = memcmp(prev, p, m);
			if (c > 0 || (c == 0 && prev_len >= l))
				abort();           /* sorted, no duplicates */
		}
		prev = p;
		prev_len = l;
		p += l + (nl != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[TLSRPT_WHY_MAX], *json;
	size_t jlen;
	bool owned;
	struct tlsrpt_report *r;
	int rc = tlsrpt_import_decode(data, size, FUZZ_EXPANDED, &json, &jlen, &owned, why,
	                              sizeof(why));
	if (rc == 0) {
		char swhy[TLSRPT_WHY_MAX];
		if (jlen > FUZZ_EXPANDED)
			abort();
		int shape = tlsrpt_shape_json(json, jlen, swhy, sizeof(swhy));
		if (shape != 0 && (shape != LS_EPARSE || swhy[0] == 0))
			abort();
		if (tlsrpt_parse(json, jlen, &r, why, sizeof(why)) == 0) {
			if (shape != 0 && strstr(swhy, "nested deeper") == NULL)
				abort();           /* the intake would refuse what the importer takes */
			for (size_t i = 0; i < r->npolicies; i++) {
				const struct tlsrpt_policy *p = &r->policies[i];
				if (p->success > TLSRPT_COUNT_MAX || p->failure > TLSRPT_COUNT_MAX ||
				    p->nmx > TLSRPT_MX_MAX)
					abort();
				if (p->lines)
					check_lines(p->lines);
				for (size_t k = 0; k < p->ndetails; k++)
					if (p->details[k].count > TLSRPT_COUNT_MAX ||
					    p->details[k].result_type[0] == 0)
						abort();
			}
			tlsrpt_report_free(r);
		} else if (why[0] == 0) {
			abort();                   /* every refusal says why */
		}
		if (owned)
			free(json);
	} else if (rc != LS_EPARSE && rc != LS_ETOOBIG) {
		abort();
	}
	/* The same lines as a policy body. */
	char *body = tlsrpt_parse_body((const char *)data, size);
	if (body)
		check_lines(body);
	free(body);
	return 0;
}
