/* --connect-to HOST:PORT:ADDR:PORT (curl's syntax): where a check's HTTPS and SMTP go instead. */
#ifndef LS_CHECK_CONNECT_H
#define LS_CHECK_CONNECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Checks every rule; 0, or -1 with the first bad one named in err. */
int check_connect_parse(const char *const *rules, size_t n, char *err, size_t errlen);
/*
 * The first rule for host and port: true with the endpoint in out ("ADDR:PORT" or
 * "[ADDR]:PORT") and its port in *to_port. An empty HOST or PORT in a rule matches any; an
 * empty ADDR keeps the host's own addresses (out "": resolve host, connect to *to_port); an
 * empty target port keeps port. False when no rule applies.
 */
bool check_connect_find(const char *const *rules, size_t n, const char *host, uint16_t port,
                        char *out, size_t cap, uint16_t *to_port);

#endif
