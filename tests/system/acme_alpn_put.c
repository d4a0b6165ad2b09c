/*
 * Test helper until the ACME client drives it: puts the tls-alpn-01 validation certificate for
 * HOST (the SHA-256 of KEYAUTH, the key authorization) in the store of STATE, or deletes
 * HOST's entry with `-`. With --drop, removes the whole table, as in a store an older Lockstep
 * wrote.
 * usage: acme_alpn_put STATE HOST KEYAUTH|-
 *        acme_alpn_put STATE --drop
 */
#include <stdio.h>
#include <string.h>
#include <mbedtls/sha256.h>
#include "shared/acme/acme_alpn.h"
#include "shared/util/err.h"

int main(int argc, char **argv)
{
	struct store *st;
	struct store_txn t;
	uint8_t sha[32];
	char err[256] = "";
	bool drop = argc == 3 && strcmp(argv[2], "--drop") == 0;
	if (argc != 4 && !drop) {
		fprintf(stderr, "usage: acme_alpn_put STATE HOST KEYAUTH|-\n"
		                "       acme_alpn_put STATE --drop\n");
		return 2;
	}
	bool del = !drop && strcmp(argv[3], "-") == 0;
	if (!drop)
		mbedtls_sha256_ret((const unsigned char *)argv[3], strlen(argv[3]), sha, 0);
	int rc = store_open(&st, argv[1], 0);
	if (rc == 0 && (rc = store_begin(st, true, 8192, &t)) == 0) {
		if (drop)
			rc = store_errno(mdb_drop(t.txn, store_dbi(st, STORE_ACME_ALPN), 1));
		else if (del)
			rc = acme_alpn_del(&t, argv[2]);
		else
			rc = acme_alpn_put(&t, argv[2], sha, err, sizeof(err));
		if (rc)
			store_abort(&t);
		else
			rc = store_commit(&t);
	}
	if (rc) {
		fprintf(stderr, "acme_alpn_put: %s: %s\n", argv[1], *err ? err : ls_strerror(rc));
		return 1;
	}
	store_close(st);
	return 0;
}
