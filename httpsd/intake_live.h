/* The tlsrpt settings in force for POST /tlsrpt: SIGHUP changes them while workers read them. */
#ifndef HTTPSD_INTAKE_LIVE_H
#define HTTPSD_INTAKE_LIVE_H

#include <pthread.h>
#include "httpsd/intake.h"

struct intake_live {
	pthread_mutex_t lock;
	struct intake_settings s;
};

void intake_live_init(struct intake_live *l, const struct intake_settings *s);
void intake_live_free(struct intake_live *l);
/* A copy of the settings in force: a request keeps it from its head to its answer. */
struct intake_settings intake_live_get(struct intake_live *l);
/* New settings from the next request on; state_dir and log are kept (they are not live). */
void intake_live_set(struct intake_live *l, const struct intake_settings *s);

#endif
