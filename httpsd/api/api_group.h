/* The group commit of the API's writes: requests that are ready at the same time share one
 * LMDB write transaction and one durable sync, each in a transaction nested in it. */
#ifndef HTTPSD_API_GROUP_H
#define HTTPSD_API_GROUP_H

#include <stddef.h>
#include "httpsd/api/api_counters.h"
#include "httpsd/api/api_route.h"

#define API_GROUP_MAX 256            /* requests one group commit takes at most */
#define API_GROUP_HINT 4096          /* bytes of map room per grouped request beside its body */

/* Whether the request's write can join a group (PATCH of a zone's rrsets); the others keep
 * their own transaction. */
bool api_group_joins(const struct api_req *req);

/*
 * Answers calls[0..n) into replies[0..n) (zeroed by the caller), as api_route() would one
 * by one: first those that do not join, each alone; then the others in one batch committed
 * with one sync. A request refused inside the batch changed nothing and the others still
 * land. When the batch cannot be committed (the map is full, a store error), it is dropped
 * and each of its requests runs again alone, so every answer is given after its own data is
 * durable. Each durable commit and its time go into k (NULL: not counted).
 */
void api_group_run(struct api_call **calls, struct api_reply **replies, size_t n,
                   struct api_counters *k);

#endif
