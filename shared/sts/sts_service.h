/*
 * Where mta-sts.<domain> points (mta-sts.service-address or service-cname): the records a
 * service gives the name, those the name holds, and the services applied so far, kept in
 * STORE_META so that a changed configuration can be followed (sts_rederive.h).
 */
#ifndef LS_STS_SERVICE_H
#define LS_STS_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shared/dns/dname.h"
#include "shared/store/store.h"
#include "shared/store/zone_txn.h"
#include "shared/util/diag.h"

#define STS_SERVICE_MAX 16        /* records at mta-sts.<domain>: addresses, or one CNAME */
#define STS_SERVICE_KEEP 8        /* services remembered, the one in force first */
#define STS_SERVICE_META "sts_service"   /* the STORE_META key of that list */

/* Where mta-sts.<domain> points: addresses (space separated) or a CNAME target. */
struct sts_service {
	const char *addresses;
	const char *cname;
	uint32_t txt_ttl;
};

/* One record of the name: A, AAAA or CNAME RDATA (names in lower case). */
struct sts_service_rr {
	uint16_t type;
	uint16_t len;
	uint8_t rd[DNAME_MAX];
};

/* A set of such records in one order (type, then RDATA), without repeats. */
struct sts_service_set {
	unsigned n;
	struct sts_service_rr rr[STS_SERVICE_MAX];
};

/*
 * The records svc gives mta-sts.<domain>: the CNAME when cname is set, else an A or AAAA per
 * address. Returns 0, LS_ENOTFOUND when svc names nothing, LS_ETOOBIG over STS_SERVICE_MAX,
 * or LS_ECONFIG with what is wrong in err ("mta-sts.service-address: x is not an IP address").
 */
int sts_service_parse(const struct sts_service *svc, struct sts_service_set *out, char *err,
                      size_t cap);
/* mta-sts.<domain>. Returns 0 or LS_ETOOBIG. */
int sts_service_owner(uint8_t out[DNAME_MAX], const uint8_t *domain);
/* The A, AAAA and CNAME records owner holds in zone z. Returns 0, LS_ETOOBIG or a store error. */
int sts_service_stored(struct store_txn *t, const struct zone_info *z, const uint8_t *owner,
                       struct sts_service_set *out);
bool sts_service_same(const struct sts_service_set *a, const struct sts_service_set *b);
/* Inside a managed edit: owner's records become set's, with ttl. */
int sts_service_write(struct zone_txn *zt, const uint8_t *owner, const struct sts_service_set *set,
                      uint32_t ttl, struct diag *d);

/*
 * The services applied, newest (the one in force) first: list has room for STS_SERVICE_KEEP.
 * *n is 0 when none was ever recorded. Returns 0 or a store error.
 */
int sts_service_applied(struct store_txn *t, struct sts_service_set *list, unsigned *n);
/* Records set as the one in force, the others after it (the oldest go past STS_SERVICE_KEEP). */
int sts_service_apply(struct store_txn *t, const struct sts_service_set *set);
/* A domain got set's records: set is remembered (in force when nothing was before, else after
 * the one in force), so that a later change of the configuration follows it too. */
int sts_service_note(struct store_txn *t, const struct sts_service_set *set);

#endif
