/*
 * mx-changed: every MX change of a domain with MTA-STS enabled, by any writer, queues an
 * event (before, after, who) in the same transaction as the change, from a commit hook; the
 * watcher (dnsd) or zonectl sends it after the commit (watch_outbox_deliver).
 */
#ifndef LS_WATCH_MX_H
#define LS_WATCH_MX_H

#include "shared/store/zone_txn.h"
#include "shared/util/diag.h"

#define WATCH_MX_CODE "mx-changed"

/* The commit hook (zone_hooks.c): queues one event per changed MX RRset of an enabled
 * domain, its writer named as the history names it (the source and history_actor(): "zonectl
 * rr add by user alice", "update by key upd from 192.0.2.1", the API's token). Never refuses
 * an edit. */
int watch_mx_commit(struct zone_txn *zt, struct diag *d);

#endif
