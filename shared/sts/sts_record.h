/*
 * MTA-STS state in the store (STORE_MTASTS): one domain record per mail domain with MTA-STS
 * on, and the policy body httpsd serves for it. Keys are the domain's full lookup-format name
 * behind a kind byte, so httpsd finds a body from the Host name alone.
 */
#ifndef LS_STS_RECORD_H
#define LS_STS_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "shared/dns/dname.h"
#include "shared/store/store.h"

#define STS_RECORD_TAG 'M'
#define STS_BODY_TAG 'B'
#define STS_POLICY_TAG 'V'   /* every body ever served, by version: TLS reports name old ones */
/* Values of another version are refused; bytes after the fields this code knows are skipped, so
 * a new field is added at the end under the same version, and the version only changes for
 * something old code must not read. */
#define STS_RECORD_VERSION 1

#define STS_ID_MAX 32            /* RFC 8461 3.1: 1 to 32 letters or digits */
#define STS_BODY_MAX 16384       /* bytes of a policy we generate (senders accept 64 KiB) */
#define STS_EXTRA_MAX 16         /* --mx-extra patterns */
#define STS_RUA_MAX 4            /* --rua URIs */
#define STS_TEXT_MAX 256         /* one pattern, URI or reason */
#define STS_GRACE_MAX 64         /* MX names in their grace period */
#define STS_ENDPOINTS_MAX 8      /* httpsd endpoints whose fetch results are kept */
#define STS_MAX_AGE_MAX 31557600 /* RFC 8461 3.2: one year */

enum sts_mode { STS_MODE_TESTING, STS_MODE_ENFORCE, STS_MODE_NONE };

/* Where a domain is in its life; the policy versions say whether a publish is pending. */
enum sts_state {
	STS_ACTIVE,     /* published, or waiting to publish its newest policy */
	STS_REMOVING,   /* disable: mode none published, kept until every served policy expired */
	STS_REMOVED,    /* records deleted; the record stays so ids are never reused */
};

/* An MX name that left the RRset and stays in the policy until `until`. */
struct sts_grace {
	uint8_t name[DNAME_MAX];
	uint32_t hold;            /* seconds it stays: the MX TTL plus the TXT TTL */
	int64_t until;            /* when it leaves the policy: the MX change + hold */
};

/* The last fetch of the policy from one httpsd endpoint. */
struct sts_fetch_status {
	char endpoint[64];        /* ADDR:PORT */
	int64_t time;
	bool ok;
	char error[STS_TEXT_MAX];
};

struct sts_domain {
	uint8_t domain[DNAME_MAX];
	uint32_t zone_id;
	/* Settings. */
	enum sts_mode mode;
	uint32_t max_age;
	uint32_t txt_ttl;
	char extra[STS_EXTRA_MAX][STS_TEXT_MAX];
	unsigned nextra;
	char rua[STS_RUA_MAX][STS_TEXT_MAX];
	unsigned nrua;
	/* State. */
	enum sts_state state;
	uint64_t version;         /* newest policy; its body is the served one */
	int64_t version_time;     /* when it was made */
	uint64_t published;       /* version the TXT id stands for; 0 before the first publish */
	char id[STS_ID_MAX + 1];  /* the id in the TXT, "" before the first publish */
	int64_t published_time;
	uint32_t max_age_served;  /* largest max_age any published policy had */
	int64_t removing_since;   /* STS_REMOVING: when mode none was published */
	/* Publishing progress: when to try next and why the last try stopped. */
	int64_t next_try;
	uint32_t tries;
	char reason[STS_TEXT_MAX];
	struct sts_grace grace[STS_GRACE_MAX];
	unsigned ngrace;
	struct sts_fetch_status fetch[STS_ENDPOINTS_MAX];
	unsigned nfetch;
};

/* Reads the record of domain (any case). Returns 0, LS_ENOTFOUND or a store error. */
int sts_record_get(struct store_txn *t, const uint8_t *domain, struct sts_domain *out);
void sts_record_put(struct store_txn *t, const struct sts_domain *d);
/* Calls fn for every record, in canonical order of the domains; stops at fn's first non-zero. */
int sts_record_each(struct store_txn *t, int (*fn)(const struct sts_domain *d, void *ctx),
                    void *ctx);
/* sts_record_each() for the records of apex and the names below it only: their keys are one
 * range, so a change to one zone does not decode every domain's record. */
int sts_record_each_under(struct store_txn *t, const uint8_t *apex,
                          int (*fn)(const struct sts_domain *d, void *ctx),
                    void *ctx);

/*
 * The policy body served for domain: borrowed until the transaction ends.
 * Returns 0, LS_ENOTFOUND or a store error. *version may be NULL.
 */
int sts_record_body(struct store_txn *t, const uint8_t *domain, const uint8_t **body,
                    size_t *len, uint64_t *version);
void sts_record_body_put(struct store_txn *t, const uint8_t *domain, uint64_t version,
                         const uint8_t *body, size_t len);
void sts_record_body_del(struct store_txn *t, const uint8_t *domain);
/*
 * Calls fn for every policy body domain has had (each sts_record_body_put() keeps one by
 * version; bodies from before that was kept are not known), oldest first; body borrowed until
 * the transaction ends. Stops at fn's first non-zero.
 */
int sts_record_policies(struct store_txn *t, const uint8_t *domain,
                        int (*fn)(uint64_t version, const uint8_t *body, size_t len, void *ctx),
                        void *ctx);

const char *sts_mode_name(enum sts_mode m);
/* Returns 0 or LS_EPARSE. */
int sts_mode_parse(const char *text, enum sts_mode *out);

#endif
