/* tlsrpt.per-address-per-hour: reports one client address may POST in one clock hour, counted
 * in a fixed table (an address flood evicts the smallest counts, never grows memory). */
#ifndef HTTPSD_INTAKE_RATE_H
#define HTTPSD_INTAKE_RATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define INTAKE_RATE_SLOTS 4096        /* addresses counted at once */
#define INTAKE_RATE_PROBE 8           /* slots one address may land in */

struct intake_rate_slot {
	uint8_t addr[16];
	uint8_t len;                      /* 0: free */
	int64_t hour;                     /* the clock hour counted */
	uint32_t count;
};

struct intake_rate {
	pthread_mutex_t lock;
	_Atomic uint32_t per_hour;        /* 0: no limit; SIGHUP may change it */
	struct intake_rate_slot *slots;
};

/* Returns 0 or -ENOMEM. */
int intake_rate_init(struct intake_rate *r, uint32_t per_hour);
void intake_rate_free(struct intake_rate *r);
/* A new limit from the next report on; the counts of this hour stay. */
void intake_rate_set(struct intake_rate *r, uint32_t per_hour);
/* Counts one report from peer at now (seconds); false when it is over the hour's limit. */
bool intake_rate_take(struct intake_rate *r, const struct sockaddr *peer, int64_t now);

#endif
