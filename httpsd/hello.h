/* A look at a TLS ClientHello before mbedTLS sees it: does it name a server, which extensions. */
#ifndef HTTPSD_HELLO_H
#define HTTPSD_HELLO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HELLO_RECORD_MAX (16384 + 5)  /* a TLS plaintext record with its header */
#define HELLO_EXT_SERVER_NAME 0       /* RFC 6066 */
#define HELLO_EXT_ALPN 16             /* RFC 7301 */

enum hello_sni {
	HELLO_MORE,     /* the first record is not all there yet */
	HELLO_SNI,      /* a ClientHello with a server_name extension */
	HELLO_NO_SNI,   /* a complete ClientHello without one */
	HELLO_OTHER,    /* anything else (fragmented, malformed, not TLS): mbedTLS decides */
};

/* Looks at the first TLS record in buf[0..len). */
enum hello_sni hello_peek_sni(const uint8_t *buf, size_t len);

/* True when the first record in buf[0..len) is a whole ClientHello with extension type: its
 * body, borrowed from buf, in *body and *blen. */
bool hello_find_ext(const uint8_t *buf, size_t len, unsigned type, const uint8_t **body,
                    size_t *blen);

/* The fatal unrecognized_name alert (RFC 6066 3) as a plaintext TLS 1.2 record. */
extern const uint8_t hello_alert_unrecognized_name[7];

#endif
