/* A store in a temporary directory for fuzz targets, opened once and removed at exit. */
#ifndef FUZZ_STORE_H
#define FUZZ_STORE_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "shared/store/store.h"
#include "shared/store/zone_ops.h"

static struct store *fuzz_st;
static char fuzz_dir[] = "/tmp/lockstep-fuzz.XXXXXX";

static void fuzz_store_cleanup(void)
{
	char path[64];
	store_close(fuzz_st);
	snprintf(path, sizeof(path), "%s/data.mdb", fuzz_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", fuzz_dir);
	unlink(path);
	rmdir(fuzz_dir);
}

/* The store, made on first use. */
static struct store *fuzz_store(void)
{
	if (fuzz_st == NULL) {
		if (mkdtemp(fuzz_dir) == NULL || store_open(&fuzz_st, fuzz_dir, 0) != 0)
			abort();
		atexit(fuzz_store_cleanup);
	}
	return fuzz_st;
}

/* Imports a zone from text into the store; aborts when that fails (the fixture is wrong). */
static inline void fuzz_load_zone(struct store *st, const char *text, size_t len, const uint8_t *apex)
{
	struct zonefile zf;
	struct diag d;
	struct zone_result res;
	zonefile_init(&zf);
	diag_init(&d);
	if (zonefile_read_mem(&zf, "fuzz", text, len, apex, 300, &d) != 0 ||
	    zone_ops_import(st, &zf, ZONE_TXN_CREATE, SERIAL_INCREMENT, NULL, "fuzz", &d, &res) != 0)
		abort();
	zone_result_free(&res);
	zonefile_free(&zf);
	diag_free(&d);
}

#endif
