/* --connect-to HOST:PORT:ADDR:PORT (curl's syntax): where a check's HTTPS and SMTP go instead. */
#ifndef LS_CHECK_CONNECT_H
#define LS_CHECK_CONNECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Checks every rule; 0, or -1 with the first bad one named in err. */
int check_connect_parse(const char *const *rules, size_t n, char *err, size_t errlen);
/*
 * The endpoint ("ADDR:PORT" or "[ADDR]:PORT", into out) of the first rule for host and port;
 * an empty HOST or PORT in a rule matches any, an empty ADDR keeps the host's own addresses
 * (false then) and an empty target port keeps port. False when no rule applies.
 */
bool check_connect_find(const char *const *rules, size_t n, const char *host, uint16_t port,
                        char *out, size_t cap);

#endif
