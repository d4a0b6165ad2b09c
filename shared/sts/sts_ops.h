/*
 * The MTA-STS checkbox: enable, change, disable a mail domain's MTA-STS. Each is one
 * zone edit (ZONE_TXN_MANAGED) that also writes the domain's record and policy; the id
 * is published afterwards by the publish step (shared/sts/sts_publish.h).
 */
#ifndef LS_STS_OPS_H
#define LS_STS_OPS_H

#include <stdbool.h>
#include "shared/util/diag.h"
#include "shared/sts/sts_record.h"
#include "shared/sts/sts_service.h"
#include "shared/store/zone_edit.h"

#define STS_DEFAULT_MAX_AGE 604800   /* one week (RFC 8461 3.2 suggests weeks) */

/* Settings given on the command line; the *_set flags say which. */
struct sts_settings {
	enum sts_mode mode;
	bool mode_set;
	uint32_t max_age;
	bool max_age_set;
	const char *extra[STS_EXTRA_MAX];
	unsigned nextra;
	bool extra_set;
	const char *rua[STS_RUA_MAX];
	unsigned nrua;
	bool rua_set;
	/* httpsd's https://mta-sts.<domain>/tlsrpt goes in before rua[rua_own_at], made for each
	 * domain (so one settings struct serves a bulk enable too). */
	bool rua_own_https;
	unsigned rua_own_at;
};

/*
 * Enables MTA-STS for domain (apex or any name with an MX RRset): adds mta-sts.<domain>,
 * _smtp._tls.<domain> when rua is given, and the first policy. Refusals go to d
 * (LS_EINVAL_ZONE); LS_ENOZONE when no zone holds domain; LS_EEXIST when already enabled.
 */
int sts_ops_enable(struct store *st, const uint8_t *domain, const struct sts_settings *set,
                   const struct sts_service *svc, struct diag *d, struct zone_result *res);
/* The same nested in b, a batch of several edits in one transaction (bulk enables). */
int sts_ops_enable_in(struct zone_batch *b, const uint8_t *domain,
                      const struct sts_settings *set, const struct sts_service *svc,
                      struct diag *d, struct zone_result *res);
/* Changes the given settings; a new policy version when the body changes. LS_ENOTFOUND
 * when MTA-STS is not enabled, LS_ENOCHANGE when the settings are those in force (nothing
 * written). res->zt is NULL when no record changed. */
int sts_ops_set(struct store *st, const uint8_t *domain, const struct sts_settings *set,
                struct diag *d, struct zone_result *res);
/*
 * Starts the removal of RFC 8461 8.3 (mode none, published, kept until every policy served
 * has expired, then the records go), or with now removes everything at once.
 */
int sts_ops_disable(struct store *st, const uint8_t *domain, bool now, struct diag *d,
                    struct zone_result *res);

/* Inside a managed edit: the _mta-sts TXT becomes "v=STSv1; id=ID". */
int sts_ops_write_id(struct zone_txn *zt, const struct sts_domain *s, const char *id);
/* Inside a managed edit: deletes every record MTA-STS added for s. */
int sts_ops_remove_records(struct zone_txn *zt, const struct sts_domain *s);
#endif
