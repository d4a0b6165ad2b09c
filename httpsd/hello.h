/* A look at a TLS ClientHello before mbedTLS sees it: does it name a server (SNI) at all? */
#ifndef HTTPSD_HELLO_H
#define HTTPSD_HELLO_H

#include <stddef.h>
#include <stdint.h>

#define HELLO_RECORD_MAX (16384 + 5)  /* a TLS plaintext record with its header */

enum hello_sni {
	HELLO_MORE,     /* the first record is not all there yet */
	HELLO_SNI,      /* a ClientHello with a server_name extension */
	HELLO_NO_SNI,   /* a complete ClientHello without one */
	HELLO_OTHER,    /* anything else (fragmented, malformed, not TLS): mbedTLS decides */
};

/* Looks at the first TLS record in buf[0..len). */
enum hello_sni hello_peek_sni(const uint8_t *buf, size_t len);

/* The fatal unrecognized_name alert (RFC 6066 3) as a plaintext TLS 1.2 record. */
extern const uint8_t hello_alert_unrecognized_name[7];

#endif
