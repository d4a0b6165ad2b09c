/* Addresses with ports as operators write them: 192.0.2.1:53, [2001:db8::1]:53. */
#ifndef LS_ADDR_H
#define LS_ADDR_H

#include <stdint.h>
#include <sys/socket.h>

#define ADDR_TEXT_MAX 64

/*
 * Parses "A.B.C.D", "A.B.C.D:PORT", a bare IPv6 address or "[IPv6]:PORT" into family
 * (AF_INET, AF_INET6), addr (4 or 16 bytes) and port. Without a port, default_port is
 * used; a negative default_port means the port is required. Returns 0 or -1.
 */
int addr_parse(const char *text, int default_port, int *family, uint8_t addr[16],
               uint16_t *port);
/* The socket address for family (AF_INET, AF_INET6), addr and port; returns its length. */
socklen_t addr_sockaddr(int family, const uint8_t addr[16], uint16_t port,
                        struct sockaddr_storage *out);

#endif
