/*
 * httpsd's certificate cache: STATE/certs/HOST loaded at first use, looked at again at most once
 * per CERTS_RESTAT_MS, so a replaced certificate is used by the next handshake with no restart;
 * at most `max` hosts are kept, the least recently used go first. Shared by every worker.
 * A host pushed out and asked for again costs a read and parse of its files, not a second
 * check that the key belongs to the certificate when the files are the ones checked before.
 */
#ifndef HTTPSD_CERTS_H
#define HTTPSD_CERTS_H

#include <stddef.h>
#include <stdint.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#define CERTS_CACHE_MAX 1024        /* hosts kept by default (httpsd: cert-cache:) */
#define CERTS_CACHE_LIMIT 1000000   /* the most cert-cache may say */
#define CERTS_RESTAT_MS 1000        /* a host's files are stat'ed at most this often */

/* A host's chain and key; they stay valid while a reference is held. */
struct certs_pair {
	mbedtls_x509_crt chain;
	mbedtls_pk_context key;
	int refs;
};

struct certs;

/* Returns 0 or -ENOMEM. Free with certs_close(). */
int certs_open(struct certs **out, const char *state_dir, size_t max);
void certs_close(struct certs *c);

/*
 * The certificate for host (a checked, lower-case name), or NULL when there is none to use.
 * Why files that exist cannot be used is logged once per change of the files; a host with no
 * directory is not logged. A replacement that fails to load keeps the previous pair in use
 * (a certificate and key renamed into place one after the other), except that a key that
 * became readable by others is dropped at once. Release with certs_release().
 */
struct certs_pair *certs_get(struct certs *c, const char *host);
void certs_release(struct certs *c, struct certs_pair *p);
/* Hosts in the cache now (for tests and the benchmark). */
size_t certs_count(struct certs *c);

/* What the cache did since it opened, for /metrics. */
struct certs_stats {
	uint64_t hits;        /* served from the cache (files unchanged, or not looked at yet) */
	uint64_t misses;      /* hosts not in the cache: their files read and parsed */
	uint64_t evictions;   /* hosts pushed out, least recently used first, to stay within max */
	uint64_t reloads;     /* cached hosts whose files changed on disk: read and parsed again */
	uint64_t key_checks;  /* loads of files not seen to pass the key check before, so
	                       * checked (not on /metrics; for tests) */
	size_t cached, max;   /* hosts in the cache now; the bound */
};
void certs_stats_get(struct certs *c, struct certs_stats *out);

#endif
