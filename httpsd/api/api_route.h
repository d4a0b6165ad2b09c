/* Which handler a parsed API request gets, after the token check; what handlers share. */
#ifndef HTTPSD_API_ROUTE_H
#define HTTPSD_API_ROUTE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "httpsd/api/api_auth.h"
#include "httpsd/api/api_reply.h"
#include "httpsd/api/api_request.h"
#include "shared/dns/dname.h"
#include "shared/store/store.h"
#include "shared/sts/sts_service.h"
#include "shared/util/config.h"

struct zone_batch;
struct api_counters;

#define API_WAIT_MAX 300             /* seconds ?wait= may ask for */
#define API_PREFIX "/api/v1/servers/localhost"

/* What every request may use; one per API process. */
struct api_env {
	struct store *st;
	const struct config *cfg;
	const char *state;
	struct api_auth auth;
	struct sts_service svc;          /* where mta-sts.<domain> points (sts_ops_enable) */
	struct api_counters *counters;   /* shared with httpsd (api_counters.h); NULL: none */
	/* New policy versions are published by dnsd's publisher (every second), as after any
	 * other writer; ?wait= only watches the store. */
};

/* One request being answered. */
struct api_call {
	struct api_env *env;
	const struct api_req *req;
	const char *body;                /* the request body, body_len bytes (NULL when none) */
	size_t body_len;
	const struct sockaddr *peer;
	int64_t now;
	struct api_token tk;             /* set once authenticated */
	char who[96];                    /* "token NAME": history entries name it */
	/* Set by a handler that answers later: the MTA-STS resource of wait_domain once it is
	 * published, or at wait_until (?wait=). */
	bool wait;
	uint8_t wait_domain[DNAME_MAX];
	int64_t wait_until;
	/* Set while the call is part of a group commit (api_group.c): its edit joins this batch;
	 * a store error of the batch (not a refusal) goes into batch_rc. */
	struct zone_batch *batch;
	int batch_rc;
};

/* Answers c into r (r zeroed by the caller); with c->wait set, api_route_wait() finishes. */
void api_route(struct api_call *c, struct api_reply *r);
/* For a waiting call: true when r now holds the answer (published, or the time is up). */
bool api_route_wait(struct api_call *c, struct api_reply *r);

#endif
