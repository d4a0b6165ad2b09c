/* Per-address connection counts: a hash of addresses with open connections, under one mutex. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include "httpsd/clients.h"

struct client {
	struct client *next;
	uint8_t addr[16];
	uint8_t len;                /* 4 or 16 */
	uint32_t n;
};

void clients_init(struct clients *c, size_t max_total, size_t max_per)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->mu, NULL);
	c->max_total = max_total;
	c->max_per = max_per;
}

void clients_set(struct clients *c, size_t max_total, size_t max_per)
{
	pthread_mutex_lock(&c->mu);
	c->max_total = max_total;
	c->max_per = max_per;
	pthread_mutex_unlock(&c->mu);
}

void clients_free(struct clients *c)
{
	for (size_t i = 0; i < CLIENTS_BUCKETS; i++)
		while (c->buckets[i]) {
			struct client *n = c->buckets[i]->next;
			free(c->buckets[i]);
			c->buckets[i] = n;
		}
	pthread_mutex_destroy(&c->mu);
}

/* The address bytes of a; 0 for a family we do not count. */
static size_t key(const struct sockaddr *a, uint8_t out[16])
{
	if (a->sa_family == AF_INET) {
		memcpy(out, &((const struct sockaddr_in *)a)->sin_addr, 4);
		return 4;
	}
	if (a->sa_family == AF_INET6) {
		memcpy(out, &((const struct sockaddr_in6 *)a)->sin6_addr, 16);
		return 16;
	}
	return 0;
}

static struct client **find(struct clients *c, const uint8_t *k, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ k[i]) * 16777619u;
	struct client **pp = &c->buckets[h % CLIENTS_BUCKETS];
	while (*pp && !((*pp)->len == len && memcmp((*pp)->addr, k, len) == 0))
		pp = &(*pp)->next;
	return pp;
}

bool clients_add(struct clients *c, const struct sockaddr *a)
{
	uint8_t k[16];
	size_t len = key(a, k);
	bool ok = false;
	pthread_mutex_lock(&c->mu);
	if (c->total >= c->max_total)
		goto out;
	if (len > 0) {
		struct client **pp = find(c, k, len);
		if (*pp == NULL) {
			if ((*pp = calloc(1, sizeof(**pp))) == NULL)
				goto out;
			memcpy((*pp)->addr, k, len);
			(*pp)->len = (uint8_t)len;
		}
		if ((*pp)->n >= c->max_per)
			goto out;
		(*pp)->n++;
	}
	c->total++;
	ok = true;
out:
	pthread_mutex_unlock(&c->mu);
	return ok;
}

void clients_del(struct clients *c, const struct sockaddr *a)
{
	uint8_t k[16];
	size_t len = key(a, k);
	pthread_mutex_lock(&c->mu);
	if (c->total > 0)
		c->total--;
	if (len > 0) {
		struct client **pp = find(c, k, len);
		if (*pp && --(*pp)->n == 0) {
			struct client *gone = *pp;
			*pp = gone->next;
			free(gone);
		}
	}
	pthread_mutex_unlock(&c->mu);
}
