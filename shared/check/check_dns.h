/*
 * A check's DNS, through one resolver with ldns: the system's (/etc/resolv.conf) or one
 * server that may be authoritative and do no recursion, so CNAMEs are followed here. One
 * struct check_dns per thread.
 */
#ifndef LS_CHECK_DNS_H
#define LS_CHECK_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shared/check/check.h"
#include "shared/util/addr.h"

#define CHECK_DNS_CHAIN 8        /* CNAMEs followed before giving up */
#define CHECK_DNS_TXT_MAX 1024   /* bytes of one TXT record kept */

struct check_dns;

/* resolver: "ADDR[:PORT]" or NULL for the system's; every query ends by deadline (monotonic
 * ms, clock_mono_ms()). 0, or a negative code with the reason in err. */
int check_dns_open(struct check_dns **out, const char *resolver, int64_t deadline, char *err,
                   size_t errlen);
void check_dns_close(struct check_dns *d);
/* cancel (NULL: none): once set, queries end at once with "stopped"; a query waits in
 * slices of CHECK_CANCEL_SLICE_MS per try to notice it. */
void check_dns_set_cancel(struct check_dns *d, const atomic_bool *cancel);
bool check_dns_cancelled(const struct check_dns *d);

/*
 * The TXT records at name (CNAMEs followed; *cname says one was), up to max, each cut at
 * CHECK_DNS_TXT_MAX - 1 bytes. 0 when the DNS answered (*n may be 0: no such name or no
 * TXT), negative when it did not (timeout, SERVFAIL; err says which).
 */
int check_dns_txt(struct check_dns *d, const char *name, char (*txt)[CHECK_DNS_TXT_MAX],
                  size_t max, size_t *n, bool *cname, char *err, size_t errlen);
/* The MX records of name into mx (host, pref), sorted by host, at most max. As check_dns_txt. */
int check_dns_mx(struct check_dns *d, const char *name, struct check_mx *mx, size_t max,
                 size_t *n, char *err, size_t errlen);
/* The A and AAAA addresses of host (CNAMEs followed), as text, at most max. As check_dns_txt. */
int check_dns_addrs(struct check_dns *d, const char *host, char (*addrs)[ADDR_TEXT_MAX],
                    size_t max, size_t *n, char *err, size_t errlen);
/* How many records of type (a number: 52 for TLSA) are at name. As check_dns_txt. */
int check_dns_count(struct check_dns *d, const char *name, uint16_t type, size_t *n,
                    char *err, size_t errlen);

#endif
