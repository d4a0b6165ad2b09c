/* libFuzzer target: any bytes as `zonectl batch` input against a small zone, validated only. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "shared/util/err.h"
#include "shared/store/zone_ops.h"
#include "tests/fuzz/fuzz_store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t apex[] = "\4fuzz\7example";

static void load_base(struct store *st)
{
	static const char base[] =
		"@ 300 IN SOA ns hostmaster 1 3600 900 1209600 300\n@ NS ns\nns A 192.0.2.1\n"
		"@ MX 10 mx\nmx A 192.0.2.2\nwww CNAME @\nt TXT \"x\"\n";
	fuzz_load_zone(st, base, sizeof(base) - 1, apex);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct store *st;
	if (st == NULL) {
		st = fuzz_store();
		load_base(st);
	}
	struct diag d;
	struct zone_result res;
	diag_init(&d);
	int rc = zone_ops_batch(st, apex, "fuzz", (const char *)data, size, ZONE_TXN_CHECK, 300,
	                        "fuzz", &d, &res);
	if ((rc == LS_EPARSE || rc == LS_EINVAL_ZONE) && d.errors == 0)
		abort();     /* a refusal always says why */
	if (rc == 0 && d.errors)
		abort();
	zone_result_free(&res);
	diag_free(&d);
	return 0;
}
