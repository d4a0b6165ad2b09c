/*
 * The check's SMTP client (RFC 3207, RFC 8461 4.1): EHLO, STARTTLS, the handshake with the MX
 * host's name as SNI, the certificate checked against the trust store, QUIT; nothing else.
 */
#ifndef LS_CHECK_SMTP_H
#define LS_CHECK_SMTP_H

#include <stddef.h>
#include <stdint.h>

#define CHECK_SMTP_LINE_MAX 1000   /* RFC 5321 4.5.3.1.5: a reply line, CRLF included */
#define CHECK_SMTP_LINES_MAX 64    /* lines of one reply */
#define CHECK_HTTP_HEAD_MAX 1024   /* bytes read for an https rua's status line */

struct check_smtp;

enum check_smtp_outcome {
	CHECK_SMTP_TCP,          /* no connection */
	CHECK_SMTP_PROTOCOL,     /* no 220 greeting, EHLO refused, or garbage */
	CHECK_SMTP_NO_STARTTLS,  /* EHLO did not offer STARTTLS */
	CHECK_SMTP_TLS,          /* STARTTLS refused, or the handshake failed */
	CHECK_SMTP_DONE,         /* handshake done; verify_flags says what the certificate is */
};

struct check_smtp_probe {
	enum check_smtp_outcome outcome;
	uint32_t verify_flags;      /* MBEDTLS_X509_BADCERT_*; 0 when the certificate is good */
	int64_t not_after;          /* the certificate's end (Unix time); 0 unknown */
	int http_status;            /* check_smtp_handshake(): the status OPTIONS got; 0 none */
	int net_errno;              /* CHECK_SMTP_TCP: why connect failed (errno), 0 timed out */
	char err[256];              /* what failed, for the problem's message */
};

/* The trust store (PEM) and TLS settings, for probes on many threads. 0 or negative, err. */
int check_smtp_open(struct check_smtp **out, const char *ca_file, char *err, size_t errlen);
void check_smtp_close(struct check_smtp *s);
/* One connection to endpoint ("ADDR:PORT") for MX host, all by deadline (monotonic ms);
 * cancel (NULL: none), once set, ends its waits (check_opts.cancel). */
void check_smtp_probe(struct check_smtp *s, const char *endpoint, const char *host,
                      int64_t deadline, const atomic_bool *cancel,
                      struct check_smtp_probe *out);
/* TLS straight away, no SMTP (an https rua's server): the handshake, its certificate, and the
 * status of "OPTIONS path" (RFC 8460 3: reports are POSTed there). */
void check_smtp_handshake(struct check_smtp *s, const char *endpoint, const char *host,
                          const char *path, int64_t deadline, const atomic_bool *cancel,
                          struct check_smtp_probe *out);

#endif
