/* The certificate cache: a hash of hosts, an LRU list, reference-counted pairs, one mutex. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "httpsd/certs.h"
#include "shared/tls/cert.h"
#include "shared/util/clock.h"
#include "shared/util/fnv.h"
#include "shared/util/log.h"

struct slot {
	struct slot *hnext;               /* hash chain */
	struct slot *prev, *next;         /* LRU list, most recent first */
	struct certs_pair *pair;          /* NULL: nothing usable */
	struct cert_stamp stamp;          /* the files pair (or the failure) came from */
	uint64_t checked_ms;
	char host[CERT_HOST_MAX + 1];
};

#define UNKNOWN_SLOTS 1024               /* names asked for without a certificate, hashed */
#define UNKNOWN_MAX (UNKNOWN_SLOTS / 2)  /* logged, once each; past that, none */
#define SEEN_SLOTS (1u << 17)            /* 1 MiB: pairs whose key check passed, by host */

struct certs {
	pthread_mutex_t mu;
	char *state_dir;
	size_t max, n;
	struct slot **buckets;             /* nbuckets chains, a power of two: about one per host */
	size_t nbuckets;
	struct certs_stats count;          /* under mu */
	struct slot *head, *tail;
	uint64_t unknown[UNKNOWN_SLOTS];   /* 0: free */
	size_t nunknown;
	/* Direct-mapped by the host's name_hash(): the pair_hash() of the files whose key check
	 * passed last, so a host evicted and asked for again skips it; another host in the same
	 * slot costs a check, nothing more. Outlives the slots, as eviction is what it is for. */
	uint64_t *seen;
};

