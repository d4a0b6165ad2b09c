/* libFuzzer target: any bytes as lockstep.conf must load cleanly or fail with defaults left. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "shared/util/config.h"

static char path[] = "/tmp/fuzz_config.XXXXXX";
static int fd = -1;
static FILE *devnull;

static void cleanup(void)
{
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* config_load takes a path, so one temp file is made once and rewritten for each input. */
	if (fd < 0) {
		fd = mkstemp(path);
		if (fd < 0)
			abort();
		atexit(cleanup);
		devnull = fopen("/dev/null", "w");
	}
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	struct config cfg;
	struct diag d;
	diag_init(&d);
	int rc = config_load(&cfg, path, &d);
	if (rc != 0 && (cfg.path != NULL || d.errors == 0))
		abort();    /* a failed load must report why and leave only the defaults */
	if (rc == 0 && devnull)
		config_print(&cfg, devnull);
	config_free(&cfg);
	diag_free(&d);
	return 0;
}
