/*
 * A TCP connection with one deadline for everything done on it, and the mbedTLS I/O
 * callbacks over it: the MTA-STS fetch and the check's SMTP STARTTLS client share them.
 */
#ifndef LS_TLS_CONN_H
#define LS_TLS_CONN_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define TLS_CONN_CANCEL_SLICE_MS 250   /* a cancellable wait looks at the flag this often */
#define TLS_CONN_HOST_MAX 256          /* bytes of a host name to look up, NUL included */

struct tls_conn {
	int fd;                      /* -1 before connecting */
	int64_t deadline;            /* monotonic ms */
	const atomic_bool *cancel;   /* NULL, or once set every wait ends as if timed out */
};

/* Connects c (deadline set) to endpoint ("ADDR:PORT", "[ADDR]:PORT"; default_port without
 * one), non-blocking, Nagle off. 0, or a negative code with the reason in err. */
int tls_conn_open(struct tls_conn *c, const char *endpoint, int default_port, char *err,
                  size_t errlen);
/* Connects c to host (a name, resolved: each address in turn until one answers) at port,
 * as tls_conn_open() does (the ACME client's CA, a webhook). The lookup too ends at c's
 * deadline (or its cancel flag): -ETIMEDOUT, "name lookup for HOST timed out after N ms".
 * 0, or a negative code with the reason in err. */
int tls_conn_open_name(struct tls_conn *c, const char *host, const char *port, char *err,
                       size_t errlen);
/* Tests only, NULL in the programs: run on the lookup's thread before getaddrinfo() (a unit
 * test points that thread's resolver at a server that never answers). */
extern void (*tls_conn_lookup_hook)(void);
void tls_conn_close(struct tls_conn *c);
/* Waits for events (POLLIN, POLLOUT) within the deadline: 1 ready, 0 timed out (or
 * cancelled). */
int tls_conn_wait(struct tls_conn *c, short events);
/* mbedtls_ssl_set_bio()'s send and receive over a struct tls_conn, bounded by its deadline. */
int tls_conn_send(void *ctx, const unsigned char *buf, size_t len);
int tls_conn_recv(void *ctx, unsigned char *buf, size_t len);

struct mbedtls_x509_crt;
/* A certificate's notAfter as Unix time. */
int64_t tls_conn_not_after(const struct mbedtls_x509_crt *crt);

#endif