static size_t bucket(const struct certs *c, const char *host)
{
	uint32_t h = 2166136261u;       /* FNV-1a */
	for (const char *p = host; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return h & (c->nbuckets - 1);
}

int certs_open(struct certs **out, const char *state_dir, size_t max)
{
	max = max ? max : 1;
	if (max > CERTS_CACHE_LIMIT)
		max = CERTS_CACHE_LIMIT;
	size_t nb = 16;
	while (nb < max)
		nb *= 2;
	struct certs *c = calloc(1, sizeof(*c));
	if (c == NULL || (c->state_dir = strdup(state_dir)) == NULL ||
	    (c->buckets = calloc(nb, sizeof(*c->buckets))) == NULL ||
	    (c->seen = calloc(SEEN_SLOTS, sizeof(*c->seen))) == NULL) {
		if (c) {
			free(c->state_dir);
			free(c->buckets);
		}
		free(c);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->mu, NULL);
	c->max = max;
	c->nbuckets = nb;
	*out = c;
	return 0;
}

static void pair_unref(struct certs_pair *p)
{
	if (p && --p->refs == 0) {
		mbedtls_x509_crt_free(&p->chain);
		mbedtls_pk_free(&p->key);     /* zeroizes the key */
		free(p);
	}
}

static void lru_unlink(struct certs *c, struct slot *s)
{
	*(s->prev ? &s->prev->next : &c->head) = s->next;
	*(s->next ? &s->next->prev : &c->tail) = s->prev;
	s->prev = s->next = NULL;
}

static void lru_front(struct certs *c, struct slot *s)
{
	s->next = c->head;
	s->prev = NULL;
	if (c->head)
		c->head->prev = s;
	c->head = s;
	if (c->tail == NULL)
		c->tail = s;
}

static void slot_free(struct certs *c, struct slot *s)
{
	struct slot **pp = &c->buckets[bucket(c, s->host)];
	while (*pp != s)
		pp = &(*pp)->hnext;
	*pp = s->hnext;
	lru_unlink(c, s);
	pair_unref(s->pair);
	free(s);
	c->n--;
}

void certs_close(struct certs *c)
{
	if (c == NULL)
		return;
	while (c->head)
		slot_free(c, c->head);
	pthread_mutex_destroy(&c->mu);
	free(c->seen);
	free(c->buckets);
	free(c->state_dir);
	free(c);
}

static struct slot *find(struct certs *c, const char *host)
{
	for (struct slot *s = c->buckets[bucket(c, host)]; s; s = s->hnext)
		if (strcmp(s->host, host) == 0)
			return s;
	return NULL;
}

/* The slot's pair with a reference for the caller (under the lock). */
static struct certs_pair *take(struct certs *c, struct slot *s)
{
	lru_unlink(c, s);
	lru_front(c, s);
	if (s->pair)
		s->pair->refs++;
	return s->pair;
}

/* FNV-1a, never 0 (0 marks a free slot). */
static uint64_t name_hash(const char *host)
{
	uint64_t h = 14695981039346656037ull;
	for (const unsigned char *p = (const unsigned char *)host; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h ? h : 1;
}

/* Host and the stamp of its two files, hashed: equal when the same files are in place. */
static uint64_t pair_hash(const char *host, const struct cert_stamp *st)
{
	const struct cert_file_stamp *f[2] = { &st->chain, &st->key };
	uint64_t v[2][7];
	uint8_t buf[CERT_HOST_MAX + 1 + sizeof(v)];
	size_t n = strlen(host);
	for (int i = 0; i < 2; i++) {
		uint64_t w[7] = { f[i]->present, (uint64_t)f[i]->dev, (uint64_t)f[i]->ino,
		                  (uint64_t)f[i]->size, (uint64_t)f[i]->mtime_ns,
		                  (uint64_t)f[i]->ctime_ns, (uint64_t)f[i]->mode };
		memcpy(v[i], w, sizeof(w));
	}
	if (n > CERT_HOST_MAX)
		n = CERT_HOST_MAX;
	memcpy(buf, host, n);
	memcpy(buf + n, v, sizeof(v));
	uint64_t h = fnv1a(buf, n + sizeof(v));
	return h ? h : 1;
}

/* A client asked for host and there is no certificate: said once per name, so an operator
 * sees a domain whose certificate is missing, and a client trying names fills no log. */
static void note_unknown(struct certs *c, const char *host)
{
	uint64_t h = name_hash(host);
	bool first = false, full = false;
	pthread_mutex_lock(&c->mu);
	size_t i = h % UNKNOWN_SLOTS;
	while (c->unknown[i] && c->unknown[i] != h)
		i = (i + 1) % UNKNOWN_SLOTS;
	if (c->unknown[i] == 0 && c->nunknown < UNKNOWN_MAX) {
		c->unknown[i] = h;
		first = true;
		full = ++c->nunknown == UNKNOWN_MAX;
	}
	pthread_mutex_unlock(&c->mu);
	if (first)
		log_notice("certs: no certificate for %s in %s/%s (a client asked for it)", host,
		           c->state_dir, CERT_DIR);
	if (full)
		log_notice("certs: %d names without a certificate logged; no more will be",
		           UNKNOWN_MAX);
}

/* Loads host's files into a new pair (refs 1), or NULL with *drop set when the old pair must go.
 * seen: these files passed the key check before (CERT_LOAD_PAIR_SEEN). */
static struct certs_pair *load(struct certs *c, const char *host, const struct cert_stamp *st,
                               bool seen, bool *drop)
{
	char err[512];
	*drop = true;
	if (!st->chain.present && !st->key.present) {
		note_unknown(c, host);     /* once per name: every handshake would log otherwise */
		return NULL;
	}
	struct certs_pair *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		*drop = false;
		return NULL;
	}
	mbedtls_x509_crt_init(&p->chain);
	mbedtls_pk_init(&p->key);
	p->refs = 1;
	int rc = cert_load_flags(c->state_dir, host, seen ? CERT_LOAD_PAIR_SEEN : 0, &p->chain,
	                         &p->key, err, sizeof(err));
	if (rc == 0)
		return p;
	log_warning("certs: %s: %s", host, err);
	pair_unref(p);
	/* A half-replaced pair is transient; an exposed or missing key is not to be served. */
	*drop = rc == -EPERM || rc == -ENOENT;
	return NULL;
}

struct certs_pair *certs_get(struct certs *c, const char *host)
{
	struct cert_stamp st;
	struct certs_pair *p;
	uint64_t now = (uint64_t)clock_mono_ms();
	pthread_mutex_lock(&c->mu);
	struct slot *s = find(c, host);
	if (s && now - s->checked_ms < CERTS_RESTAT_MS) {
		c->count.hits++;
		p = take(c, s);
		pthread_mutex_unlock(&c->mu);
		return p;
	}
	pthread_mutex_unlock(&c->mu);
	/* File system work and parsing happen outside the lock: other workers keep going. */
	if (cert_stamp_get(c->state_dir, host, &st) != 0)
		return NULL;
	uint64_t ph = pair_hash(host, &st);
	size_t seen_slot = name_hash(host) % SEEN_SLOTS;
	pthread_mutex_lock(&c->mu);
	s = find(c, host);
	if (s && cert_stamp_equal(&s->stamp, &st)) {
		c->count.hits++;
		s->checked_ms = now;
		p = take(c, s);
		pthread_mutex_unlock(&c->mu);
		return p;
	}
	bool seen = c->seen[seen_slot] == ph;
	pthread_mutex_unlock(&c->mu);
	bool drop;
	/* Files replaced between the stat and the read are seen at the next re-stat, checked. */
	struct certs_pair *fresh = load(c, host, &st, seen, &drop);
	pthread_mutex_lock(&c->mu);
	c->count.key_checks += !seen && (st.chain.present || st.key.present);
	c->seen[seen_slot] = fresh ? ph : 0;
	s = find(c, host);
	if (s == NULL) {
		c->count.misses++;
		if (c->n >= c->max) {
			slot_free(c, c->tail);
			c->count.evictions++;
		}
		s = calloc(1, sizeof(*s));
		if (s == NULL) {
			pthread_mutex_unlock(&c->mu);
			pair_unref(fresh);
			return NULL;
		}
		snprintf(s->host, sizeof(s->host), "%s", host);
		s->hnext = c->buckets[bucket(c, host)];
		c->buckets[bucket(c, host)] = s;
		lru_front(c, s);
		c->n++;
	} else {
		c->count.reloads++;
	}
	if (fresh || drop) {
		pair_unref(s->pair);
		s->pair = fresh;
	}
	s->stamp = st;
	s->checked_ms = now;
	p = take(c, s);
	pthread_mutex_unlock(&c->mu);
	return p;
}

void certs_release(struct certs *c, struct certs_pair *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&c->mu);
	pair_unref(p);
	pthread_mutex_unlock(&c->mu);
}

size_t certs_count(struct certs *c)
{
	pthread_mutex_lock(&c->mu);
	size_t n = c->n;
	pthread_mutex_unlock(&c->mu);
	return n;
}

void certs_stats_get(struct certs *c, struct certs_stats *out)
{
	pthread_mutex_lock(&c->mu);
	*out = c->count;
	out->cached = c->n;
	out->max = c->max;
	pthread_mutex_unlock(&c->mu);
}
