/*
 * TLS certificates in the state directory: STATE/certs/HOST/{fullchain.pem,privkey.pem} for
 * httpsd, loaded with their checks, and the demo CA (STATE/demo-ca) that issues them.
 * The one header for the daemons and zonectl; each section names the file that owns it.
 * What issuers share besides (random numbers, keys, certificate fields) is in cert_make.h.
 */
#ifndef LS_CERT_H
#define LS_CERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>

#define CERT_HOST_MAX 253             /* a host name in text, without the trailing dot */
#define CERT_FILE_MAX (64 * 1024)     /* bytes of a PEM file we read */
#define CERT_CA_DAYS 3650             /* the demo CA's validity */
#define CERT_LEAF_DAYS 90             /* a certificate the demo CA issues */
#define CERT_RENEW_DAYS 30            /* cert_demo_ensure() replaces one this close to its end */
#define CERT_TEXT_MAX 256             /* an issuer name or an error text */

#define CERT_DIR "certs"
#define CERT_CHAIN_FILE "fullchain.pem"
#define CERT_KEY_FILE "privkey.pem"
#define CERT_CA_DIR "demo-ca"
#define CERT_CA_FILE "ca.pem"
#define CERT_CA_KEY_FILE "ca.key"

/* ---- cert.c: host names, the layout of STATE/certs/HOST/, writing a pair there ---- */

/* Checks a host name as we take it for a directory name: 0, or LS_EPARSE. */
int cert_host_check(const char *host);
/* Copies host lower-cased and without a trailing dot into out[CERT_HOST_MAX + 1]; 0 or LS_EPARSE. */
int cert_host_norm(const char *host, char *out);

/* What tells one version of a host's two files from another (replaced, rewritten, chmod'ed). */
struct cert_stamp {
	struct cert_file_stamp {
		bool present;
		dev_t dev;
		ino_t ino;
		off_t size;
		int64_t mtime_ns, ctime_ns;
		mode_t mode;
	} chain, key;
};

/* Stats both files of host (a missing file is present = false). Returns 0 or LS_EPARSE. */
int cert_stamp_get(const char *state_dir, const char *host, struct cert_stamp *out);
bool cert_stamp_equal(const struct cert_stamp *a, const struct cert_stamp *b);

/* STATE/certs/HOST/FILE into out[len]; 0 or -ENAMETOOLONG. */
int cert_path(char *out, size_t len, const char *state_dir, const char *host, const char *file);
/*
 * Writes host's pair: STATE/certs/HOST/privkey.pem (0600) first, then fullchain.pem (0644),
 * each through a temporary file, fsync and rename, under a lock on the directory so two
 * writers cannot mix one's key with the other's chain. For every issuer (the demo CA, ACME).
 * Returns 0, LS_EPARSE for a bad host, or -errno with the reason in err.
 */
int cert_write(const char *state_dir, const char *host, const void *chain, size_t chain_len,
               const void *key, size_t key_len, char *err, size_t errlen);
/* "what: mbedTLS's text for rc" into err. */
void cert_tls_error(char *err, size_t errlen, const char *what, int rc);

/* ---- cert_load.c: reading with checks ---- */

/*
 * Reads a PEM file of one or more certificates into chain (initialised by the caller).
 * Returns 0, -errno, LS_ETOOBIG or LS_EPARSE with the reason in err.
 */
int cert_load_chain(const char *path, mbedtls_x509_crt *chain, char *err, size_t errlen);
/*
 * Reads a PEM private key into key (initialised by the caller). A key file that group or
 * others may read is refused (-EPERM). Returns 0 or a negative code with the reason in err.
 */
int cert_load_key(const char *path, mbedtls_pk_context *key, char *err, size_t errlen);
/*
 * Loads host's chain and key into chain and key (initialised by the caller, freed by the caller
 * on success and failure). Refuses, with the reason in err: missing files (-ENOENT), a key file
 * that group or others may read (-EPERM), unparsable files, a key that does not belong to the
 * first certificate, or a first certificate that does not name host (LS_EPARSE).
 */
int cert_load(const char *state_dir, const char *host, mbedtls_x509_crt *chain,
              mbedtls_pk_context *key, char *err, size_t errlen);
/*
 * cert_load() with flags. CERT_LOAD_PAIR_SEEN: the caller saw these very files (the same
 * cert_stamp) pass the key-belongs-to-certificate check before, so it is skipped: with an EC
 * key it is a scalar multiplication, about 1 ms here, twenty times the reading and parsing.
 */
