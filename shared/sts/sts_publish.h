/*
 * The publish step (DESIGN.md): after a commit made a new policy version, fetch it from
 * every httpsd endpoint as a sender would, and only when all serve it write the new
 * _mta-sts id and SOA serial in a second transaction that re-checks the version. The same
 * step rotates ids, ends grace periods and finishes removals. Every decision is stored in
 * the domain's record, so any process can run the step again at any time: zonectl after
 * its commits, dnsd on a timer; LMDB's writer lock orders them.
 */
#ifndef LS_STS_PUBLISH_H
#define LS_STS_PUBLISH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include "shared/util/config.h"
#include "shared/sts/sts_fetch.h"
#include "shared/store/zone.h"
#include "shared/sts/sts_record.h"

#define STS_PUBLISH_BATCH 512     /* due domains fetched together, then ids in one commit */
#define STS_PACED_RUN_MS 1000     /* a paced run's fetches start within this (sts_publisher) */
#define STS_PUBLISH_SESSIONS "sts-sessions.d"   /* in the state directory: TLS sessions kept */
#define STS_PUBLISH_SESSIONS_OLD "sts-sessions"  /* the one file before: removed */

struct sts_publisher {
	char endpoints[STS_ENDPOINTS_MAX][64];
	unsigned nendpoints;
	uint32_t rotate_interval, fetch_timeout, retry_max;
	uint32_t fetch_concurrency;  /* threads of sts_publish_due(), each one fetch at a time */
	/*
	 * A run whose due work is only this many rotations or fewer fetches them one at a time
	 * (0: never). dnsd sets it: its rounds then reach httpsd as one connection at a time,
	 * not a burst that a change's own fetch would queue behind; a backlog keeps every thread.
	 * Such a run starts no fetch after STS_PACED_RUN_MS: an endpoint that times out delays
	 * the next run (a new policy's) by one fetch, not by one per rotation.
	 */
	uint32_t paced_max;
	/* When set (by another thread), sts_publish_due() starts nothing new and returns. */
	const atomic_bool *cancel;
	char *trust_store;
	/* The TLS context every fetch shares, opened on first use and kept from run to run so
	 * that dnsd does not read the trust store again every second. */
	struct sts_fetch *fetch;
	bool fetch_tried;
	char fetch_err[STS_TEXT_MAX];
};

enum sts_outcome {
	STS_NOTHING,      /* nothing due */
	STS_PUBLISHED,    /* a new id is in the zone */
	STS_WAITING,      /* an endpoint does not serve the policy yet: reason says why */
	STS_DEFERRED,     /* waiting, and the next try is not due yet */
	STS_RECOMPUTED,   /* grace ended: a new policy version, to publish next */
	STS_FINISHED,     /* a removal ended: the records are gone */
};

struct sts_outcome_info {
	enum sts_outcome outcome;
	uint8_t domain[DNAME_MAX];
	uint64_t version;
	int64_t version_time;    /* when that version was made: its commit */
	char id[STS_ID_MAX + 1];
	uint32_t old_serial, new_serial;
	bool rotation;           /* the id changed with the policy unchanged */
	char reason[STS_TEXT_MAX];
};

/* Reads the mta-sts settings. Returns 0 or LS_ECONFIG with the reason in err. */
int sts_publish_init(struct sts_publisher *p, const struct config *cfg, char *err, size_t errlen);
void sts_publish_free(struct sts_publisher *p);
/*
 * Runs the step for one domain once, at time now. force ignores the back-off of a waiting
 * publish. Returns 0 (what happened in out) or an error of the store.
 */
int sts_publish_domain(struct sts_publisher *p, struct store *st, const uint8_t *domain,
                       int64_t now, bool force, struct sts_outcome_info *out);
/*
 * When an id published at published_time rotates: rotate-interval after the one before,
 * at a moment of the interval fixed per domain (a hash of its name), so that ids published
 * together (a bulk enable) fall due spread over the interval, never in one second. The
 * first rotation comes between half an interval and one and a half after the publish.
 */
int64_t sts_publish_rotation_time(const uint8_t *domain, int64_t published_time,
                                  uint32_t interval);
/*
 * Runs the step for every domain with work due (of zone only, when not NULL: only its range
 * of records is read); calls fn
 * for each that did something other than STS_NOTHING and STS_DEFERRED. force as above.
 * STS_PUBLISH_BATCH domains at a time: their fetches on fetch-concurrency threads, then
 * the ids of those that verified written in one transaction (one durable sync), each edit
 * re-checking there that the version it verified is still the newest.
 */
int sts_publish_due(struct sts_publisher *p, struct store *st, const struct zone_info *zone,
                    int64_t now,
                    bool force, void (*fn)(const struct sts_outcome_info *o, void *ctx),
                    void *ctx);

#endif
