/* libFuzzer target: any bytes as a master file, read, formatted back and validated. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "shared/util/err.h"
#include "shared/dns/rrtext.h"
#include "shared/store/zone_ops.h"
#include "tests/fuzz/fuzz_store.h"
#include "shared/dns/zonefile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t origin[] = "\4fuzz\7example";
	struct store *st = fuzz_store();
	struct zonefile zf;
	struct diag d;
	struct zone_result res;
	zonefile_init(&zf);
	diag_init(&d);
	int rc = zonefile_read_mem(&zf, "fuzz", (const char *)data, size, origin, 3600, &d);
	if ((rc == 0) != (d.errors == 0))
		abort();     /* success exactly when no error was reported */
	/* The fast parser and ldns must agree on every record and every refusal. */
	struct zonefile slow;
	struct diag ds;
	zonefile_init(&slow);
	diag_init(&ds);
	slow.no_fast = true;
	int src = zonefile_read_mem(&slow, "fuzz", (const char *)data, size, origin, 3600, &ds);
	if (src != rc || slow.n != zf.n || ds.errors != d.errors)
		abort();
	for (size_t i = 0; i < zf.n; i++) {
		const struct rr *a = &zf.rr[i], *b = &slow.rr[i];
		if (dname_wire_len(a->owner, DNAME_MAX) < 0 || !dname_equal(a->owner, b->owner) ||
		    a->type != b->type || a->ttl != b->ttl || a->rdlen != b->rdlen ||
		    memcmp(a->rdata, b->rdata, a->rdlen) != 0 || a->line != b->line)
			abort();
		free(rr_format(a));
	}
	zonefile_free(&slow);
	diag_free(&ds);
	/* Validation runs on whatever parsed; CHECK aborts the transaction, so the store stays empty. */
	size_t parse_errors = d.errors;
	if (zf.have_apex) {
		rc = zone_ops_import(st, &zf, ZONE_TXN_CREATE | ZONE_TXN_CHECK, SERIAL_INCREMENT, NULL,
		                     "fuzz", &d, &res);
		if ((rc == 0 && d.errors > parse_errors) || (rc == LS_EINVAL_ZONE && d.errors == parse_errors))
			abort();    /* validation fails exactly when it reports an error */
		zone_result_free(&res);
	}
	zonefile_free(&zf);
	diag_free(&d);
	return 0;
}
