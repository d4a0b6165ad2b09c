/*
 * Test helper until `zonectl mta-sts enable` exists: puts FILE as the served policy body of
 * DOMAIN (version 1, or the next one) in the store of STATE, or deletes it with `-`.
 * usage: sts_put_body STATE DOMAIN FILE|-
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shared/err.h"
#include "shared/sts_record.h"

#define BODY_FILE_MAX (1024 * 1024)

int main(int argc, char **argv)
{
	static const uint8_t root[1] = { 0 };
	uint8_t domain[DNAME_MAX];
	static uint8_t body[BODY_FILE_MAX];
	size_t len = 0;
	struct store *st;
	struct store_txn t;
	if (argc != 4 || dname_parse(domain, argv[2], root) < 0) {
		fprintf(stderr, "usage: sts_put_body STATE DOMAIN FILE|-\n");
		return 2;
	}
	bool del = strcmp(argv[3], "-") == 0;
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
	if (rc == 0 && (rc = store_begin(st, true, len + 4096, &t)) == 0) {
		const uint8_t *old;
		size_t olen;
		uint64_t version = 0;
		/* A missing body is version 0; any other failure is sticky and ends at commit. */
		sts_record_body(&t, domain, &old, &olen, &version);
		if (del)
			sts_record_body_del(&t, domain);
		else
			sts_record_body_put(&t, domain, version + 1, body, len);
		rc = store_commit(&t);
	}
	if (rc) {
		fprintf(stderr, "sts_put_body: %s: %s\n", argv[1], ls_strerror(rc));
		return 1;
	}
	store_close(st);
	return 0;
}
