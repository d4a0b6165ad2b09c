/* Open connections counted per client address and in all, across every worker. */
#ifndef HTTPSD_CLIENTS_H
#define HTTPSD_CLIENTS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CLIENTS_BUCKETS 4096

struct client;

struct clients {
	pthread_mutex_t mu;
	size_t total, max_total, max_per;
	struct client *buckets[CLIENTS_BUCKETS];
};

void clients_init(struct clients *c, size_t max_total, size_t max_per);
void clients_free(struct clients *c);
/* New limits for the next connections (SIGHUP); those open stay open. */
void clients_set(struct clients *c, size_t max_total, size_t max_per);
/* Counts a new connection from a; false (nothing counted) when a limit is reached. */
bool clients_add(struct clients *c, const struct sockaddr *a);
/* Uncounts a connection clients_add() counted. */
void clients_del(struct clients *c, const struct sockaddr *a);

#endif
