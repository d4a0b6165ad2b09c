/*
 * Test helper until `zonectl mta-sts enable` exists: puts FILE as the served policy body of
 * DOMAIN (the next version) in the store of STATE, or deletes it with `-`. With --each, puts
 * FILE for every domain named on standard input (one per line), in one transaction.
 * usage: sts_put_body STATE DOMAIN FILE|-
 *        sts_put_body STATE --each FILE < domains
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shared/util/err.h"
#include "shared/sts/sts_record.h"

#define BODY_FILE_MAX (1024 * 1024)
#define EACH_MAX 1000000

static const uint8_t root[1] = { 0 };

/* Puts body as domain's next version; a failure is sticky in t. */
static void put(struct store_txn *t, const uint8_t *domain, const uint8_t *body, size_t len)
{
	const uint8_t *old;
	size_t olen;
	uint64_t version = 0;
	/* A missing body is version 0; any other failure is sticky and ends at commit. */
	sts_record_body(t, domain, &old, &olen, &version);
	sts_record_body_put(t, domain, version + 1, body, len);
}

int main(int argc, char **argv)
{
	uint8_t domain[DNAME_MAX];
	static uint8_t body[BODY_FILE_MAX];
	size_t len = 0;
	struct store *st;
	struct store_txn t;
	bool each = argc == 4 && strcmp(argv[2], "--each") == 0;
	if (argc != 4 || (!each && dname_parse(domain, argv[2], root) < 0)) {
		fprintf(stderr, "usage: sts_put_body STATE DOMAIN FILE|-\n"
		                "       sts_put_body STATE --each FILE < domains\n");
		return 2;
	}
	bool del = strcmp(argv[3], "-") == 0 && !each;
	if (!del) {
		FILE *f = fopen(argv[3], "rb");
		if (f == NULL) {
			perror(argv[3]);
			return 1;
		}
		len = fread(body, 1, sizeof(body), f);
		fclose(f);
	}
	int rc = store_open(&st, argv[1], 0);
	if (rc == 0 && (rc = store_begin(st, true, each ? 64u << 20 : len + 4096, &t)) == 0) {
		if (each) {
			char line[1100];
			for (size_t n = 0; n < EACH_MAX && fgets(line, sizeof(line), stdin); n++) {
				line[strcspn(line, "\r\n")] = 0;
				if (*line == 0)
					continue;
				if (dname_parse(domain, line, root) < 0) {
					fprintf(stderr, "sts_put_body: '%s' is not a domain name\n", line);
					store_fail(&t, LS_EPARSE);
					break;
				}
				put(&t, domain, body, len);
			}
		} else if (del) {
			sts_record_body_del(&t, domain);
		} else {
			put(&t, domain, body, len);
		}
		rc = store_commit(&t);
	}
	if (rc) {
		fprintf(stderr, "sts_put_body: %s: %s\n", argv[1], ls_strerror(rc));
		return 1;
	}
	store_close(st);
	return 0;
}