#define CERT_LOAD_PAIR_SEEN 1u
int cert_load_flags(const char *state_dir, const char *host, unsigned flags,
                    mbedtls_x509_crt *chain, mbedtls_pk_context *key, char *err, size_t errlen);

/* True when crt's subjectAltName has host as a DNS name (one wildcard label allowed). */
bool cert_names_host(const mbedtls_x509_crt *crt, const char *host);

struct cert_info {
	char host[CERT_HOST_MAX + 1];
	int64_t not_before, not_after;
	char issuer[CERT_TEXT_MAX];
	int error;                        /* 0, or why host's files cannot be used */
	char error_text[CERT_TEXT_MAX];
};

/* Describes host's certificate (and whether it is usable). Returns 0 or LS_EPARSE (bad host). */
int cert_info_get(const char *state_dir, const char *host, struct cert_info *out);
/* The host directories under STATE/certs (at most 100,000), sorted, into *names (free with
 * cert_hosts_free()); no directory is none. Reads no file. Returns 0 or a negative code. */
int cert_hosts(const char *state_dir, char ***names, size_t *n);
void cert_hosts_free(char **names, size_t n);
/* Calls fn for every host directory under STATE/certs, sorted by name; stops at fn's first
 * non-zero and returns it. No directory is no certificates: returns 0. */
int cert_list(const char *state_dir, int (*fn)(const struct cert_info *info, void *ctx),
              void *ctx);

/* ---- cert_demo.c: the demo CA ---- */

/* True when STATE/demo-ca has a CA certificate (whether usable or not). */
bool cert_demo_exists(const char *state_dir);
/*
 * Loads the demo CA's certificate and key (0600) into ca and key (initialised and freed by
 * the caller) and checks that they match. Returns 0 or a negative code with the reason in err.
 */
int cert_demo_load(const char *state_dir, mbedtls_x509_crt *ca, mbedtls_pk_context *key,
                   char *err, size_t errlen);
/*
 * Creates the demo CA (ECDSA P-256, CERT_CA_DAYS) in STATE/demo-ca, or keeps the one there:
 * *created says which. A damaged CA (one file missing or unreadable) is an error, never
 * replaced. Returns 0 or a negative code with the reason in err.
 */
int cert_demo_ca(const char *state_dir, bool *created, char *err, size_t errlen);
/* ---- cert_issue.c: certificates from the demo CA ---- */

/*
 * Issues an ECDSA P-256 certificate for host from the demo CA (SAN dNSName host, serverAuth,
 * CERT_LEAF_DAYS) and writes STATE/certs/HOST/fullchain.pem (leaf + CA) and privkey.pem (0600),
 * each through a temporary file, fsync and rename. Returns 0; -ENOENT when there is no demo CA;
 * LS_EPARSE for a bad host; other negative codes with the reason in err.
 */
int cert_issue(const char *state_dir, const char *host, char *err, size_t errlen);
/*
 * For `zonectl mta-sts enable`: when a demo CA exists and host has no usable certificate with
 * more than CERT_RENEW_DAYS left, issues one. Does nothing (returns 0) without a demo CA, so a
 * real certificate put there by the operator is never replaced. Returns 0 or a negative code
 * with the reason in err.
 */
int cert_demo_ensure(const char *state_dir, const char *host, char *err, size_t errlen);

/*
 * The demo CA loaded once to issue many certificates (bulk enables): cert_signer_open()
 * (-ENOENT without a demo CA; *out is then NULL), then cert_signer_issue() or
 * cert_signer_ensure() (as cert_demo_ensure()) per host, then cert_signer_close(). One
 * signer per thread: signing writes into the CA key's context. state_dir is borrowed.
 */
struct cert_signer;
int cert_signer_open(struct cert_signer **out, const char *state_dir, char *err, size_t errlen);
int cert_signer_issue(struct cert_signer *s, const char *host, char *err, size_t errlen);
int cert_signer_ensure(struct cert_signer *s, const char *host, char *err, size_t errlen);
void cert_signer_close(struct cert_signer *s);

/* ---- cert_bulk.c: many demo certificates at once ---- */

#define CERT_BULK_THREADS_MAX 16

/*
 * cert_demo_ensure() for each of hosts[0..n), in up to threads threads (the caller's among
 * them), each with its own signer: the key making and signing run on every core, and the
 * file syncs overlap. Each host's outcome goes to rcs[i] (0, or a negative code with the
 * reason in errs[i]). Without a demo CA nothing is done (every rcs[i] 0).
 */
void cert_bulk_demo_ensure(const char *state_dir, const char *const *hosts, size_t n,
                           unsigned threads, int *rcs, char (*errs)[CERT_TEXT_MAX]);

#endif
