/*
 * dns-01 (RFC 8555 8.4): the _acme-challenge.<host> TXT written and removed through the one
 * zone edit path (a managed record: hand edits are refused, see sts_derive.c), and the wait
 * until dnsd and every secondary of the zone (its NOTIFY targets) serve the serial that
 * carries it.
 */
#ifndef LS_ACME_DNS_H
#define LS_ACME_DNS_H

#include <stdbool.h>
#include <stdint.h>
#include "shared/store/store.h"
#include "shared/util/config.h"

#define ACME_DNS_TTL 60               /* seconds: the challenge record is short-lived */
#define ACME_DNS_WAIT_MS 120000       /* longest wait for dnsd and the secondaries */
#define ACME_DNS_QUERY_MS 1000        /* one SOA query */

/* True when host's zone is in the store (auto picks dns-01 then). */
bool acme_dns_zone_here(struct store *st, const char *host);
/* Writes the TXT value at _acme-challenge.HOST (replacing what is there); *serial the zone's
 * serial after. Returns 0, LS_ENOZONE or the edit's error with the reason in err. */
int acme_dns_put(struct store *st, const char *host, const char *value, uint32_t *serial,
                 char *err, size_t errlen);
/* Removes the challenge TXT of host; absent is fine. 0 or the edit's error. */
int acme_dns_del(struct store *st, const char *host, char *err, size_t errlen);
/*
 * Waits until dnsd (its first dnsd.listen address; a wildcard one asked on loopback) and
 * every secondary of host's zone answer SOA with serial or later, up to ACME_DNS_WAIT_MS.
 * 0, or -ETIMEDOUT naming who lags in err.
 */
int acme_dns_wait(struct store *st, const struct config *cfg, const char *host, uint32_t serial,
                  char *err, size_t errlen);
/* The SOA serial apex (text) has at addr:port (one UDP query, timeout_ms). 0 or negative. */
int acme_dns_soa_serial(int family, const uint8_t addr[16], uint16_t port, const char *apex,
                        int timeout_ms, uint32_t *serial);

#endif
