/* Addresses with ports as operators write them: 192.0.2.1:53, [2001:db8::1]:53. */
#ifndef LS_ADDR_H
#define LS_ADDR_H

#include <stddef.h>
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
/* A network interface with a port as dnsd.xdp-listen takes it: "eth0@53" (Knot's form). The
 * name (1 to 15 of letters, digits, '.', '-', '_', ':') goes to ifname. Returns 0 or -1. */
int addr_ifport_parse(const char *text, char ifname[16], uint16_t *port);
/*
 * The address of a into out, as clients are counted and hashed: 4 bytes for IPv4, also for an
 * IPv4-mapped IPv6 address (a dual-stack socket's IPv4 client), else 16; 0 for any other family.
 */
size_t addr_bytes(const struct sockaddr *a, uint8_t out[16]);
/* The socket address for family (AF_INET, AF_INET6), addr and port; returns its length. */
socklen_t addr_sockaddr(int family, const uint8_t addr[16], uint16_t port,
                        struct sockaddr_storage *out);

#endif
